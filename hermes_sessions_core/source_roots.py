"""Where a file-based read-only source reads: its roots, each on a machine.

A source's roots are its default local folders (this machine) plus the ones its settings
list under ``roots``::

    settings = {"claude_code": {"roots": [
        {"url": "sftp://me@laptop/home/me/.claude/projects", "machine": "laptop"},
    ]}}

(``"local": False`` in the same table drops the defaults.) A remote root is any fsspec URL;
it is read through a local mirror (:mod:`.remote_mirror`) so every parser, cache and bound
a source has for local folders applies unchanged. Rows from another machine carry
``machine`` and an id scoped to it (:func:`scoped_id`), so the same session copied to two
machines is two rows, and a row's id says where it lives.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from .machines import (
    LOCAL_MACHINE,
    MACHINE_KEY,
    InvalidMachineLabel,
    MachineFolders,
    SourceRoot,
    configured_roots,
    scoped_id,
    split_scoped_id,
    validate_machine_label,
)
from .problems import Problem

if TYPE_CHECKING:
    from .hookspecs import SourceContext
    from .models import Session
    from .records import SourceListing, Transcript
    from .search import SearchHit, SearchResults

__all__ = [
    "LOCAL_MACHINE",
    "MACHINE_KEY",
    "InvalidMachineLabel",
    "MachineFolders",
    "SourceRoot",
    "configured_roots",
    "folders_by_machine",
    "list_by_machine",
    "load_by_machine",
    "scoped_id",
    "search_by_machine",
    "split_scoped_id",
    "validate_machine_label",
]


def folders_by_machine(
    context: SourceContext,
    source: str,
    defaults: Iterable[str | os.PathLike[str]],
    *,
    patterns: Sequence[str],
    max_files: int,
    sync: bool = True,
) -> tuple[list[MachineFolders], list[Problem]]:
    """Every root of ``source`` as local folders, grouped by machine (this machine first).

    Remote roots are mirrored: with ``sync`` the mirror first catches up with the root (one
    remote listing, then only new or changed files matching ``patterns``, at most the
    ``max_files`` most recently modified); without, the mirror is read as it is (opening a
    session the last listing showed costs no round trip)."""
    roots, problems = configured_roots(context, source, defaults)
    groups: dict[str | None, MachineFolders] = {}
    for root in roots:
        group = groups.setdefault(root.machine, MachineFolders(root.machine))
        if not root.is_remote:
            folder = os.path.expanduser(root.url.removeprefix("file://"))
            group.folders.append(folder)
            group.origins[folder] = folder
            continue
        from .remote_mirror import mirror_for  # only a remote root needs the mirror (and hashlib)

        mirror = mirror_for(context, source, root)
        if sync:
            problems.extend(mirror.sync(patterns=patterns, max_files=max_files))
        group.folders.append(os.fspath(mirror.folder))
        group.origins[os.fspath(mirror.folder)] = root.shown
    ordered = sorted(groups.values(), key=lambda g: (g.machine is not None, g.machine or ""))
    return ordered, problems


#: Row keys holding one session id, and one holding a list of them (chains, S3.9).
_ID_KEYS = (
    "session_id", "parent_session_id", "_lineage_root_id", "_lineage_tip_id",
    "_parent_lineage_root_id",
)
_ID_LIST_KEYS = ("_lineage_segment_ids",)


def _scoped(prefix: str, value: Any, machine: str) -> Any:
    if not isinstance(value, str) or not value or not value.startswith(prefix):
        return value
    split = split_scoped_id(prefix, value)
    return scoped_id(prefix, split[1] if split else value, machine)


def _scoped_row(row: Mapping[str, Any], prefix: str, group: MachineFolders) -> dict[str, Any]:
    """A row of another machine: every id it names scoped to that machine, its ``machine``
    set, and its ``source_path`` the remote one."""
    values = dict(row)
    if group.machine is None:
        return values
    for key in _ID_KEYS:
        if key in values:
            values[key] = _scoped(prefix, values[key], group.machine)
    for key in _ID_LIST_KEYS:
        if isinstance(values.get(key), (list, tuple)):
            values[key] = [_scoped(prefix, item, group.machine) for item in values[key]]
    subagents = values.get("subagents")
    if isinstance(subagents, (list, tuple)):  # children open by id: theirs are scoped too
        values["subagents"] = [
            {**child, "session_id": _scoped(prefix, child["session_id"], group.machine)}
            if isinstance(child, Mapping) and "session_id" in child else child
            for child in subagents
        ]
    values[MACHINE_KEY] = group.machine
    path = values.get("source_path")
    if isinstance(path, str):
        for folder, origin in group.origins.items():
            if path.startswith(folder.rstrip("/") + "/"):
                values["source_path"] = origin.rstrip("/") + path[len(folder.rstrip("/")):]
                break
    return values


def list_by_machine(
    groups: Sequence[MachineFolders],
    problems: Sequence[Problem],
    prefix: str,
    list_folders: Callable[[list[str]], SourceListing],
) -> SourceListing:
    """One listing over every machine: ``list_folders`` per machine's folders, rows from other
    machines re-keyed with :func:`scoped_id` and labelled; newest first across machines."""
    from .records import SourceListing
    from .rows import SessionRow

    rows: list[Any] = []
    found: list[Problem] = list(problems)
    source = ""
    for group in groups:
        listing = list_folders(list(group.folders))
        source = listing.source
        found.extend(listing.problems)
        if group.machine is None:
            rows.extend(listing.rows)
            continue
        rows.extend(SessionRow.adopt(_scoped_row(row, prefix, group)) for row in listing.rows)
    if len(groups) > 1:
        rows.sort(key=lambda row: -(row.get("last_message_at") or row.get("updated_at") or 0))
    return SourceListing(source, tuple(rows), tuple(found))


def load_by_machine(
    groups: Sequence[MachineFolders],
    prefix: str,
    session_id: str,
    load: Callable[[str, list[str]], Session | Transcript | None],
) -> Any:
    """What ``load(native_id, folders)`` gives for the machine the id names, re-keyed to the
    scoped id; None for an id not under ``prefix`` or a machine with no roots."""
    split = split_scoped_id(prefix, session_id)
    if split is None:
        return None
    machine, native = split
    for group in groups:
        if group.machine != machine:
            continue
        found = load(scoped_id(prefix, native, None), list(group.folders))
        if found is None or machine is None:
            return found
        return _rekeyed(found, session_id, machine)
    return None


def search_by_machine(
    groups: Sequence[MachineFolders],
    prefix: str,
    search_folders: Callable[[list[str], str | None], SearchResults],
) -> SearchResults:
    """``search_folders(folders, machine)`` per machine, hits from other machines re-keyed to
    their scoped ids, then every hit in :func:`~.search.rank_key` order."""
    from dataclasses import replace

    from .search import SearchResults, rank_key

    hits: list[SearchHit] = []
    problems: list[Problem] = []
    sources: list[str] = []
    for group in groups:
        results = search_folders(list(group.folders), group.machine)
        problems.extend(results.problems)
        sources.extend(name for name in results.sources if name not in sources)
        for hit in results.hits:
            if group.machine is not None:
                split = split_scoped_id(prefix, hit.session_id)
                native = split[1] if split else hit.session_id
                hit = replace(hit, session_id=scoped_id(prefix, native, group.machine))
            hits.append(hit)
    hits.sort(key=rank_key)
    return SearchResults(tuple(hits), tuple(problems), tuple(sources))


def _rekeyed(found: Any, session_id: str, machine: str) -> Any:
    from dataclasses import replace

    from .records import Transcript

    if isinstance(found, Transcript):
        return replace(found, session_id=session_id)
    found.session_id = session_id
    setattr(found, MACHINE_KEY, machine)
    return found


