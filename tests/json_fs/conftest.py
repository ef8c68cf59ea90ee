"""Stores on every backend the json_fs suite runs on: a local folder, memory://, and real
S3 (SeaweedFS) and SFTP (OpenSSH) servers on loopback, started once per test run."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import fsspec
import pytest
from hermes_sessions_json_fs import registry
from hermes_sessions_json_fs.session_files import SessionFiles
from hermes_sessions_json_fs.storage import open_folder

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager

from ..original_format import ORIGINAL_METADATA_ORDER
from ..servers.plugin import s3_server, sftp_server  # noqa: F401  (fixtures)

BACKENDS = ["local", "memory", "s3", "sftp"]



class Backend:
    """One storage location plus raw access to it, independent of the plugin.

    s3 gets a fresh prefix in the server's shared bucket per test (removed afterwards); sftp
    points at this test's own folder through sshd on loopback, so raw access reads the disk.
    """

    def __init__(self, name: str, tmp_path: Path, server: Any = None, bucket: str = "") -> None:
        self.name = name
        self.tmp_path = tmp_path
        self.storage_options: dict[str, Any] = {}
        if name in ("local", "sftp"):
            self.root = str(tmp_path / "webui" / "sessions")
            self.fs = fsspec.filesystem("file")
            self.url = self.root if name == "local" else server.url(tmp_path / "webui" / "sessions")
            if name == "sftp":
                self.storage_options = server.storage_options()
        elif name == "s3":
            self.root = f"{bucket}/{uuid.uuid4().hex}/sessions"
            self.url = f"s3://{self.root}"
            self.storage_options = server.storage_options()
            self.fs = fsspec.filesystem("s3", skip_instance_cache=True, **self.storage_options)
        else:
            self.url = f"memory://hs-{uuid.uuid4().hex}/sessions"
            self.fs = fsspec.filesystem("memory")
            self.root = "/" + self.url.split("://", 1)[-1]

    def settings(self) -> dict[str, Any]:
        return {"json_fs": {"storage_options": self.storage_options}} if self.storage_options else {}

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def write_bytes(self, name: str, data: bytes) -> None:
        self.fs.makedirs(self.root, exist_ok=True)
        self.fs.pipe_file(self.path(name), data)

    def read_bytes(self, name: str) -> bytes:
        return bytes(self.fs.cat_file(self.path(name)))

    def exists(self, name: str) -> bool:
        self.fs.invalidate_cache()
        return bool(self.fs.exists(self.path(name)))

    def names(self) -> list[str]:
        self.fs.invalidate_cache()
        try:
            listed = self.fs.ls(self.root, detail=False)
        except FileNotFoundError:
            return []
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in listed)

    def locations(self) -> Locations:
        return Locations.from_environment(
            base_home=self.tmp_path / "hermes",
            state_dir=self.tmp_path / "webui",
            session_url=None if self.name == "local" else self.url,
            claude_projects_dir=self.tmp_path / "no-claude",
            default_workspace=self.tmp_path / "workspace",
            environ={},
        )


def original_file(session_id: str, messages: list[dict[str, Any]], **fields: Any) -> bytes:
    """A session file exactly as today's Web UI writes it (json.dumps, no message_count)."""
    record: dict[str, Any] = {key: None for key in ORIGINAL_METADATA_ORDER}
    record.update(
        session_id=session_id, title="Untitled", workspace="/tmp", model="gpt-test",
        created_at=1700000000.5, updated_at=1700000100.25, pinned=False, archived=False,
        input_tokens=0, output_tokens=0, pending_attachments=[], gateway_routing_history=[],
        llm_title_generated=False, is_cli_session=False, read_only=False, composer_draft={},
    )
    extra = {k: v for k, v in fields.items() if k not in record}
    record.update({k: v for k, v in fields.items() if k in record})
    record["messages"] = messages
    record["tool_calls"] = []
    record["context_messages"] = []
    record.update(extra)
    return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")


def chat(count: int, start: float = 1700000000.0) -> list[dict[str, Any]]:
    roles = ("user", "assistant")
    return [
        {"role": roles[i % 2], "content": f"message {i}", "timestamp": start + i}
        for i in range(count)
    ]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The storage location under test, cleaned up afterwards (memory:// is process-global)."""
    server: Any = None
    bucket = ""
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        bucket = _shared_bucket(server)
    elif request.param == "sftp":
        server = request.getfixturevalue("sftp_server")
    backend = Backend(request.param, tmp_path, server, bucket)
    yield backend
    registry.forget_all()
    if request.param in ("memory", "s3"):
        try:
            backend.fs.rm(backend.root.rsplit("/", 1)[0], recursive=True)
        except FileNotFoundError:
            pass


_buckets: dict[int, str] = {}


def _shared_bucket(server: Any) -> str:
    """One bucket per server for the whole run; each test works under its own prefix."""
    if id(server) not in _buckets:
        _buckets[id(server)] = server.new_bucket()
    return _buckets[id(server)]


@pytest.fixture
def make_store(backend: Backend) -> Callable[..., SessionStore]:
    """Build stores on the backend with only the json_fs source (no entry points)."""

    def build(**kwargs: Any) -> SessionStore:
        kwargs.setdefault("plugin_manager", make_plugin_manager(builtins=["json_fs"], entry_points=False))
        kwargs.setdefault("settings", backend.settings())
        return SessionStore(backend.locations(), **kwargs)

    return build


@pytest.fixture
def store(make_store: Callable[..., SessionStore]) -> SessionStore:
    return make_store()


@pytest.fixture
def files(tmp_path: Path) -> Iterator[SessionFiles]:
    """A local session folder's SessionFiles, without a store around it."""
    opened = SessionFiles(open_folder(str(tmp_path / "sessions")), str(tmp_path))
    yield opened
    opened.close()
