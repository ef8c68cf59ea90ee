"""The thread a rollout describes, from its first line (``session_meta``).

``source`` says who started the thread: ``cli``, ``vscode``, ``exec``… or, for a sub-agent, an
object such as ``{"subagent": {"thread_spawn": {"parent_thread_id": …}}}``: sub-agent threads
are children, never rows of their own. ``forked_from_id`` names the thread a fork (Codex's
backtrack) was copied from: a fork is the user's own session and is listed, with its parent.
A first line too long to decode (a huge ``base_instructions``) is read from its prefix, where
Codex writes the scalar fields, and its last bytes, where it writes ``git``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from .ids import THREAD_ID, thread_id_in_text
from .records import string_prefix
from .summary_fields import cut_text, path_or_none

__all__ = ["ThreadMeta", "meta_from_record", "meta_from_prefix"]

_PARENT = re.compile(rb'"parent_thread_id":"(' + THREAD_ID.pattern.encode() + rb')"')
_GIT = re.compile(rb'"git":(\{[^{}]{0,4000}\})')


@dataclass(frozen=True, slots=True)
class ThreadMeta:
    thread_id: str | None = None
    started_at: str | None = None
    cwd: str | None = None
    originator: str | None = None
    cli_version: str | None = None
    source: str | None = None
    model_provider: str | None = None
    parent_thread_id: str | None = None
    is_subagent: bool = False
    forked_from_id: str | None = None
    agent_nickname: str | None = None
    agent_role: str | None = None
    git_branch: str | None = None
    git_commit: str | None = None
    git_repository: str | None = None


def _subagent(source: Any) -> tuple[bool, str | None, str | None]:
    """(is a sub-agent, its parent thread id, a short kind) for ``session_meta.source``."""
    if not isinstance(source, dict) or "subagent" not in source:
        return False, None, None
    spec = source["subagent"]
    if isinstance(spec, str):
        return True, None, spec
    parent = None
    kind = None
    if isinstance(spec, dict):
        for name, value in spec.items():
            kind = str(name)
            if isinstance(value, dict):
                parent = thread_id_in_text(value.get("parent_thread_id"))
            break
    return True, parent, kind


def _git(value: Any) -> dict[str, str | None]:
    git = value if isinstance(value, dict) else {}
    return {
        "git_branch": cut_text(git.get("branch"), 256),
        "git_commit": cut_text(git.get("commit_hash"), 64),
        "git_repository": cut_text(git.get("repository_url"), 1024),
    }


def meta_from_record(record: dict[str, Any]) -> ThreadMeta:
    """The meta of a decoded first line (any value may be of the wrong type)."""
    payload = record.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    source = payload.get("source")
    is_subagent, parent, kind = _subagent(source)
    started = payload.get("timestamp")
    return ThreadMeta(
        thread_id=thread_id_in_text(payload.get("id")),
        started_at=started if isinstance(started, str) else None,
        cwd=path_or_none(payload.get("cwd")),
        originator=cut_text(payload.get("originator"), 256),
        cli_version=cut_text(payload.get("cli_version"), 256),
        source=cut_text(source, 64) if isinstance(source, str) else (
            f"subagent:{kind}" if is_subagent else None),
        model_provider=cut_text(payload.get("model_provider"), 256),
        parent_thread_id=parent,
        is_subagent=is_subagent,
        forked_from_id=thread_id_in_text(payload.get("forked_from_id")),
        agent_nickname=cut_text(payload.get("agent_nickname"), 256),
        agent_role=cut_text(payload.get("agent_role"), 256),
        **_git(payload.get("git")),
    )


_LARGE_FIELDS = (b',"base_instructions":', b',"dynamic_tools":', b',"instructions":')


def _early_fields(prefix: bytes, suffix: bytes) -> ThreadMeta | None:
    """Codex writes the scalar fields before the large ones: the payload cut before its first
    large field is a small JSON object, decoded at once (``git`` comes from the line's end)."""
    start = prefix.find(b'"payload":{')
    if start < 0:
        return None
    cut = -1
    for field in _LARGE_FIELDS:  # in the order Codex writes them: the first found is first
        cut = prefix.find(field, start)
        if cut >= 0:
            break
    if cut < 0:
        return None
    try:
        payload = orjson.loads(prefix[start + len(b'"payload":'):cut] + b"}")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    at = suffix.rfind(b'"git":{')
    if at >= 0:
        found = _GIT.match(suffix, at)
        if found is not None:
            try:
                payload["git"] = orjson.loads(found.group(1))
            except orjson.JSONDecodeError:
                pass
    return meta_from_record({"payload": payload})


def meta_from_prefix(prefix: bytes, suffix: bytes) -> ThreadMeta:
    """The meta of a first line too long to decode, from its first and last bytes."""
    early = _early_fields(prefix, suffix)
    if early is not None:
        return early
    at = prefix.find(b'"payload":')
    payload = prefix[at:] if at >= 0 else prefix

    def text(key: bytes, limit: int = 4096) -> str | None:
        return string_prefix(payload, key, limit)

    git: dict[str, str | None] = {}
    found = _GIT.search(suffix)
    if found is not None:
        try:
            git = _git(orjson.loads(found.group(1)))
        except orjson.JSONDecodeError:
            git = {}
    parent = _PARENT.search(payload)
    is_subagent = b'"source":{"subagent"' in payload
    source = text(b"source", 64)
    return ThreadMeta(
        thread_id=thread_id_in_text(text(b"id", 64)),
        started_at=text(b"timestamp", 64),
        cwd=path_or_none(text(b"cwd")),
        originator=cut_text(text(b"originator"), 256),
        cli_version=cut_text(text(b"cli_version"), 256),
        source=source if not is_subagent else "subagent",
        model_provider=cut_text(text(b"model_provider"), 256),
        parent_thread_id=parent.group(1).decode() if parent and is_subagent else None,
        is_subagent=is_subagent,
        forked_from_id=thread_id_in_text(text(b"forked_from_id", 64)),
        agent_nickname=cut_text(text(b"agent_nickname"), 256),
        agent_role=cut_text(text(b"agent_role"), 256),
        **git,
    )
