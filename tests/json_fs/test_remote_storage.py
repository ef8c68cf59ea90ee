"""Remote storage faults and multi-host safety, against the real loopback servers (S9.9).

The store suite itself runs on s3 and sftp through the ``backend`` fixture; this module covers
what only remote storage has: configuration errors at first use, a network that goes away or
hangs, uploads torn mid-body, conditional writes and several hosts writing one bucket.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs import registry
from hermes_sessions_json_fs.index import SidebarIndex
from hermes_sessions_json_fs.s3_folder import S3Folder
from hermes_sessions_json_fs.storage import open_folder

from hermes_sessions_core import Locations, Session, SessionStore, StorageError
from hermes_sessions_core.manager import make_plugin_manager

from ..servers.faults import FaultyProxy
from ..servers.processes import free_port
from .conftest import chat

WRITER = Path(__file__).with_name("remote_writer.py")


@pytest.fixture(autouse=True)
def _forget_open_folders():
    yield
    try:
        registry.forget_all()
    except StorageError:
        pass  # closing a store whose server is gone reports it; these tests expect that


def _store(tmp_path: Path, url: str, options: dict[str, Any], **json_fs: Any) -> SessionStore:
    return SessionStore(
        Locations.from_environment(
            base_home=tmp_path / "hermes", state_dir=tmp_path / "webui", session_url=url,
            claude_projects_dir=tmp_path / "none", default_workspace=tmp_path, environ={},
        ),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
        settings={"json_fs": {"storage_options": options, **json_fs}},
    )


def _session(count: int = 3, title: str = "remote") -> Session:
    return Session(title=title, messages=chat(count))


@pytest.fixture
def bucket(s3_server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3_proxy(s3_server):
    proxy = FaultyProxy(s3_server.port)
    yield proxy
    proxy.close()


def _through(proxy: FaultyProxy, options: dict[str, Any]) -> dict[str, Any]:
    options = dict(options)
    options["client_kwargs"] = {**options["client_kwargs"], "endpoint_url": f"http://127.0.0.1:{proxy.port}"}
    options["config_kwargs"] = {"connect_timeout": 1, "read_timeout": 1, "retries": {"max_attempts": 1}}
    options["skip_instance_cache"] = True
    return options


# ── configuration errors, named at first use ─────────────────────────────────────────────


def test_missing_bucket_is_named_at_first_use_not_at_construction(s3_server, tmp_path):
    """S9.9: opening checks nothing; the first save names the URL and the missing bucket."""
    url = f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/sessions"
    store = _store(tmp_path, url, s3_server.storage_options())
    session = store.new_session()
    session.messages.extend(chat(2))
    with pytest.raises(StorageError) as raised:
        store.save(session)
    message = str(raised.value)
    assert url in message and "does not exist" in message
    assert store.get(session.session_id) is session  # kept in memory for a retry


def test_wrong_credentials_are_named_at_first_use(s3_server, bucket, tmp_path):
    """A refused key says so, with the URL and where to fix it (storage_options)."""
    options = s3_server.storage_options(secret="not-the-secret")
    store = _store(tmp_path, f"s3://{bucket}/sessions", options)
    with pytest.raises(StorageError) as raised:
        store.save(_session())
    message = str(raised.value)
    assert f"s3://{bucket}/sessions" in message and "refused" in message
    assert "storage_options" in message


def test_unreachable_sftp_server_is_named(sftp_server, tmp_path):
    """A closed port: a StorageError naming the URL, not a paramiko traceback."""
    options = sftp_server.storage_options(port=free_port(), timeout=2)
    store = _store(tmp_path, f"sftp://127.0.0.1{tmp_path}/sessions", options)
    with pytest.raises(StorageError) as raised:
        store.save(_session())
    assert f"sftp://127.0.0.1{tmp_path}/sessions" in str(raised.value)


# ── network faults ───────────────────────────────────────────────────────────────────────


def test_server_gone_then_back_save_is_retried(s3_server, bucket, s3_proxy, tmp_path):
    """A stopped server gives a clear error; the session stays in memory and saves later."""
    store = _store(tmp_path, f"s3://{bucket}/sessions", _through(s3_proxy, s3_server.storage_options()))
    session = store.new_session()
    session.messages.extend(chat(2))
    store.save(session)
    s3_proxy.down()
    session.messages.append({"role": "user", "content": "written while down"})
    started = time.monotonic()
    with pytest.raises(StorageError) as raised:
        store.save(session)
    assert time.monotonic() - started < 30
    assert f"s3://{bucket}/sessions" in str(raised.value)
    assert store.get(session.session_id).messages[-1]["content"] == "written while down"
    s3_proxy.up()
    store.save(session)
    stored = s3_server.client().get_object(Bucket=bucket, Key=f"sessions/{session.session_id}.json")
    assert json.loads(stored["Body"].read())["message_count"] == 3


def test_server_that_hangs_times_out_with_a_clear_error(s3_server, bucket, s3_proxy, tmp_path):
    """A server that accepts and never answers: the configured timeout ends the save."""
    store = _store(tmp_path, f"s3://{bucket}/sessions", _through(s3_proxy, s3_server.storage_options()))
    session = store.new_session()
    session.messages.extend(chat(2))
    store.save(session)
    s3_proxy.blackhole()
    session.title = "renamed while hung"
    # Ends with an error instead of hanging (pytest-timeout fails the test otherwise); how long
    # it takes depends on s3fs's own retries and this machine's load, so it is not asserted.
    with pytest.raises(StorageError):
        store.save(session)
    assert store.get(session.session_id).title == "renamed while hung"


def test_upload_torn_mid_body_is_never_visible(s3_server, bucket, s3_proxy, tmp_path):
    """S2.3: a PUT cut off half way leaves the previous object whole."""
    store = _store(tmp_path, f"s3://{bucket}/sessions", _through(s3_proxy, s3_server.storage_options()))
    session = _session(2)
    store.save(session)
    key = f"sessions/{session.session_id}.json"
    before = s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    session.messages.extend({"role": "user", "content": "x" * 50_000} for _ in range(20))
    s3_proxy.cut_after(200_000)  # about a fifth of the new file's bytes reach the server
    with pytest.raises(StorageError):
        store.save(session)
    assert s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read() == before


def test_sftp_upload_torn_mid_body_keeps_the_old_file_and_reconnects(sftp_server, tmp_path):
    """SFTP writes a temp file and renames it: a cut connection leaves the old file, and the
    next save reconnects by itself."""
    proxy = FaultyProxy(sftp_server.port)
    try:
        folder = tmp_path / "sessions"
        store = _store(tmp_path, f"sftp://127.0.0.1{folder}",
                       sftp_server.storage_options(port=proxy.port))
        session = _session(2)
        store.save(session)
        before = (folder / f"{session.session_id}.json").read_bytes()
        session.messages.extend({"role": "user", "content": "y" * 50_000} for _ in range(20))
        proxy.cut_after(300_000)
        with pytest.raises(StorageError):
            store.save(session)
        assert (folder / f"{session.session_id}.json").read_bytes() == before
        proxy.up()
        store.save(session)
        assert json.loads((folder / f"{session.session_id}.json").read_bytes())["message_count"] == 22
    finally:
        proxy.close()


# ── conditional writes and several hosts ─────────────────────────────────────────────────


def test_seaweedfs_honours_conditional_writes(s3_server, bucket):
    """The first-write probe: a second If-None-Match create, a stale If-Match replace and a
    stale If-Match delete are all refused (HTTP 412) by SeaweedFS."""
    folder = open_folder(f"s3://{bucket}/probe", s3_server.storage_options(), multi_writer=True)
    assert isinstance(folder, S3Folder)
    support = folder.conditional_support()
    assert support.complete, support.describe()
    folder.write("_check.json", b"{}")  # multi-writer mode is accepted
    assert [n for n in folder.names() if ".tmp." in n] == []  # the probe cleaned up


def test_update_is_conditional_and_loses_nothing_between_writers(s3_server, bucket):
    """Folder.update from two independent clients: every increment lands."""
    url = f"s3://{bucket}/counter"
    folders = [open_folder(url, s3_server.storage_options(skip_instance_cache=True,
                                                          default_block_size=5 * 2**20 + i))
               for i in range(2)]
    import threading

    def bump(folder):
        for _ in range(15):
            folder.update("projects.json", lambda data: str(int(data or b"0") + 1).encode())

    threads = [threading.Thread(target=bump, args=(f,)) for f in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert folders[0].read("projects.json") == b"30"


def test_multi_writer_is_refused_when_the_server_ignores_conditions(s3_server, bucket, monkeypatch, tmp_path):
    """A server that accepts If-None-Match/If-Match and ignores them is named in the error."""
    def accepted_anyway(request):
        try:
            request()
        except Exception:
            pass  # pretend the server let the write through
        return False

    monkeypatch.setattr(S3Folder, "_refused", staticmethod(accepted_anyway))
    store = _store(tmp_path, f"s3://{bucket}/sessions", s3_server.storage_options(),
                   multi_writer=True)
    with pytest.raises(StorageError) as raised:
        store.save(_session())
    message = str(raised.value)
    assert "multi-writer mode refused" in message and "ignores conditional writes" in message
    assert "If-None-Match" in message


def test_multi_writer_is_refused_on_sftp(sftp_server, tmp_path):
    """SFTP has no conditional writes, so several hosts cannot share a folder safely."""
    store = _store(tmp_path, f"sftp://127.0.0.1{tmp_path}/sessions", sftp_server.storage_options(),
                   multi_writer=True)
    with pytest.raises(StorageError) as raised:
        store.save(_session())
    assert "multi-writer mode refused" in str(raised.value) and "SFTP" in str(raised.value)


def test_hosts_saving_and_deleting_concurrently_lose_no_row_and_no_tombstone(s3_server, bucket, tmp_path):
    """Four processes, each its own s3fs client and no shared lock, save 24 sessions each and
    delete a third of them while folding the index: every kept session has its index row,
    no deleted one keeps a row, and every deletion is tombstoned."""
    url = f"s3://{bucket}/shared"
    options = json.dumps(s3_server.storage_options())
    workers = [
        subprocess.Popen([sys.executable, str(WRITER), url, options, str(worker), "24"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for worker in range(4)
    ]
    saved, deleted = set(), set()
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        saved |= set(result["saved"])
        deleted |= set(result["deleted"])
    assert len(saved) == 96 and len(deleted) == 32
    folder = open_folder(url, s3_server.storage_options())
    snapshot = SidebarIndex(folder).read()
    assert snapshot is not None
    # Every kept session has its row in the index itself, not just through the file scan.
    assert saved - deleted <= set(snapshot.rows)
    # A deleted session's row may linger as a ghost; the listing drops it (S2.8).
    listed = {row["session_id"] for row in _store(tmp_path, url, s3_server.storage_options()).list_sessions().rows}
    assert listed == saved - deleted
    tombstones = json.loads(folder.read("_tombstones.json"))
    assert set(tombstones) == deleted
