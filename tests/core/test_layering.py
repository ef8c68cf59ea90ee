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
