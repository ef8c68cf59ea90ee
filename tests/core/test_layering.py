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
