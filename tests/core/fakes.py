"""Small in-test source plugins: a read-only source, a broken one, a misbehaving one."""

from __future__ import annotations

from typing import Any

from hermes_sessions_core import (
    Session,
    SessionRow,
    SourceInfo,
    SourceListing,
    Transcript,
    hookimpl,
)


def row(session_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "session_id": session_id, "title": f"title {session_id}", "message_count": 2,
        "created_at": 1000.0, "updated_at": 2000.0, "last_message_at": 2000.0,
        "pinned": False, "archived": False, "project_id": None, "profile": "default",
    }
    base.update(fields)
    return base


class ReadOnlySource:
    """A read-only source owning ids that start with `ro_`."""

    def __init__(self, rows: list[dict[str, Any]], name: str = "readonly", prefix: str = "ro_"):
        self.rows = rows
        self.name = name
        self.prefix = prefix
        self.list_calls = 0

    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name=self.name, label="Read Only", writable=False,
                          id_prefixes=(self.prefix,), priority=70)

    @hookimpl
    def hermes_sessions_list_rows(self, request) -> SourceListing:
        self.list_calls += 1
        return SourceListing(self.name, tuple(SessionRow.adopt(dict(r)) for r in self.rows))

    @hookimpl
    def hermes_sessions_load_session(self, session_id: str, metadata_only: bool) -> Session | None:
        for item in self.rows:
            if item["session_id"] == session_id:
                return Session.from_record({**item, "read_only": True, "source_tag": self.name,
                                            "messages": [{"role": "user", "content": "hi"}]},
                                           default_workspace="/tmp")
        return None

    @hookimpl
    def hermes_sessions_read_messages(self, session_id: str, limit) -> Transcript | None:
        if not session_id.startswith(self.prefix):
            return None
        return Transcript(session_id, self.name, ({"role": "user", "content": "hi"},), 1)


class AgentLikeSource(ReadOnlySource):
    """An unprefixed read-only source named like the agent store (for merge rules)."""

    def __init__(self, rows: list[dict[str, Any]], lineage: dict[str, dict[str, Any]] | None = None):
        super().__init__(rows, name="agent_state_db", prefix="")
        self.lineage = lineage or {}
        self.lineage_calls: list[tuple[str, frozenset[str]]] = []

    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="agent_state_db", label="Agent", writable=False, priority=50)

    @hookimpl
    def hermes_sessions_lineage_metadata(self, profile: str, session_ids: frozenset[str]):
        self.lineage_calls.append((profile, session_ids))
        return {sid: keys for sid, keys in self.lineage.items() if sid in session_ids}


class RaisingSource:
    """A source whose every hook raises."""

    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="raising", label="Raising", writable=False, id_prefixes=("boom_",))

    @hookimpl
    def hermes_sessions_list_rows(self, request) -> SourceListing:
        raise RuntimeError("database is on fire")

    @hookimpl
    def hermes_sessions_read_messages(self, session_id, limit):
        raise RuntimeError("cannot read")


class MalformedSource:
    """A source that returns rows of the wrong shape."""

    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="malformed", label="Malformed", writable=False, id_prefixes=("mal_",))

    @hookimpl
    def hermes_sessions_list_rows(self, request) -> Any:
        return SourceListing("malformed", (SessionRow.adopt(row("mal_ok")), {"session_id": "mal_dict"},
                                           SessionRow.adopt(row("../bad"))))
