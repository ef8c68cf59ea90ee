"""Bad input is skipped and reported, never raised into the sidebar (S4.19, S0.3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hermes_sessions_claude_code import (
    claude_code_messages,
    claude_code_session_id,
    list_claude_code_rows,
)
from hermes_sessions_claude_code import discovery as discovery_module
from hermes_sessions_claude_code import listing as listing_module

from .conftest import FLAT_AGENTS, SESSIONS, SHORT, row_for


def test_non_json_lines_are_skipped_and_the_rest_used(projects: Path, cache) -> None:
    """S4.19: the two `//` comment lines of the images fixture do not lose the file."""
    row = row_for(list_claude_code_rows([projects], cache=cache), "47bf5f5c")
    assert row["message_count"] == 11


def test_truncated_unknown_and_non_utf8_lines(projects: Path, cache) -> None:
    """S4.19: a truncated last line, an unknown type, a non-object and bad bytes are skipped."""
    path = projects / SHORT
    with path.open("ab") as handle:
        handle.write(b'{"type":"brand-new-record","x":1}\n')
        handle.write(b'[1,2,3]\n')
        bad = {"type": "user", "uuid": "nb", "message": {"role": "user", "content": "caf\u00e9 PLACEHOLDER"}}
        handle.write(json.dumps(bad, ensure_ascii=False).encode().replace(b"PLACEHOLDER", b"\xff\xfe") + b"\n")
        handle.write(b'{"type":"user","message":{"role":"user","content":"cut off')
    messages = claude_code_messages(claude_code_session_id(path), [projects], cache=cache)
    assert messages[-1]["content"].startswith("café ")
    assert "\ufffd" in messages[-1]["content"]
    row = row_for(list_claude_code_rows([projects], cache=cache), "55604662")
    assert row["message_count"] == 6


def test_file_vanishing_between_stat_and_read_is_skipped(projects: Path, cache, monkeypatch) -> None:
    """S4.19, S8.12: cleanupPeriodDays can delete a file mid-scan; the listing survives."""
    real = listing_module.summarise_file

    def vanish_first(file, settings):
        if file.path.endswith(SHORT.split("/")[1]):
            os.unlink(file.path)
        return real(file, settings)

    monkeypatch.setattr(listing_module, "summarise_file", vanish_first)
    listing = list_claude_code_rows([projects], cache=cache)
    assert len(listing.rows) == len(SESSIONS) - 1
    assert [p.error_type for p in listing.problems] == ["FileVanished"]


def test_file_growing_during_read_is_read_to_its_stat_size(projects: Path, cache, monkeypatch) -> None:
    """S4.19: lines appended after the stat are not read in this pass; the next scan sees them."""
    real = listing_module.summarise_file
    path = projects / SHORT
    extra = {"type": "user", "uuid": "late", "timestamp": "2027-01-01T00:00:00Z",
             "message": {"role": "user", "content": "written while reading"}}

    def grow_first(file, settings):
        if file.path == str(path):
            with path.open("ab") as handle:
                handle.write(json.dumps(extra).encode() + b"\n")
        return real(file, settings)

    monkeypatch.setattr(listing_module, "summarise_file", grow_first)
    before = row_for(list_claude_code_rows([projects], cache=cache), "55604662")
    assert before["message_count"] == 5
    monkeypatch.setattr(listing_module, "summarise_file", real)
    after = row_for(list_claude_code_rows([projects], cache=cache), "55604662")
    assert after["message_count"] == 6


def test_unreadable_folder_is_reported(projects: Path, cache, monkeypatch) -> None:
    """S4.19: a project folder that cannot be listed (chmod 000) is a problem, not an error.

    Tests run as root, which ignores chmod, so the permission error is injected at os.scandir.
    """
    locked = str(projects / "-tmp-private")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(discovery_module.os, "scandir", scandir)
    listing = list_claude_code_rows([projects], cache=cache)
    assert len(listing.rows) == len(SESSIONS) - 1
    assert [(p.error_type, p.path) for p in listing.problems] == [("PermissionError", locked)]


def test_real_chmod_000_when_not_root(projects: Path, cache) -> None:
    """S4.19: with a real chmod 000 folder the listing still answers (as root the folder stays
    readable, and then its sessions are simply listed)."""
    folder = projects / "-tmp-private"
    folder.chmod(0)
    try:
        listing = list_claude_code_rows([projects], cache=cache)
    finally:
        folder.chmod(0o755)
    if os.geteuid() == 0:
        assert len(listing.rows) == len(SESSIONS)
    else:
        assert len(listing.rows) == len(SESSIONS) - 1
        assert listing.problems[0].error_type == "PermissionError"


def test_one_bad_file_never_empties_the_listing(projects: Path, cache, monkeypatch) -> None:
    """S4.19: an unexpected error in one file becomes a problem; every other row is listed."""
    real = listing_module.summarise_file

    def explode(file, settings):
        if file.path.endswith(FLAT_AGENTS.split("/")[1]):
            raise ValueError("unexpected shape")
        return real(file, settings)

    monkeypatch.setattr(listing_module, "summarise_file", explode)
    listing = list_claude_code_rows([projects], cache=cache)
    assert len(listing.rows) == len(SESSIONS) - 1
    assert listing.problems[0].error_type == "ValueError"
    assert listing.problems[0].path.endswith(".jsonl")


def test_missing_root_lists_nothing_quietly(tmp_path: Path, cache) -> None:
    """S4.1, S0.3: no Claude Code installed is not a problem."""
    listing = list_claude_code_rows([tmp_path / "absent"], cache=cache)
    assert listing.rows == () and listing.problems == ()


def test_empty_and_binary_files(projects: Path, cache) -> None:
    """S4.19: an empty file and a binary file are not sessions and do not raise."""
    (projects / "-tmp-private" / "empty.jsonl").write_bytes(b"")
    (projects / "-tmp-private" / "binary.jsonl").write_bytes(os.urandom(4096))
    listing = list_claude_code_rows([projects], cache=cache)
    assert len(listing.rows) == len(SESSIONS)
    assert row_for(listing, "47bf5f5c")["title"]
