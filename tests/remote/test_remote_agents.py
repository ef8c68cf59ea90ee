"""Codex, Gemini CLI and OpenCode (its JSON tree and database) on another machine: the same
rows as the same files read locally, ids scoped to the machine, sessions that open."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.remote_mirror import _MIRRORS
from hermes_sessions_core.store import SessionStore

FIXTURES = Path(__file__).parents[1] / "fixtures"
COMPARED = ("title", "workspace", "model", "created_at", "last_message_at", "message_count",
            "user_message_count", "input_tokens", "output_tokens", "subagent_count")
#: source → (fixture folder, the root a user configures is that folder as the agent keeps it)
AGENTS = {
    "codex": (FIXTURES / "codex", "codex_"),
    "gemini_cli": (FIXTURES / "gemini_cli" / "tmp", "gemini_cli_"),
    "opencode": (FIXTURES / "opencode", "opencode_"),
}


@pytest.fixture(autouse=True)
def _fresh_mirrors():
    _MIRRORS.clear()
    yield
    _MIRRORS.clear()


def _agent_copy(source: str, target: Path) -> Path:
    folder, _ = AGENTS[source]
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("README.md", "*.py"))
    return target


def _rows(tmp: Path, source: str, settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    store = SessionStore(
        Locations.from_environment(base_home=tmp / "hermes", state_dir=tmp / "webui",
                                   claude_projects_dir=tmp / "none",
                                   environ={"HOME": str(tmp / "home")}),
        plugin_manager=make_plugin_manager(builtins=[source], entry_points=False),
        settings={**settings, "core": {"remote_cache_dir": str(tmp / "mirrors")}},
    )
    rows = {r["session_id"]: dict(r) for r in store.list_sessions(all_profiles=True).rows}
    for session_id in rows:
        assert store.get(session_id).session_id == session_id
    store.close()
    return rows


def _native(prefix: str, session_id: str) -> str:
    return prefix + session_id[len(prefix):].split("__", 1)[1]


@pytest.mark.parametrize("source", sorted(AGENTS))
def test_an_sftp_root_lists_what_the_same_files_list_locally(source, tmp_path, sftp_server):
    served = _agent_copy(source, tmp_path / "laptop" / source)
    _, prefix = AGENTS[source]
    local = _rows(tmp_path / "a", source, {source: {"home": str(served)}} if source != "gemini_cli"
                  else {source: {"roots": [str(served)], "local": False}})
    root = {"url": sftp_server.url(served), "machine": "laptop",
            "options": sftp_server.storage_options()}
    remote = _rows(tmp_path / "b", source, {source: {"roots": [root], "local": False}})
    assert len(remote) == len(local) > 0
    for session_id, row in remote.items():
        assert row["machine"] == "laptop" and session_id.startswith(prefix + "laptop__")
        twin = local[_native(prefix, session_id)]
        assert {k: row.get(k) for k in COMPARED} == {k: twin.get(k) for k in COMPARED}


def test_an_s3_root_of_codex_lists_like_local(tmp_path, s3_server):
    served = _agent_copy("codex", tmp_path / "codex")
    bucket = s3_server.new_bucket()
    client = s3_server.client()
    for path in served.rglob("*.jsonl"):
        client.put_object(Bucket=bucket, Key=f"ci/.codex/{path.relative_to(served).as_posix()}",
                          Body=path.read_bytes())
    local = _rows(tmp_path / "a", "codex", {"codex": {"home": str(served)}})
    root = {"url": f"s3://{bucket}/ci/.codex", "machine": "ci",
            "options": s3_server.storage_options()}
    remote = _rows(tmp_path / "b", "codex", {"codex": {"roots": [root], "local": False}})
    assert {_native("codex_", sid) for sid in remote} == set(local)
