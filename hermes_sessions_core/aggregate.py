"""The sidebar: merge every source's rows into one list, de-duplicated, filtered and sorted (S6).

Pure functions over :class:`~hermes_sessions_core.models.SourceListing` values, so the rules can
be tested without any storage. The store gathers the listings and supplies the lineage lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from .locations import Locations
from .models import (
    MESSAGING_IDENTITY_FIELDS,
    Problem,
    SessionRow,
    SidebarListing,
    SourceListing,
    to_flag,
)
from .times import MAX_EPOCH, to_epoch

__all__ = [
    "SidebarOptions",
    "build_sidebar",
    "merge_listings",
    "is_draft",
    "is_cron_row",
    "is_cli_classified",
    "lineage_additions",
    "renamed_titles",
    "with_renamed_title",
    "sort_rows",
    "SOURCE_FIELDS",
]

#: Fields that say where a session came from; filled from other sources when missing (S6.2).
SOURCE_FIELDS = ("source_tag", "raw_source", "session_source", "source_label")
_TIME_FIELDS = ("created_at", "updated_at", "last_message_at")
_DEFAULT_TITLES = {"", "untitled", "cli", "cli session"}

LineageLookup = Callable[
    [str, frozenset[str]], "tuple[Mapping[str, Mapping[str, Any]], list[Problem]]"
]


@dataclass(frozen=True)
class SidebarOptions:
    """What the caller asked for (S6.1-S6.11).

    ``writable_source`` names the Web UI store (whose rows win the merge, S6.2) and
    ``agent_sources`` the agent stores (hidden with ``show_cli_sessions`` off, S6.3): the store
    finds both by the roles the sources claim, so the rules never name a plugin.
    """

    profile: str
    all_profiles: bool = False
    include_archived: bool = False
    include_cron: bool = False
    show_cli_sessions: bool = True
    cli_row_limit: int = 20
    enrich_limit: int = 300
    writable_source: str = ""
    agent_sources: frozenset[str] = frozenset()


# ── row predicates ───────────────────────────────────────────────────────────────────────────


def is_draft(row: Mapping[str, Any]) -> bool:
    """Untitled, no messages, no stream, nothing pending, no worktree (S6.6)."""
    title = row.get("title")
    return (
        (not title or title == "Untitled")
        and not row.get("message_count")
        and not row.get("active_stream_id")
        and not row.get("has_pending_user_message")
        and not row.get("pending_user_message")
        and not row.get("worktree_path")
    )


def is_cron_row(row: Mapping[str, Any]) -> bool:
    """``source_tag`` cron or an id starting ``cron_`` (S5.5), or source ``cron`` (S6.7)."""
    session_id = str(row.get("session_id") or "")
    return (
        row.get("source_tag") == "cron"
        or row.get("source") == "cron"
        or row.get("raw_source") == "cron"
        or session_id.startswith("cron_")
    )


def _is_messaging(row: Mapping[str, Any]) -> bool:
    return row.get("session_source") == "messaging"


def is_cli_classified(row: Mapping[str, Any]) -> bool:
    """Raw source ``cli``, or a legacy default-titled CLI row that is not messaging (S3.13)."""
    raw = str(row.get("raw_source") or row.get("source_tag") or "").lower()
    if raw == "cli":
        return True
    if not row.get("is_cli_session") or _is_messaging(row):
        return False
    if row.get("session_source") == "external_agent" or row.get("read_only"):
        return False
    title = str(row.get("title") or "").strip().lower()
    return title in _DEFAULT_TITLES or (bool(raw) and title == f"{raw} session")


def _sort_key(row: SessionRow) -> tuple[bool, float, str]:
    fields = row.fields
    stamp = fields.get("last_message_at")
    if type(stamp) is not float or not 0.0 < stamp <= MAX_EPOCH:  # the usual value: a float
        stamp = to_epoch(stamp) or to_epoch(fields.get("updated_at")) or 0.0
    pinned = fields.get("pinned")
    if type(pinned) is not bool:  # rows of other sources: one rule for odd values (S1.8)
        pinned = to_flag(pinned)
    return (pinned, stamp, str(fields.get("session_id") or ""))


def sort_rows(rows: Iterable[SessionRow]) -> list[SessionRow]:
    """Pinned first, then newest activity, then id, all as floats (S6.5, S8.16)."""
    return sorted(rows, key=_sort_key, reverse=True)


class _RowFacts(NamedTuple):
    """What the sidebar rules read from one row, derived once per row (``SessionRow.memoized``):
    sources keep their rows between listings, and the sidebar is polled. A named tuple: built
    once for every row of a large store, it must be cheap to make."""

    session_id: str
    sort_key: tuple[bool, float, str]
    draft: bool
    cron: bool
    archived: bool
    cli_classified: bool
    imported_cli: bool
    messaging: bool
    stream: Any
    streaming_flag: Any


def _facts(row: SessionRow) -> _RowFacts:
    fields = row.fields
    get = fields.get
    key = _sort_key(row)
    # The rules' predicates, asked only where a row could match them: most rows are plain
    # Web UI rows without a source tag, and this runs once for every row of a large store.
    tagged = get("raw_source") or get("source_tag") or get("is_cli_session")
    cli = bool(tagged) and is_cli_classified(fields)
    session_id = key[2]
    return _RowFacts(
        session_id,
        key,
        not get("message_count") and is_draft(fields),
        is_cron_row(fields) if tagged or get("source") or session_id[:5] == "cron_" else False,
        to_flag(get("archived")),
        cli,
        cli and bool(get("is_cli_session")),
        get("session_source") == "messaging",
        get("active_stream_id"),
        get("is_streaming", None),
    )


# ── merging ──────────────────────────────────────────────────────────────────────────────────


def _merge_pair(primary: SessionRow, other: SessionRow) -> SessionRow:
    """A Web UI row and another source's row for the same id (S6.2)."""
    changes: dict[str, Any] = {}
    if _is_messaging(other) or _is_messaging(primary):
        for name in _TIME_FIELDS + SOURCE_FIELDS:
            if other.get(name) is not None:
                changes[name] = other[name]
        for name in MESSAGING_IDENTITY_FIELDS:
            if other.get(name) is not None and primary.get(name) is None:
                changes[name] = other[name]
        counts = [
            c for c in (primary.get("message_count"), other.get("message_count"))
            if isinstance(c, int)
        ]
        if counts:
            changes["message_count"] = max(counts)
        if primary.get("title") in (None, "", "Untitled") and other.get("title"):
            changes["title"] = other["title"]
        if primary.get("model") in (None, "", "unknown") and other.get("model"):
            changes["model"] = other["model"]
    else:
        for name in SOURCE_FIELDS:
            if primary.get(name) is None and other.get(name) is not None:
                changes[name] = other[name]
    return primary.replace(**changes) if changes else primary


