"""The core never imports a built-in plugin: it reaches them only through the dispatcher, so a
blocked plugin is gone everywhere (STYLE 11). The one exception is the registration tuple."""

from __future__ import annotations

import ast
from pathlib import Path

from hermes_sessions_core.manager import BUILTIN_PLUGINS

CORE = Path(__file__).resolve().parents[2] / "hermes_sessions_core"
PLUGIN_MODULES = {module for _name, module in BUILTIN_PLUGINS}


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_core_imports_no_builtin_plugin() -> None:
    """No module of hermes_sessions_core imports hermes_sessions_<plugin>, lazily or not."""
    offenders = {
        str(path.relative_to(CORE)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in PLUGIN_MODULES
        )
        for path in CORE.rglob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


PLUGINS = CORE.parent / "plugins"


def _module_graph() -> dict[str, set[str]]:
    """Every core module and the core modules it imports: at the top, inside functions and
    under ``TYPE_CHECKING`` alike (a circle a type checker walks is still a circle to read)."""
    modules = {}
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:  # `from . import x` imports the module x
                    targets.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules
                                else module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def test_the_core_has_no_import_circle() -> None:
    """Each core module can be read knowing only the modules below it (issue 16)."""
    graph = _module_graph()
    assert "hermes_sessions_core.store" in graph and graph["hermes_sessions_core.store"]
    circles = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join(trail[trail.index(target):] + [module, target]))
            elif target not in state:
                visit(target, trail + [module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert circles == []


def test_no_plugin_imports_another() -> None:
    """A plugin knows its own storage format only: it never imports another plugin."""
    offenders = {}
    for name, module in BUILTIN_PLUGINS:
        root = PLUGINS / name / module
        others = PLUGIN_MODULES - {module}
        for path in root.rglob("*.py"):
            wrong = sorted(m for m in _imported_modules(path) if m.split(".")[0] in others)
            if wrong:
                offenders[str(path.relative_to(PLUGINS))] = wrong
    assert offenders == {}


# What touching files or databases looks like in source: modules, calls and path makers.
_IO_MODULES = frozenset({
    "os", "io", "pathlib", "shutil", "glob", "tempfile", "sqlite3", "fsspec", "mmap",
    "hermes_sessions_core.regular_files", "hermes_sessions_core.atomic",
})
_IO_CALLS = frozenset({"open", "read_regular", "open_regular", "open_regular_fd"})
_IO_METHODS = frozenset({
    "exists", "is_dir", "is_file", "is_symlink", "read_text", "read_bytes", "write_text",
    "write_bytes", "stat", "lstat", "iterdir", "glob", "rglob", "open", "mkdir", "unlink",
    "touch", "rename", "scandir", "listdir", "connect", "load",
    # Locations' paths of files a source reads: asking for one is the first step of opening it.
    "core_transcript", "state_db", "cron_jobs_file", "gateway_index",
})
_IO_ATTRIBUTES = frozenset({"session_dir", "projects_file"})


def _file_access(path: Path) -> list[str]:
    """Each import of an I/O module, call of open(), I/O method call or file-path lookup in
    ``path``, as ``line: what``."""
    found = []
    package = "hermes_sessions_core"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in _IO_MODULES or a.name in _IO_MODULES]
        elif isinstance(node, ast.ImportFrom):
            module = f"{package}.{node.module}" if node.level and node.module else node.module or ""
            names = {f"{module}.{a.name}" for a in node.names} | {module}
            if module.split(".")[0] in _IO_MODULES or names & _IO_MODULES:
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in _IO_CALLS:
                found.append(f"{node.lineno}: {function.id}()")
            elif isinstance(function, ast.Attribute) and function.attr in _IO_METHODS:
                if function.attr == "load" and not _names_module(function.value, "json"):
                    continue
                found.append(f"{node.lineno}: .{function.attr}()")
        elif isinstance(node, ast.Attribute):
            if node.attr in _IO_ATTRIBUTES:
                found.append(f"{node.lineno}: .{node.attr}")
            elif _names_module(node.value, "os"):
                found.append(f"{node.lineno}: os.{node.attr}")
    return sorted(found, key=lambda entry: int(entry.split(":")[0]))


def _names_module(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def test_the_store_and_pending_repair_touch_no_files() -> None:
    """README layering: SessionStore orchestrates and the sources do I/O (issue 16). store.py
    and pending_repair.py import no file or database module, open nothing, call no path or
    database method and look up no file a source reads: they receive data from hooks."""
    offenders = {
        name: _file_access(CORE / name) for name in ("store.py", "pending_repair.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_file_access_check_sees_file_access(tmp_path: Path) -> None:
    """The check above can fail: each kind of access it looks for is found in a sample."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom pathlib import Path\nfrom .regular_files import read_regular\n"
        "import json\n"
        "def f(self, p, s):\n"
        "    open(p)\n    os.path.isdir(p)\n    p.exists()\n    p.read_text()\n"
        "    json.load(p)\n    self.locations.core_transcript(s, None)\n"
        "    self.locations.session_dir\n    read_regular(p, 1)\n    sqlite_connection.connect()\n"
        "    s.replace(a=1)\n    yaml.load(p)\n",
        encoding="utf-8",
    )
    lines = [entry.split(":")[0] for entry in _file_access(sample)]
    assert lines == ["1", "2", "3", "6", "7", "8", "9", "10", "11", "12", "13", "14"]


#: The Web UI store's private files, and the constant naming its tombstones: only json_fs,
#: which owns them, may name them; other plugins ask it through ``context.webui_store``.
JSON_FS_PRIVATE_NAMES = ("_index.json", "_index.d", "_tombstones.json", "TOMBSTONES_FILE")


def test_no_plugin_names_another_plugins_private_files() -> None:
    """A plugin never reads the Web UI store's index, pending changes or tombstones itself:
    it would miss what only the owner knows (pending changes, remote credentials; issue 16)."""
    offenders = {}
    for name, module in BUILTIN_PLUGINS:
        if name == "json_fs":
            continue
        for path in (PLUGINS / name / module).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found = [private for private in JSON_FS_PRIVATE_NAMES if private in text]
            if found:
                offenders[str(path.relative_to(PLUGINS))] = found
    assert offenders == {}


#: The projects keeper's file, as code names it: only cron_projects, which owns it, may; other
#: plugins ask it through ``context.projects`` (the Cron Jobs project of cron rows, S5.6).
PROJECTS_KEEPER = "cron_projects"
PROJECTS_FILE_NAMES = ("projects.json", "projects_file", "PROJECTS_FILE")


def _names_in_code(path: Path, names: tuple[str, ...]) -> list[str]:
    """Each attribute, name or string (docstrings aside) in ``path`` that holds one of
    ``names``, as ``line: name``: what opening that file takes, whatever prose says of it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            text = node.value
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if name in text]
    return sorted(found, key=lambda entry: int(entry.split(":")[0]))


def test_no_plugin_but_the_keeper_names_the_projects_file() -> None:
    """Only the projects keeper reads ``projects.json``: the agent store once read it for the
    Cron Jobs project and now asks the keeper (issue 16, STYLE 11)."""
    offenders = {}
    for name, module in BUILTIN_PLUGINS:
        if name == PROJECTS_KEEPER:
            continue
        for path in (PLUGINS / name / module).rglob("*.py"):
            found = _names_in_code(path, PROJECTS_FILE_NAMES)
            if found:
                offenders[str(path.relative_to(PLUGINS))] = found
    assert offenders == {}


def test_the_projects_file_check_sees_names_in_code(tmp_path: Path) -> None:
    """The check above can fail: an attribute, a name and a string are found, a docstring is
    not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Reads projects.json."""\n'
        "def f(locations):\n"
        '    """The projects.json list."""\n'
        "    locations.projects_file\n    PROJECTS_FILE\n    'state/projects.json'\n",
        encoding="utf-8",
    )
    found = _names_in_code(sample, PROJECTS_FILE_NAMES)
    assert found == ["4: projects_file", "5: PROJECTS_FILE", "6: projects.json"]


def test_the_readme_tree_names_every_core_module():
    """A newcomer reads the architecture from the README's tree: a module added to the core
    is added there too (several once were not)."""
    readme = (CORE.parent / "README.md").read_text(encoding="utf-8")
    modules = sorted(path.name for path in CORE.glob("*.py")
                     if path.name not in {"__init__.py", "__main__.py"})
    assert [name for name in modules if name not in readme] == []
