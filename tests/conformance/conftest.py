"""Conformance fixtures: the json_fs storage backends (reused from tests/json_fs) and the
worked example plugin (Aider, `examples/aider_source`), pip-installed into a private folder
once per test session."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from ..json_fs import conftest as _json_fs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "aider_source"
#: Project folders, each holding an ``.aider.chat.history.md``.
EXAMPLE_PROJECTS = EXAMPLE / "tests" / "fixtures" / "projects"

# Every fixture tests/json_fs defines (the parametrised `backend` and whatever servers it
# needs), re-exported so pytest sees them here too and every backend added there runs the kit.
for _name in dir(_json_fs):
    _value = getattr(_json_fs, _name)
    if type(_value).__name__ == "FixtureFunctionDefinition" or hasattr(_value, "_pytestfixturefunction"):
        globals()[_name] = _value


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install ./examples/aider_source`` into a folder of its own, as a user would
    install it, but without touching the interpreter's site-packages: tests put the folder on
    sys.path (or PYTHONPATH) only where they need the plugin installed."""
    target = tmp_path_factory.mktemp("example-site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--target", str(target)]
    if importlib.util.find_spec("hatchling") is not None:
        command += ["--no-build-isolation", "--no-index"]  # offline and fast when possible
    result = subprocess.run([*command, str(EXAMPLE)], capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        pytest.fail(f"pip could not install examples/aider_source:\n{result.stdout}\n{result.stderr}")
    return target


@pytest.fixture
def example_plugin(example_site: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The installed ``hermes_sessions_aider`` module (imported from the pip target folder)."""
    monkeypatch.syspath_prepend(str(example_site))
    import hermes_sessions_aider

    assert Path(hermes_sessions_aider.__file__).is_relative_to(example_site)
    return hermes_sessions_aider
