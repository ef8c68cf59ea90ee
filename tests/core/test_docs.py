"""Documentation stays true: every hook documented with its exact signature, the Quick start
block is what CI runs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from hermes_sessions_core.hookspecs import HOOK_NAMES, HermesSessionsSpec

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _signature(name: str) -> str:
    signature = inspect.signature(getattr(HermesSessionsSpec, name))
    params = [p for p in signature.parameters.values() if p.name != "self"]
    args = ", ".join(f"{p.name}: {p.annotation}" for p in params)
    return f"{name}({args}) -> {signature.return_annotation}"


def test_every_hook_has_a_readme_row_with_its_exact_signature():
    """STYLE 2: the README hook table lists each hook exactly as specified."""
    table = README.replace("\\|", "|")
    for name in HOOK_NAMES:
        assert f"`{_signature(name)}`" in table, f"README lacks the exact row for {name}"


def test_every_hook_is_documented_and_prefixed():
    """STYLE 2: hook names start hermes_sessions_, docstrings say what to return."""
    assert len(HOOK_NAMES) >= 7
    for name in HOOK_NAMES:
        doc = inspect.getdoc(getattr(HermesSessionsSpec, name)) or ""
        assert name.startswith("hermes_sessions_") and len(doc) > 80, name
        assert re.search(r"[Rr]eturn|Called", doc), name


def test_quick_start_is_two_commands_and_ci_runs_them():
    """The README opens with one fenced block of exactly two commands; .ci/run uses it."""
    block = re.search(r"## Quick start\s+```bash\n(.*?)```", README, re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 2
    assert "hermes-sessions list" in lines[0] and "pytest" in lines[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "Quick start" in ci
