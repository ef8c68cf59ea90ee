"""json_fs against the kit's hostile-input section, on every storage backend: a FIFO or socket
named like a session file, a message nested 5,000 levels deep, a 10 MB title and message, and
fields of the wrong types, each in a Web UI session file beside two good ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hermes_sessions_json_fs
import pytest

from hermes_sessions_core.testing import (
    HostileInputContract,
    chat,
    make_special_file,
    original_record,
    splice_raw_json,
    write_original_file,
)
from hermes_sessions_core.testing.hostile import RAW_VALUE_MARKER
from hermes_sessions_core.testing.samples import encode_original

#: Backends whose files this test can reach on the local disk (sftp serves this test's folder).
ON_DISK = ("local", "sftp")


class TestJsonFsHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_json_fs

    @pytest.fixture
    def locations(self, backend):
        return backend.locations()

    @pytest.fixture
    def settings(self, backend):
        return backend.settings()

    @pytest.fixture
    def seed(self, backend):
        for record in (original_record("goodone00001", chat(4), title="Good one"),
                       original_record("goodtwo00002", chat(2, start=1700001000.0), title="Two")):
            write_original_file(backend, record)
        return ["goodone00001", "goodtwo00002"]

    @pytest.fixture
    def hostile_seed(self, backend):
        def write(kind: str, payload: Any) -> str:
            if kind in ("fifo", "socket"):
                if backend.name not in ON_DISK:
                    pytest.skip(f"a {backend.name} store holds no special files")
                session_id = f"hostile{kind}01"
                make_special_file(Path(backend.root) / f"{session_id}.json", kind)
                return session_id
            session_id = f"hostile{kind.replace('_', '')[:12]}"
            if kind == "deep_nesting":
                record = original_record(session_id, [
                    {"role": "user", "content": RAW_VALUE_MARKER, "timestamp": 1700002000.0},
                ], title="Deeply nested message")
                backend.write_bytes(f"{session_id}.json",
                                    splice_raw_json(encode_original(record), payload))
            elif kind == "oversized_title":
                write_original_file(backend, original_record(session_id, chat(2), title=payload))
            elif kind == "oversized_content":
                write_original_file(backend, original_record(session_id, [
                    {"role": "user", "content": payload, "timestamp": 1700002000.0},
                    {"role": "assistant", "content": "short answer", "timestamp": 1700002001.0},
                ], title="A 10 MB message"))
            else:
                record = original_record(
                    session_id, [], title=payload["text"], created_at=payload["time"],
                    updated_at=payload["number"], archived=payload["boolean"],
                    pinned=payload["boolean"], profile=payload["object"],
                    input_tokens=payload["number"], model=payload["list"],
                )
                record["messages"] = payload["list"]
                record["message_count"] = payload["number"]
                write_original_file(backend, record)
            return session_id

        return write
