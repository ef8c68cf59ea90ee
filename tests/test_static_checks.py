"""Strict mypy over the core and every built-in plugin, and ruff's pinned rule set over the
whole tree, as part of the suite: CI runs the suite, so it runs these too (issue 16, item 6).

Both tools are pinned in the ``test`` extra and read their settings from ``pyproject.toml``,
so a pass here is a pass on any machine. A missing tool fails, naming the install command: a
check that skips itself would be a check that never runs.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(tool: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        pytest.fail(f"{tool} is not installed: pip install '.[test]' (it pins {tool})")
    return subprocess.run(
        [sys.executable, "-m", tool, *arguments], cwd=ROOT, capture_output=True, text=True,
        timeout=600,
    )


def test_mypy_strict_over_core_and_plugins(tmp_path: Path) -> None:
    done = _run("mypy", "--cache-dir", str(tmp_path / "mypy"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout


def test_ruff_pinned_rules_over_the_tree() -> None:
    done = _run("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr
