"""The part of the sessions table one call needs, fetched by primary key and parent link.

Nothing here scans the table: rows are fetched by id (IN-lists of at most 500, S3.19),
ancestors hop by hop, and children through the agent's parent index. The continuation rule and
the walk come from :mod:`.continuation`, so every view reads the same chains.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from hermes_sessions_core.times import to_epoch

from .connection import decode_text
from .continuation import CONTINUING_END_REASONS, MAX_HOPS, Walk, is_continuation, walk_up
from .schema import Schema

__all__ = ["CHUNK_SIZE", "LineageGraph", "chunked"]

#: Largest IN-list sent to SQLite (S3.19).
CHUNK_SIZE = 500


def chunked(values: Iterable[str], size: int = CHUNK_SIZE) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _start_key(record: dict[str, Any]) -> tuple[float, str]:
    return (to_epoch(record.get("started_at")) or 0.0, str(record.get("id")))


class LineageGraph:
    """Session rows keyed by id, with the children fetched so far and memoised walks."""

    def __init__(self, connection: sqlite3.Connection, schema: Schema) -> None:
        self.connection = connection
        self.schema = schema
        self.records: dict[str, dict[str, Any]] = {}
        self._missing: set[str] = set()
        self._children: dict[str, list[str]] = {}
        self._walks: dict[str, Walk] = {}

    # ── fetching ─────────────────────────────────────────────────────────────────────────

    def _select(self, where: str, values: list[str]) -> list[dict[str, Any]]:
        placeholders = ", ".join("?" for _ in values)
        cursor = self.connection.execute(
            f"SELECT {self.schema.session_select()} FROM sessions "
            f"WHERE {where} IN ({placeholders}) AND {self.schema.valid_id()}",
            values,
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _add(self, record: dict[str, Any]) -> str | None:
        if record.get("id") is None:
            return None
        for key, value in record.items():
            if isinstance(value, bytes):  # a BLOB where text belongs reads as text (S3.3)
                record[key] = decode_text(value)
        session_id = str(record["id"])
        record["id"] = session_id
        if record.get("parent_session_id") is not None:
            record["parent_session_id"] = str(record["parent_session_id"])
        self.records.setdefault(session_id, record)
        return session_id

    def load(self, ids: Iterable[str]) -> list[str]:
        """Fetch rows by id; returns the ids that were newly found."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self.records and i not in self._missing]
        found: list[str] = []
        for batch in chunked(wanted):
            for record in self._select("id", batch):
                session_id = self._add(record)
                if session_id is not None:
                    found.append(session_id)
            self._missing.update(i for i in batch if i not in self.records)
        if found:
            self._walks.clear()
        return found

    def load_ancestors(self, ids: Iterable[str], hops: int = MAX_HOPS + 2) -> None:
        """Fetch parents of ``ids`` hop by hop; ``hops`` levels cover any capped walk."""
        frontier = [i for i in ids if i in self.records]
        for _ in range(hops):
            parents = [
                str(self.records[i]["parent_session_id"])
                for i in frontier
                if self.records[i].get("parent_session_id")
            ]
            if not parents:
                break
            self.load(parents)
            frontier = [p for p in dict.fromkeys(parents) if p in self.records]

    def load_children(self, parent_ids: Iterable[str]) -> list[str]:
        """Fetch every child row of ``parent_ids`` through the parent index."""
        wanted = [i for i in dict.fromkeys(parent_ids) if i not in self._children]
        if not wanted or "parent_session_id" not in self.schema.session_columns:
            return []
        for parent_id in wanted:
            self._children[parent_id] = []
        new: list[str] = []
        for batch in chunked(wanted):
            for record in self._select("parent_session_id", batch):
                is_new = str(record.get("id")) not in self.records
                session_id = self._add(record)
                if session_id is None:
                    continue
                parent_id = str(record.get("parent_session_id"))
                siblings = self._children.setdefault(parent_id, [])
                if session_id not in siblings:
                    siblings.append(session_id)
                if is_new:
                    new.append(session_id)
        self._walks.clear()
        return new

    def load_continuation_descendants(self, ids: Iterable[str], hops: int = MAX_HOPS) -> None:
        """Children of rows that ended for a continuing reason, down to ``hops`` levels."""
        frontier = list(ids)
        for _ in range(hops):
            parents = [
                i for i in frontier
                if i in self.records and self.records[i].get("end_reason") in CONTINUING_END_REASONS
            ]
            if not parents:
                break
            frontier = self.load_children(parents)

    # ── reading ──────────────────────────────────────────────────────────────────────────

    def get(self, session_id: str) -> dict[str, Any] | None:
        return self.records.get(session_id)

    def walk(self, session_id: str) -> Walk:
        """The capped, cycle-safe walk up from ``session_id`` (memoised until the next fetch)."""
        known = self._walks.get(session_id)
        if known is None:
            known = walk_up(session_id, self.records.get)
            self._walks[session_id] = known
        return known

    def continued_parent(self, session_id: str) -> str | None:
        """The parent this row continues, or None (head, fork, cycle member...)."""
        return self.walk(session_id).parent

    def children(self, session_id: str) -> list[str]:
        return list(self._children.get(session_id, ()))

    def continuation_children(self, session_id: str) -> list[str]:
        """Children that continue ``session_id`` under the shared rule, oldest first."""
        found = [c for c in self.children(session_id) if self.continued_parent(c) == session_id]
        return sorted(found, key=lambda c: _start_key(self.records[c]))

    def next_segment(self, session_id: str) -> str | None:
        """The most recently started continuation child: the next segment on the tip path (S3.5)."""
        found = self.continuation_children(session_id)
        return found[-1] if found else None

    def known_parent(self, session_id: str) -> dict[str, Any] | None:
        """The parent row when it exists in the store; missing parents expose nothing (S3.10)."""
        record = self.records.get(session_id)
        if record is None or not record.get("parent_session_id"):
            return None
        return self.records.get(str(record["parent_session_id"]))

    def rule_allows(self, session_id: str) -> bool:
        """The bare S3.4 answer for a row and its parent, before cycle handling."""
        record = self.records.get(session_id)
        return is_continuation(self.known_parent(session_id), record)