def merge_listings(
    listings: Iterable[SourceListing], writable_source: str
) -> tuple[dict[str, tuple[str, SessionRow]], list[Problem]]:
    """One row per id, each with the name of the source that supplied it (S6.2).

    Listings come in source priority order, so the Web UI store answers first; a later row
    with a known id only contributes what S6.2 allows.
    """
    merged: dict[str, tuple[str, SessionRow]] = {}
    problems: list[Problem] = []
    for listing in listings:
        problems.extend(listing.problems)
        for row in listing.rows:
            session_id = row.memoized(_facts).session_id
            known = merged.get(session_id)
            if known is None:
                merged[session_id] = (listing.source, row)
            elif known[0] == writable_source and listing.source != writable_source:
                merged[session_id] = (known[0], _merge_pair(known[1], row))
    return merged, problems


# ── the sidebar ──────────────────────────────────────────────────────────────────────────────


def build_sidebar(
    listings: Iterable[SourceListing],
    options: SidebarOptions,
    locations: Locations,
    live_stream_ids: frozenset[str] = frozenset(),
    lineage: LineageLookup | None = None,
) -> SidebarListing:
    """Apply S6.2-S6.11 to the sources' listings."""
    listings = list(listings)
    merged, problems = merge_listings(listings, options.writable_source)
    writable = options.writable_source
    webui_titles: dict[str, Any] = {}
    if any(listing.source != writable and listing.rows for listing in listings):
        # S6.4 needs them only for foreign rows
        webui_titles = renamed_titles(row for source, row in merged.values() if source == writable)

    # One pass over the rows; predicates read the row's mapping directly and the sort key is
    # computed once, because this loop runs for every session on every sidebar poll.
    entries: list[tuple[tuple[bool, float, str], str, SessionRow]] = []
    cli_ids: set[str] = set()
    other_profiles = 0
    show_cli = options.show_cli_sessions
    for source, row in merged.values():
        if source == writable:
            facts = row.memoized(_facts)
            if not show_cli and facts.imported_cli:
                continue  # imported CLI copies follow the agent switch (S6.3)
        else:
            if not show_cli and source in options.agent_sources:
                continue
            row = with_renamed_title(row, webui_titles)
            facts = row.memoized(_facts)
        if facts.draft:
            continue
        if facts.cron and not options.include_cron:
            continue
        if facts.archived and not options.include_archived:
            continue
        if not options.all_profiles and not _in_profile(row.fields, options.profile, locations):
            other_profiles += 1
            continue
        streaming = bool(facts.stream) and facts.stream in live_stream_ids
        if facts.streaming_flag is not streaming:
            row = row.replace(is_streaming=streaming)
        if facts.cli_classified:
            cli_ids.add(facts.session_id)
        entries.append((facts.sort_key, source, row))

    entries = _newest_per_messaging_identity(entries)
    entries.sort(key=lambda entry: entry[0], reverse=True)
    ordered = _cap_cli_rows(entries, cli_ids, options.cli_row_limit)
    capped = len(entries) - len(ordered)
    if lineage is not None:
        ordered, lineage_problems = _enrich(ordered, options, lineage)
        problems.extend(lineage_problems)
    problems.extend(locations.problems)  # defaults the OS refused to let us probe (a HOME)
    return SidebarListing(
        rows=tuple(row for _, row in ordered),
        problems=tuple(problems),
        other_profile_count=other_profiles,
        sources=tuple(listing.source for listing in listings),
        capped_cli_count=capped,
        row_sources=tuple(source for source, _ in ordered),
    )


