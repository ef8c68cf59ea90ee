"""Claude Code roots on another machine (issue 17): the same rows as the same files read
locally, ids scoped to the machine, a warm listing that costs one remote listing, appends
fetched as new bytes only, and a machine that cannot be reached showing its last copy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_claude_code import clear_default_cache

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.remote_mirror import _MIRRORS
from hermes_sessions_core.source_roots import MACHINE_KEY
from hermes_sessions_core.store import SessionStore

FIXTURES = Path(__file__).parent.parent / "fixtures" / "claude_code"
PREFIX = "claude_code_"
COMPARED = (
    "title", "workspace", "model", "created_at", "last_message_at", "message_count",
    "user_message_count", "input_tokens", "output_tokens", "subagent_count",
)


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_default_cache()
    _MIRRORS.clear()
    yield
    clear_default_cache()
    _MIRRORS.clear()


def _copy_projects(target: Path) -> Path:
    shutil.copytree(FIXTURES, target, ignore=shutil.ignore_patterns("README.md"))
    return target


def _store(tmp_path: Path, local: Path | None, roots: list[dict[str, Any]]) -> SessionStore:
    empty = tmp_path / "no-claude"
    empty.mkdir(parents=True, exist_ok=True)
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "hermes" / "webui",
        claude_projects_dir=local or empty, environ={"HOME": str(tmp_path)},
    )
    settings = {
        "claude_code": {"roots": roots},
        "core": {"remote_cache_dir": str(tmp_path / "mirrors"), "persist_caches": False},
    }
    return SessionStore(locations, settings=settings)


def _claude_rows(store: SessionStore) -> dict[str, dict[str, Any]]:
    listing = store.list_sessions(all_profiles=True, include_archived=True)
    return {row["session_id"]: dict(row) for row in listing.rows
            if str(row["session_id"]).startswith(PREFIX)}


def _twin(local: dict[str, dict[str, Any]], row: dict[str, Any]) -> dict[str, Any]:
    """The local row of the same transcript (ids hash the path read, so they differ)."""
    (twin,) = [r for r in local.values()
               if r["external_session_id"] == row["external_session_id"]]
    return twin


def _mirror_report(machine: str) -> Any:
    (mirror,) = [m for m in _MIRRORS.values() if m.root.machine == machine]
    return mirror.last_sync


def _same_rows(local: dict[str, dict[str, Any]], remote: dict[str, dict[str, Any]]) -> None:
    assert len(remote) == len(local) > 0
    for session_id, row in remote.items():
        assert row[MACHINE_KEY] == "laptop"
        assert session_id.startswith(PREFIX + "laptop__")
        twin = _twin(local, row)
        assert {k: row.get(k) for k in COMPARED} == {k: twin.get(k) for k in COMPARED}


class TestSftpRoot:
    def test_lists_opens_and_searches_like_local(self, tmp_path, sftp_server):
        served = _copy_projects(tmp_path / "laptop-home" / "projects")
        local_store = _store(tmp_path / "a", served, [])
        local = _claude_rows(local_store)
        root = {"url": sftp_server.url(served), "machine": "laptop",
                "options": sftp_server.storage_options()}
        store = _store(tmp_path / "b", None, [root])
        remote = _claude_rows(store)
        _same_rows(local, remote)

        session_id = next(iter(remote))
        opened = store.get(session_id)
        assert opened.session_id == session_id
        assert getattr(opened, MACHINE_KEY) == "laptop"
        twin = local_store.get(_twin(local, remote[session_id])["session_id"])
        assert [m.get("content") for m in opened.messages] == [
            m.get("content") for m in twin.messages
        ]
        transcript = store.read_messages(session_id)
        assert transcript is not None and transcript.session_id == session_id

        hits = store.search("moredip").hits or store.search("session").hits
        assert hits and all(hit.session_id.startswith(PREFIX + "laptop__") for hit in hits)

    def test_warm_listing_is_one_request_and_appends_fetch_new_bytes(self, tmp_path,
                                                                     sftp_server):
        served = _copy_projects(tmp_path / "laptop" / "projects")
        root = {"url": sftp_server.url(served), "machine": "laptop",
                "options": sftp_server.storage_options()}
        store = _store(tmp_path, None, [root])
        first = _claude_rows(store)
        cold = _mirror_report("laptop")
        assert cold.copied == len(list(served.rglob("*.jsonl")))
        _claude_rows(store)
        warm = _mirror_report("laptop")
        assert (warm.requests, warm.copied, warm.appended) == (1, 0, 0)

        target = next(served.glob("-home-marco-projects-spotter/5560*.jsonl"))
        (session_id,) = [sid for sid, row in first.items()
                         if row["external_session_id"] == target.stem]
        before = first[session_id]["message_count"]
        line = (b'{"type":"user","message":{"role":"user","content":"one more question"},'
                b'"uuid":"u-extra","timestamp":"2026-01-01T00:00:00Z","sessionId":"'
                + target.stem.encode() + b'"}\n')
        with open(target, "ab") as handle:
            handle.write(line)
        os.utime(target, (1_900_000_000, 1_900_000_000))
        after = _claude_rows(store)[session_id]
        report = _mirror_report("laptop")
        assert (report.appended, report.copied) == (1, 0)
        assert report.bytes_fetched < 4096 + len(line) + 1
        assert after["message_count"] == before + 1

        target.unlink()
        assert session_id not in _claude_rows(store)

    def test_unreachable_machine_keeps_its_last_copy_and_says_so(self, tmp_path,
                                                                 sftp_server):
        served = _copy_projects(tmp_path / "laptop" / "projects")
        root = {"url": sftp_server.url(served), "machine": "laptop",
                "options": sftp_server.storage_options()}
        store = _store(tmp_path, None, [root])
        rows = _claude_rows(store)
        asleep = dict(root, options=sftp_server.storage_options(port=1, timeout=2))
        store = _store(tmp_path, None, [asleep])
        listing = store.list_sessions(all_profiles=True)
        kept = {row["session_id"] for row in listing.rows}
        assert set(rows) <= kept
        assert any(p.error_type == "RemoteUnreachable" for p in listing.problems)

    def test_remote_symlinks_are_not_followed(self, tmp_path, sftp_server):
        served = _copy_projects(tmp_path / "laptop" / "projects")
        secret = tmp_path / "secret.jsonl"
        shutil.copy(next(served.rglob("5560*.jsonl")), secret)
        (served / "-home-marco-projects-spotter" / "linked.jsonl").symlink_to(secret)
        root = {"url": sftp_server.url(served), "machine": "laptop",
                "options": sftp_server.storage_options()}
        store = _store(tmp_path, None, [root])
        _claude_rows(store)
        mirrored = {p.name for p in (tmp_path / "mirrors").rglob("*.jsonl")}
        assert "linked.jsonl" not in mirrored


class TestS3Root:
    def test_lists_like_local(self, tmp_path, s3_server):
        bucket = s3_server.new_bucket()
        client = s3_server.client()
        for path in FIXTURES.rglob("*.jsonl"):
            key = f"laptop/.claude/projects/{path.relative_to(FIXTURES).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        local = _claude_rows(_store(tmp_path / "a", _copy_projects(tmp_path / "p"), []))
        root = {"url": f"s3://{bucket}/laptop/.claude/projects", "machine": "laptop",
                "options": s3_server.storage_options()}
        store = _store(tmp_path / "b", None, [root])
        _same_rows(local, _claude_rows(store))
        _claude_rows(store)
        assert _mirror_report("laptop").requests == 1


class TestConfiguration:
    def test_bad_entries_are_problems_and_the_rest_lists(self, tmp_path):
        projects = _copy_projects(tmp_path / "p")
        store = _store(tmp_path, projects, [
            {"url": "s3://bucket/x"},  # remote without a machine label
            {"url": str(projects), "machine": "Bad_Label"},
            42,
        ])
        listing = store.list_sessions(all_profiles=True)
        kinds = [p.error_type for p in listing.problems if p.source == "claude_code"]
        assert kinds.count("InvalidRoot") == 3
        assert any(str(r["session_id"]).startswith(PREFIX) for r in listing.rows)

    def test_a_local_folder_can_stand_for_another_machine(self, tmp_path):
        projects = _copy_projects(tmp_path / "p")
        store = _store(tmp_path, projects, [{"url": str(projects), "machine": "nas"}])
        rows = _claude_rows(store)
        local = [sid for sid in rows if "__" not in sid]
        other = [sid for sid in rows if sid.startswith(PREFIX + "nas__")]
        assert len(local) == len(other) > 0
        assert all(MACHINE_KEY not in rows[sid] for sid in local)
        assert store.get(other[0]).session_id == other[0]
