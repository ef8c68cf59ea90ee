"""Start-up loads only what it uses: the package, the Web UI drop-in, `--help` and `--json`
leave the store, the plugin machinery and rich's heavy parts for first use (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import hermes_sessions_core

# The plugin machinery and the storage backends: built with the first store, never at import.
_STORE_MODULES = {
    "fsspec", "pluggy", "importlib.metadata", "sqlite3",
    "hermes_sessions_core.store", "hermes_sessions_core.manager",
    "hermes_sessions_core.dispatch", "hermes_sessions_core.hookspecs",
}

_LOADED = "import json, sys; print(json.dumps(sorted(sys.modules)))"


def _modules_after(code: str, tmp_path, *arguments: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    env = {**os.environ, "HOME": str(tmp_path), "HERMES_HOME": str(tmp_path / "hermes")}
    result = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def _after_command(*arguments: str) -> str:
    # Runs the command line in-process, then reports its modules on the last line.
    return (
        "import sys\nfrom hermes_sessions_core.cli import main\nsys.argv[:] = sys.argv[:1] + "
        f"{list(arguments)!r}\ntry:\n    main()\nexcept SystemExit:\n    pass\n{_LOADED}"
    )


def test_importing_the_package_loads_only_its_errors(tmp_path) -> None:
    loaded = _modules_after(f"import hermes_sessions_core; {_LOADED}", tmp_path)
    ours = {name for name in loaded if name.startswith("hermes_sessions_core.")}
    assert ours == {"hermes_sessions_core.errors"}
    assert not loaded & _STORE_MODULES


def test_every_public_name_still_resolves() -> None:
    for name in hermes_sessions_core.__all__:
        assert getattr(hermes_sessions_core, name) is not None, name
    assert set(hermes_sessions_core.__all__) <= set(dir(hermes_sessions_core))
    with pytest.raises(AttributeError):
        hermes_sessions_core.no_such_name  # noqa: B018


def test_importing_the_drop_in_builds_nothing_of_the_store(tmp_path) -> None:
    loaded = _modules_after(f"import hermes_sessions_core.compat; {_LOADED}", tmp_path)
    assert not loaded & _STORE_MODULES, sorted(loaded & _STORE_MODULES)
    assert "hermes_sessions_core.aggregate" not in loaded


@pytest.mark.parametrize("arguments", [("--help",), ("list", "--help"), ("doctor", "--help")])
def test_help_loads_neither_the_store_nor_the_session_model(tmp_path, arguments) -> None:
    loaded = _modules_after(_after_command(*arguments), tmp_path)
    assert not loaded & _STORE_MODULES, sorted(loaded & _STORE_MODULES)
    assert "hermes_sessions_core.models" not in loaded
    # Click's help layout, not rich's panels (markdown, syntax); typer < 0.29, no pydantic.
    assert not {name for name in loaded if name.split(".")[0] in {"rich", "pydantic"}}


def test_json_output_loads_no_rich(tmp_path) -> None:
    loaded = _modules_after(_after_command("list", "--json"), tmp_path)
    assert "hermes_sessions_core.store" in loaded  # the command did run
    assert not {name for name in loaded if name.split(".")[0] == "rich"}


#: What a source reads with: none of it is needed where its agent never ran.
_READERS = {
    "sqlite3", "importlib.metadata", "tomllib", "hermes_sessions_core.remote_mirror",
    "hermes_sessions_core.source_roots", "hermes_sessions_core.search",
    "hermes_sessions_claude_code.parse", "hermes_sessions_claude_code.listing",
    "hermes_sessions_codex.parse", "hermes_sessions_codex.listing",
    "hermes_sessions_gemini_cli.listing", "hermes_sessions_gemini_cli.reading",
    "hermes_sessions_opencode.listing", "hermes_sessions_opencode.database",
    "hermes_sessions_agent_state_db.connection", "hermes_sessions_agent_state_db.listing",
    "hermes_sessions_agent_state_db.lineage", "hermes_sessions_cron_projects.projects_file",
}


def test_a_listing_where_no_agent_ran_loads_no_reader(tmp_path) -> None:
    """The Web UI's case on most machines: its own sessions, no state.db, no other agent, no
    third-party plugin, no settings file. Every source answers from path checks (issue 14)."""
    code = (
        "from hermes_sessions_core.store import SessionStore\n"
        "listing = SessionStore().list_sessions(all_profiles=True)\n"
        "assert [p.source for p in listing.problems] == ['agent_state_db'], listing.problems\n"
        f"{_LOADED}"
    )
    loaded = _modules_after(code, tmp_path)
    assert "hermes_sessions_codex" in loaded  # every built-in source was asked
    assert not loaded & _READERS, sorted(loaded & _READERS)


def test_the_drop_in_sidebar_where_no_agent_ran_loads_no_reader(tmp_path) -> None:
    code = (
        "from hermes_sessions_core import compat\n"
        "assert compat.all_sessions() == []\n"
        f"{_LOADED}"
    )
    loaded = _modules_after(code, tmp_path)
    assert not loaded & _READERS, sorted(loaded & _READERS)


def test_a_source_package_imports_what_it_re_exports_on_first_use(tmp_path) -> None:
    code = (
        "import sys, hermes_sessions_codex as codex\n"
        "assert 'hermes_sessions_codex.listing' not in sys.modules\n"
        "rows = codex.list_codex_rows\n"
        "assert rows.__module__ == 'hermes_sessions_codex.listing'\n"
        "assert vars(codex)['list_codex_rows'] is rows  # kept: no second lookup\n"
        "try:\n    codex.no_such_name\nexcept AttributeError as error:\n"
        "    assert 'hermes_sessions_codex' in str(error)\nelse:\n    raise SystemExit(1)\n"
        f"{_LOADED}"
    )
    assert "hermes_sessions_codex.listing" in _modules_after(code, tmp_path)
