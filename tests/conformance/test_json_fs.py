"""json_fs passes the whole kit (readable, writable, file layout) on every storage backend."""

from __future__ import annotations

import hermes_sessions_json_fs
import pytest

from hermes_sessions_core.testing import SessionFilesContract


class TestJsonFsConformance(SessionFilesContract):
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
    def files(self, backend):
        return backend
