"""The plugin guide stays true: its pyproject example builds a plugin the kit can test, its
reference names every field of the records a source builds, and the worked example's (Aider)
sample output is what the commands print."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core.errors import SessionUnreadable
from hermes_sessions_core.hookspecs import ENTRY_POINT_GROUP
from hermes_sessions_core.models import (
    METADATA_FIELDS,
    Problem,
    SourceInfo,
    SourceListing,
    Transcript,
)
from hermes_sessions_core.search import SearchHit

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "aider_source"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli", reason="TOML parsing needs Python 3.11 or tomli")

RECORDS: tuple[type, ...] = (SourceInfo, SourceListing, Problem, Transcript, SearchHit)


def _reference_sections() -> dict[str, str]:
    """``### `Name(...)` `` heading → its text, from the guide's reference section."""
    reference = GUIDE.split("## Reference: the records a source builds", 1)
    assert len(reference) == 2, "the guide lost its reference section"
    sections = re.split(r"^### ", reference[1], flags=re.M)[1:]
    return {section.split("\n", 1)[0]: section for section in sections}


def _section(name: str) -> tuple[str, str]:
    for heading, text in _reference_sections().items():
        if heading.startswith(f"`{name}(") or f" `{name}(" in heading:
            return heading, text
    raise AssertionError(f"the guide's reference has no section for {name}")


def _parameter(name: str, default: Any) -> str:
    if default is inspect.Parameter.empty or default is dataclasses.MISSING:
        return name
    shown = json.dumps(default) if isinstance(default, str) else repr(default)
    return f"{name}={shown}"


def _dataclass_signature(record: type) -> str:
    parts = []
    for field in dataclasses.fields(record):
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        parts.append(_parameter(field.name, default))
    return f"`{record.__name__}({', '.join(parts)})`"


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_every_record_field_is_in_the_reference_with_its_default(record: type) -> None:
    """Issue 15: the heading is the exact constructor signature and the table names each
    field, so adding or renaming a field fails here until the guide says what it means."""
    heading, text = _section(record.__name__)
    assert heading == _dataclass_signature(record)
    for field in dataclasses.fields(record):
        assert f"| `{field.name}` |" in text, f"{record.__name__}.{field.name} is not described"


def test_session_unreadable_arguments_are_in_the_reference() -> None:
    """SessionUnreadable is a class, not a dataclass: its __init__ is the signature."""
    heading, text = _section("SessionUnreadable")
    parameters = list(inspect.signature(SessionUnreadable.__init__).parameters.values())[1:]
    assert heading == f"`SessionUnreadable({', '.join(p.name for p in parameters)})`"
    for parameter in parameters:
        assert f"| `{parameter.name}` |" in text


def test_the_from_record_reference_names_every_session_file_field() -> None:
    """Every key of a session file's metadata group, and the transcript keys, is described."""
    _heading, text = _section("Session.from_record")
    described = set(re.findall(r"`([a-z_]+)`", text))
    missing = [name for name in (*METADATA_FIELDS, "messages", "tool_calls")
               if name not in described]
    assert missing == []


def _guide_pyproject() -> dict[str, Any]:
    block = re.search(r"## 2\. .*?```toml\n(.*?)```", GUIDE, re.S)
    assert block is not None, "step 2 lost its pyproject.toml example"
    parsed: dict[str, Any] = tomllib.loads(block.group(1))
    return parsed


def test_the_pyproject_example_is_complete() -> None:
    """Issue 15: the example builds (build-system), registers through the entry-point group,
    depends on hermes-sessions and has the test extra step 5 installs."""
    pyproject = _guide_pyproject()
    assert pyproject["build-system"]["build-backend"] and pyproject["build-system"]["requires"]
    project = pyproject["project"]
    assert any(dep.startswith("hermes-sessions") for dep in project["dependencies"])
    assert not any("git+" in dep for dep in project["dependencies"]), "PyPI refuses URL deps"
    assert any(dep.startswith("pytest") for dep in project["optional-dependencies"]["test"])
    assert project["entry-points"][ENTRY_POINT_GROUP] == {"aider": "hermes_sessions_aider"}
    assert 'pip install -e ".[test]"' in GUIDE