def renamed_titles(webui_rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Web UI titles by session id, for S6.4; default titles say nothing."""
    titles: dict[str, Any] = {}
    for row in webui_rows:
        title = row.get("title")
        if title not in (None, "", "Untitled"):
            titles[str(row.get("session_id"))] = title
    return titles


def with_renamed_title(row: SessionRow, webui_titles: Mapping[str, Any]) -> SessionRow:
    """A Web UI title under the row id or any chain segment, nearest the tip first (S6.4)."""
    segments = row.get("_lineage_segment_ids")
    candidates = [row.session_id]
    if isinstance(segments, (list, tuple)):
        candidates.extend(str(s) for s in segments)
    for session_id in candidates:
        title = webui_titles.get(session_id)
        if title:
            return row if row.get("title") == title else row.replace(title=title)
    return row


def _in_profile(row: Mapping[str, Any], profile: str, locations: Locations) -> bool:
    """S6.8: external-agent rows without a profile appear everywhere; others default."""
    row_profile = row.get("profile")
    if row_profile is None and row.get("session_source") == "external_agent":
        return True
    return locations.profiles_match(row_profile, profile)


def _messaging_identity(row: SessionRow) -> tuple[Any, ...] | None:
    if not _is_messaging(row):
        return None
    platform = row.get("platform") or row.get("raw_source")
    if row.get("session_key"):
        return (platform, "key", row["session_key"])
    parts = (row.get("chat_id"), row.get("thread_id"), row.get("user_id"))
    if any(part is not None for part in parts):
        return (platform, "chat", *parts)
    return None


def _newest_per_messaging_identity(
    entries: list[tuple[tuple[bool, float, str], str, SessionRow]],
) -> list[tuple[tuple[bool, float, str], str, SessionRow]]:
    """Keep only the newest row per messaging identity (S6.9)."""
    newest: dict[tuple[Any, ...], tuple[float, str]] = {}
    identities: dict[str, tuple[Any, ...]] = {}
    for key, _, row in entries:
        if not row.memoized(_facts).messaging:
            continue
        identity = _messaging_identity(row)
        if identity is None:
            continue
        identities[row.session_id] = identity
        stamp = (key[1], key[2])
        if identity not in newest or stamp > newest[identity]:
            newest[identity] = stamp
    if not newest:
        return entries
    return [
        entry for entry in entries
        if entry[2].session_id not in identities
        or newest[identities[entry[2].session_id]][1] == entry[2].session_id
    ]


def _cap_cli_rows(
    entries: list[tuple[tuple[bool, float, str], str, SessionRow]],
    cli_ids: set[str],
    limit: int,
) -> list[tuple[str, SessionRow]]:
    """At most ``limit`` CLI-classified rows, the newest ones (S6.10); entries are sorted."""
    if limit < 0 or len(cli_ids) <= limit:
        return [(source, row) for _, source, row in entries]
    seen = 0
    kept = []
    for key, source, row in entries:
        if key[2] in cli_ids:
            seen += 1
            if seen > limit:
                continue
        kept.append((source, row))
    return kept


def lineage_additions(row: Mapping[str, Any], keys: Mapping[str, Any]) -> dict[str, Any]:
    """The lineage keys a row takes (S6.11): only keys it lacks, and never a new
    ``parent_session_id`` over a fork link it already has (#465)."""
    additions = {k: v for k, v in keys.items() if k not in row or row.get(k) is None}
    if row.get("parent_session_id"):
        additions.pop("parent_session_id", None)
    return additions


def _enrich(
    rows: list[tuple[str, SessionRow]], options: SidebarOptions, lineage: LineageLookup
) -> tuple[list[tuple[str, SessionRow]], list[Problem]]:
    """Lineage keys for the first Web UI rows, from each row's own profile (S6.11, S8.15)."""
    by_profile: dict[str, set[str]] = {}
    for source, row in rows[: options.enrich_limit]:
        if source != options.writable_source or to_flag(row.get("archived")):
            continue
        by_profile.setdefault(str(row.get("profile") or "default"), set()).add(row.session_id)
    if not by_profile:
        return rows, []
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    problems: list[Problem] = []
    for profile, ids in by_profile.items():
        answer, lookup_problems = lineage(profile, frozenset(ids))
        problems.extend(lookup_problems)
        for session_id, keys in answer.items():
            found[(profile, session_id)] = keys
    if not found:
        return rows, problems
    prefix = rows[: options.enrich_limit]  # only these can receive keys
    enriched = []
    for source, row in prefix:
        found_keys = found.get((str(row.get("profile") or "default"), row.session_id))
        if found_keys:
            additions = lineage_additions(row, found_keys)
            if additions:
                row = row.replace(**additions)
        enriched.append((source, row))
    enriched.extend(rows[options.enrich_limit:])
    return enriched, problems
