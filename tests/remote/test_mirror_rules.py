"""The mirror's rules on hostile remote listings, on fsspec's memory filesystem: names that
climb out of the mirror, oversized files, a damaged manifest, a missing extra."""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pytest

from hermes_sessions_core.machines import SourceRoot
from hermes_sessions_core.remote_mirror import MANIFEST_NAME, RemoteMirror, _safe_relative


@pytest.fixture
def remote():
    filesystem = fsspec.filesystem("memory")
    root = "/mirror-test-root"
    if filesystem.exists(root):
        filesystem.rm(root, recursive=True)
    yield filesystem, root
    if filesystem.exists(root):
        filesystem.rm(root, recursive=True)


def _mirror(tmp_path: Path, root: str, limit: int = 1 << 20) -> RemoteMirror:
    return RemoteMirror("claude_code", SourceRoot(f"memory://{root}", "laptop"),
                        tmp_path / "mirror", limit)


@pytest.mark.parametrize("name", [
    "/base/../etc/passwd.jsonl", "/base/a/../../x.jsonl", "/other/x.jsonl", "/base/./x.jsonl",
    "/base/a\0b.jsonl", f"/base/{MANIFEST_NAME}", "/base//x.jsonl",
])
def test_names_outside_the_root_or_of_the_mirror_itself_are_refused(name):
    assert _safe_relative(name, "/base") is None


def test_plain_names_are_kept_relative():
    assert _safe_relative("/base/p/s.jsonl", "/base") == "p/s.jsonl"


def test_only_matching_files_within_the_limits_are_copied(tmp_path, remote):
    filesystem, root = remote
    filesystem.pipe(f"{root}/p/a.jsonl", b"{}\n")
    filesystem.pipe(f"{root}/p/notes.txt", b"not a transcript")
    filesystem.pipe(f"{root}/p/huge.jsonl", b"x" * 2048)
    mirror = _mirror(tmp_path, root, limit=1024)
    problems = mirror.sync(patterns=("*.jsonl",), max_files=10)
    copied = sorted(str(p.relative_to(mirror.folder)) for p in mirror.folder.rglob("*")
                    if p.is_file() and not p.name.startswith(".hermes-mirror"))
    assert copied == ["p/a.jsonl"]
    assert [p.error_type for p in problems] == ["FileTooLarge"]
    assert oct(os.stat(mirror.folder).st_mode & 0o777) == "0o700"


def test_a_damaged_manifest_costs_a_fresh_copy_not_a_wrong_one(tmp_path, remote):
    filesystem, root = remote
    filesystem.pipe(f"{root}/p/a.jsonl", b'{"a": 1}\n')
    mirror = _mirror(tmp_path, root)
    mirror.sync(patterns=("*.jsonl",), max_files=10)
    (mirror.folder / MANIFEST_NAME).write_bytes(b"\xff not json")
    (mirror.folder / "p" / "a.jsonl").write_bytes(b"tampered")
    mirror.sync(patterns=("*.jsonl",), max_files=10)
    assert (mirror.folder / "p" / "a.jsonl").read_bytes() == b'{"a": 1}\n'
    assert mirror.last_sync.copied == 1


def test_a_rewritten_file_is_fetched_whole_an_appended_one_in_part(tmp_path, remote):
    filesystem, root = remote
    filesystem.pipe(f"{root}/a.jsonl", b"line one\n")
    filesystem.pipe(f"{root}/b.jsonl", b"first\n")
    mirror = _mirror(tmp_path, root)
    mirror.sync(patterns=("*.jsonl",), max_files=10)
    filesystem.pipe(f"{root}/a.jsonl", b"line one\nline two\n")  # appended
    filesystem.pipe(f"{root}/b.jsonl", b"FIRST, rewritten\n")   # rewritten and longer
    mirror.sync(patterns=("*.jsonl",), max_files=10)
    assert (mirror.last_sync.appended, mirror.last_sync.copied) == (1, 1)
    assert (mirror.folder / "a.jsonl").read_bytes() == b"line one\nline two\n"
    assert (mirror.folder / "b.jsonl").read_bytes() == b"FIRST, rewritten\n"


def test_only_the_most_recent_files_are_kept(tmp_path, remote):
    filesystem, root = remote
    for number in range(5):
        filesystem.pipe(f"{root}/s{number}.jsonl", b"{}\n")
    mirror = _mirror(tmp_path, root)
    mirror.sync(patterns=("*.jsonl",), max_files=2)
    assert len(list(mirror.folder.glob("*.jsonl"))) == 2
    mirror.sync(patterns=("*.jsonl",), max_files=1)
    assert len(list(mirror.folder.glob("*.jsonl"))) == 1
    assert mirror.last_sync.removed == 1


def test_a_missing_extra_names_what_to_install(tmp_path):
    mirror = RemoteMirror("claude_code", SourceRoot("nosuchproto://host/x", "laptop"),
                          tmp_path / "m", 1024)
    (problem,) = mirror.sync(patterns=("*",), max_files=1)
    assert problem.error_type in ("MissingDependency", "RemoteUnreachable")
    assert "nosuchproto" in problem.message


def test_an_unreachable_machine_is_left_alone_for_a_while(tmp_path, monkeypatch):
    """A sleeping laptop costs one timeout per RETRY_AFTER seconds, not one per listing."""
    from hermes_sessions_core import remote_mirror

    mirror = RemoteMirror(
        "claude_code",
        SourceRoot("sftp://127.0.0.1/nowhere", "laptop", {"port": 1, "timeout": 2}),
        tmp_path / "m", 1024,
    )
    (first,) = mirror.sync(patterns=("*",), max_files=1)
    assert first.error_type == "RemoteUnreachable" and mirror.last_sync.requests == 1
    (again,) = mirror.sync(patterns=("*",), max_files=1)
    assert again is first and mirror.last_sync.requests == 0
    now = remote_mirror.time.monotonic()
    monkeypatch.setattr(remote_mirror.time, "monotonic", lambda: now + remote_mirror.RETRY_AFTER)
    mirror.sync(patterns=("*",), max_files=1)
    assert mirror.last_sync.requests == 1
