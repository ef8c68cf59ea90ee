"""S7.9 and the drop-in promise: the original module's public names, signatures and defaults."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

from hermes_sessions_core import compat

#: name -> the original's parameters as (name, default) pairs, copied from its source.
ORIGINAL_SIGNATURES = {
    "get_session": [("sid", None), ("metadata_only", False)],
    "new_session": [("workspace", None), ("model", None), ("profile", None),
                    ("model_provider", None), ("project_id", None), ("worktree_info", None)],
    "all_sessions": [("diag", None)],
    "title_from": [("messages", None), ("fallback", "Untitled")],
    "save_projects": [("projects", None)],
    "ensure_cron_project": [],
    "is_cron_session": [("session_id", None), ("source_tag", None)],
    "import_cli_session": [("session_id", None), ("title", None), ("messages", None),
                           ("model", "unknown"), ("profile", None), ("created_at", None),
                           ("updated_at", None), ("parent_session_id", None)],
    "get_claude_code_session_messages": [("sid", None), ("projects_dir", None)],
    "clear_cli_sessions_cache": [],
    "get_cli_sessions": [],
    "get_cli_session_messages": [("sid", None)],
    "count_conversation_rounds": [("sid", None), ("since", None)],
    "delete_cli_session": [("sid", None)],
}
CONSTANTS = {
    "CLI_VISIBLE_SESSION_LIMIT": 20, "CONVERSATION_ROUND_THRESHOLD": 10,
    "CRON_PROJECT_NAME": "Cron Jobs", "CLAUDE_CODE_SOURCE": "claude_code",
    "CLAUDE_CODE_SOURCE_LABEL": "Claude Code", "CLAUDE_CODE_MAX_FILES": 200,
    "CLAUDE_CODE_MAX_FILE_BYTES": 10 * 1024 * 1024, "CLAUDE_CODE_MAX_MESSAGES_PER_FILE": 1000,
    "CLAUDE_CODE_MAX_CONTENT_CHARS": 200_000,
}


def _parameters(function: object) -> list[tuple[str, object]]:
    result = []
    for parameter in inspect.signature(function).parameters.values():  # type: ignore[arg-type]
        default = None if parameter.default is inspect.Parameter.empty else parameter.default
        result.append((parameter.name, default))
    return result


def test_every_original_function_has_the_same_parameters_and_defaults():
    """Same positional names and defaults, so host call sites need no change."""
    for name, expected in ORIGINAL_SIGNATURES.items():
        assert _parameters(getattr(compat, name)) == expected, name


def test_original_keyword_only_and_special_signatures():
    """load_projects(*, _migrate=True); the Claude Code scan keeps its keyword-only limits."""
    load = inspect.signature(compat.load_projects).parameters["_migrate"]
    assert load.kind is inspect.Parameter.KEYWORD_ONLY and load.default is True
    scan = inspect.signature(compat.get_claude_code_sessions).parameters
    assert list(scan) == ["projects_dir", "max_files", "max_file_bytes"]
    assert scan["max_files"].default == 200 and scan["max_file_bytes"].default == 10 * 1024 * 1024


def test_constants_have_the_original_values():
    for name, value in CONSTANTS.items():
        assert getattr(compat, name) == value, name


def test_session_methods_match_the_original():
    """save(touch_updated_at=True, skip_index=False), compact(include_runtime=False,
    active_stream_ids=None), load / load_metadata_only classmethods and a path property."""
    assert _parameters(compat.Session.save)[1:] == [("touch_updated_at", True), ("skip_index", False)]
    assert _parameters(compat.Session.compact)[1:] == [("include_runtime", False),
                                                       ("active_stream_ids", None)]
    assert isinstance(inspect.getattr_static(compat.Session, "load"), classmethod)
    assert isinstance(inspect.getattr_static(compat.Session, "load_metadata_only"), classmethod)
    assert isinstance(inspect.getattr_static(compat.Session, "path"), property)
    assert set(CONSTANTS) | set(ORIGINAL_SIGNATURES) | {"Session"} <= set(compat.__all__)


def test_import_reads_nothing_writes_nothing_and_builds_no_store(tmp_path):
    """S7.9: importing compat touches neither the environment nor the disk."""
    code = (
        "import os, sys; before = dict(os.environ);"
        "import hermes_sessions_core.compat as c;"
        "from hermes_sessions_core.compat import host;"
        "assert host._store is None; assert dict(os.environ) == before;"
        "assert 'hermes_sessions_agent_state_db' not in sys.modules; print('ok')"
    )
    env = {**os.environ, "HERMES_HOME": str(tmp_path / "none")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            check=False)
    assert result.stdout.strip() == "ok", result.stderr
    assert not (tmp_path / "none").exists()


def test_host_overridable_lists_exactly_what_is_read_through_the_host() -> None:
    """The documented list of names read through the host module is the code's own list."""
    import re
    from pathlib import Path

    package = Path(compat.__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in package.glob("*.py"))
    read = set(re.findall(r'_hosted\("([A-Za-z_]+)"\)', source))
    assert read == set(compat.HOST_OVERRIDABLE)
