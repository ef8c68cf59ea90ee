"""OpenCode fixtures: a private copy of the generated data folder per test, generated
variants, the manifest's facts, and a store context over a chosen folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from hermes_sessions_opencode import OpenCodeSettings
from hermes_sessions_opencode.cache import OpenCodeCache

from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.locations import Locations

FIXTURE_ROOT = Path(__file__).parent.parent / "fixtures" / "opencode"
GENERATOR = FIXTURE_ROOT / "make_opencode_db.py"

MAIN = "ses_1c56060ffffeDR3yANYKPLLozb"
CHILD = "ses_1c5603dd7ffbDpc8ZyEVjUYDgb"
ARCHIVED = "ses_1c529727ffd8BteMeDJJeQSaAM"
REVERTED = "ses_1c4bb957ffd0za8KjsxyOqTBDL"
PLACEHOLDER = "ses_1c42f33fffbckJIB7QZ9LbfRg5"
LEGACY_ONLY = "ses_1c7c2bafffb6YGzEqVDnW9rh5e"


@pytest.fixture(autouse=True)
def no_opencode_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's real OpenCode folder or database."""
    for name in ("XDG_DATA_HOME", "OPENCODE_DB"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def manifest() -> dict[str, dict[str, Any]]:
    """The generator's facts per session, by OpenCode id."""
    data = json.loads((FIXTURE_ROOT / "manifest.json").read_text())
    return {entry["id"]: entry for entry in data["sessions"]}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A writable copy of the fixture data folder (plays ``~/.local/share/opencode``)."""
    root = tmp_path / "opencode"
    shutil.copytree(FIXTURE_ROOT, root,
                    ignore=shutil.ignore_patterns("README.md", "manifest.json", "*.py"))
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


@pytest.fixture
def generate(tmp_path: Path) -> Callable[[int], tuple[Path, dict[str, Any]]]:
    """``generate(seed)``: a randomised data folder from the generator, and its manifest."""

    def run(seed: int) -> tuple[Path, dict[str, Any]]:
        out = tmp_path / f"generated-{seed}"
        subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--seed", str(seed)],
                       check=True, capture_output=True, timeout=60)
        return out, json.loads((out / "manifest.json").read_text())

    return run


@pytest.fixture
def settings() -> OpenCodeSettings:
    return OpenCodeSettings()


@pytest.fixture
def cache() -> OpenCodeCache:
    return OpenCodeCache()


@pytest.fixture
def context_for(tmp_path: Path) -> Callable[..., SourceContext]:
    """``context_for(environ, **opencode_settings)``: a store context with that environment."""

    def make(environ: dict[str, str] | None = None, **options: Any) -> SourceContext:
        locations = Locations.from_environment(
            base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
            claude_projects_dir=tmp_path / "claude", default_workspace=tmp_path / "ws",
            environ={"HOME": str(tmp_path / "home"), **(environ or {})},
        )
        return SourceContext(locations, {"opencode": options} if options else {})

    return make