def test_the_pyproject_example_matches_the_worked_example() -> None:
    """The guide's example and the worked example agree on what makes a plugin."""
    guide = _guide_pyproject()
    example = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    assert guide["build-system"] == example["build-system"]
    for key in ("name", "entry-points", "optional-dependencies"):
        assert guide["project"][key] == example["project"][key], key


def test_the_guide_says_how_to_install_hermes_sessions_without_pypi() -> None:
    """Issue 15: a checkout path, a git address (its placeholder explained), an editable
    install; and no reference to files a plugin author does not have."""
    step = GUIDE.split("## 0. Install hermes-sessions", 1)[1].split("\n## ", 1)[0]
    assert "pip install /path/to/hermes-sessions" in step
    assert 'pip install "hermes-sessions @ git+<repository URL>' in step
    assert "`<repository URL>` is" in step
    assert "pip install -e /path/to/hermes-sessions" in step
    assert "STYLE.md" not in GUIDE


def test_the_guide_links_the_search_score_scale() -> None:
    """Search hits point at the one score scale every source shares."""
    assert "(search.md#scores-and-ranking)" in GUIDE
    search = (ROOT / "docs" / "search.md").read_text(encoding="utf-8")
    assert "\n## Scores and ranking\n" in search, "the anchor the guide links must exist"
    assert "`SearchContract`" in GUIDE
    from hermes_sessions_core.testing import SearchContract  # the name the guide gives

    assert callable(SearchContract)


# ── the worked example's README sample ────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install ./examples/aider_source`` into a private folder, as a user installs it."""
    target = tmp_path_factory.mktemp("example-site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--target", str(target)]
    if importlib.util.find_spec("hatchling") is not None:
        command += ["--no-build-isolation", "--no-index"]  # offline and fast when possible
    result = subprocess.run([*command, str(EXAMPLE)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"pip could not install the example:\n{result.stderr}"
    return target


def _readme_sample() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) from the README's ``console`` block."""
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```console\n(.*?)```", readme, re.S)
    assert block is not None, "the example's README lost its sample output"
    runs: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        else:
            runs[-1][1].append(line)
    return runs


def test_the_example_readme_sample_is_what_the_commands_print(
    example_site: Path, tmp_path: Path
) -> None:
    """Issue 15: the sample output is regenerated by a real run, so it cannot go stale."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HERMES_")}
    env.update(HERMES_HOME=str(tmp_path / "hermes"), HOME=str(tmp_path), COLUMNS="100",
               PYTHONPATH=os.pathsep.join([str(example_site), env.get("PYTHONPATH", "")]))
    runs = _readme_sample()
    assert runs and runs[0][0].startswith("export ")
    for assignment in runs[0][0].removeprefix("export ").split():
        key, value = assignment.split("=", 1)
        env[key] = value
    command_line = [sys.executable, "-m", "hermes_sessions_core"]
    for command, expected in runs[1:]:
        arguments, _, head = command.partition(" | ")
        words = arguments.split()
        assert words[0] == "hermes-sessions", command
        result = subprocess.run([*command_line, *words[1:]], capture_output=True, text=True,
                                cwd=EXAMPLE, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        if head.startswith("grep "):
            lines = [line for line in lines if head.split()[1] in line]
        elif head.startswith("head -"):
            lines = lines[: int(head.split("-")[1])]
        elif head.startswith("tail -"):
            lines = lines[-int(head.split("-")[1]):]
        else:
            assert not head, f"the sample pipes into {head!r}, which this test does not run"
        assert lines == expected, f"`{command}` printed:\n{result.stdout}"
