"""Session ids of Codex threads: ``codex_<thread id>``.

A thread id is the UUID Codex prints in lower case (``019e1625-789d-76c0-80ab-3724b5ddb799``)
and puts at the end of the rollout's file name, so ids need no mapping: the id names the file
without opening it. A file whose name holds anything else (capitals included) is not a rollout
Codex wrote and is skipped, so two files can never claim one id.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .settings import ID_PREFIX

__all__ = [
    "THREAD_ID", "ROLLOUT_NAME", "session_id_for", "thread_id_of", "thread_id_in_name",
    "thread_id_in_text",
]

THREAD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: ``rollout-<local time>-<thread id>.jsonl``; the time part is not relied on.
ROLLOUT_NAME = re.compile(r"rollout-.*-(" + THREAD_ID.pattern + r")\.jsonl")


def session_id_for(thread_id: str) -> str:
    return ID_PREFIX + thread_id


def thread_id_of(session_id: object) -> str | None:
    """The thread id inside one of our ids; None for anything else (S1.3)."""
    if not isinstance(session_id, str) or not session_id.startswith(ID_PREFIX):
        return None
    rest = session_id[len(ID_PREFIX):]
    return rest if THREAD_ID.fullmatch(rest) else None


@lru_cache(maxsize=65536)  # names repeat on every listing; the answer never changes
def thread_id_in_name(name: str) -> str | None:
    match = ROLLOUT_NAME.fullmatch(name)
    return match.group(1) if match else None


def thread_id_in_text(value: object) -> str | None:
    """A thread id written in a record (``parent_thread_id``, ``forked_from_id``), if valid."""
    if isinstance(value, str) and THREAD_ID.fullmatch(value.strip().lower()):
        return value.strip().lower()
    return None
