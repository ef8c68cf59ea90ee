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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from .problems import Problem
from .redaction import redact_secrets

if TYPE_CHECKING:
    from .hookspecs import SourceContext
    from .models import Session
    from .records import SourceListing, Transcript
    from .search import SearchHit, SearchResults

__all__ = [
    "LOCAL_MACHINE",
    "MACHINE_KEY",
    "MachineFolders",
    "SourceRoot",
    "configured_roots",
    "folders_by_machine",
    "list_by_machine",
    "load_by_machine",
    "search_by_machine",
    "scoped_id",
    "split_scoped_id",
    "validate_machine_label",
]

#: What ``--machine`` calls this machine; rows from local roots carry no machine key.
LOCAL_MACHINE = "local"
#: The row key naming the machine a row was read from (absent: this machine).
MACHINE_KEY = "machine"
#: A machine label: short, lower case, no ``_`` (so a scoped id splits one way only).
_MACHINE_LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_SCOPE_SEPARATOR = "__"


class InvalidMachineLabel(ValueError):
    """A configured machine label that ids and ``--machine`` could not carry."""


def validate_machine_label(label: object) -> str:
    if (
        not isinstance(label, str) or _MACHINE_LABEL.fullmatch(label) is None
        or label == LOCAL_MACHINE
    ):
        raise InvalidMachineLabel(
            f"machine label {label!r} must be 1-32 of a-z, 0-9 and '-', starting with a letter "
            f"or digit, and not {LOCAL_MACHINE!r} (the name of this machine)"
        )
    return label


def scoped_id(prefix: str, native_id: str, machine: str | None) -> str:
    """``<prefix><native>`` on this machine, ``<prefix><machine>__<native>`` on another."""
    if machine is None:
        return f"{prefix}{native_id}"
    return f"{prefix}{machine}{_SCOPE_SEPARATOR}{native_id}"


def split_scoped_id(prefix: str, session_id: str) -> tuple[str | None, str] | None:
    """``(machine or None, native id)`` for an id under ``prefix``; None if not under it."""
    if not isinstance(session_id, str) or not session_id.startswith(prefix):
        return None
    rest = session_id[len(prefix):]
    head, separator, tail = rest.partition(_SCOPE_SEPARATOR)
    if separator and tail and _MACHINE_LABEL.fullmatch(head) and head != LOCAL_MACHINE:
        return head, tail
    return None, rest


@dataclass(frozen=True)
class SourceRoot:
    """One configured root: a local folder or an fsspec URL, and the machine it is on
    (None: this machine). ``options`` are fsspec storage options (credentials; never shown)."""

    url: str
    machine: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_remote(self) -> bool:
        return "://" in self.url and not self.url.startswith("file://")

    @property
    def shown(self) -> str:
        """The URL with any password removed, for messages and rows."""
        return str(redact_secrets(self.url))


@dataclass
class MachineFolders:
    """One machine's roots as local folders a source reads with its ordinary code."""

    machine: str | None
    folders: list[str] = field(default_factory=list)
    #: local folder → the root it stands for (the mirror's URL, or the folder itself)
    origins: dict[str, str] = field(default_factory=dict)


def _problem(source: str, kind: str, message: str, path: str | None = None) -> Problem:
    return Problem(source=source, hook="hermes_sessions_list_rows", error_type=kind,
                   message=message, path=path)


def configured_roots(
    context: SourceContext, source: str, defaults: Iterable[str | os.PathLike[str]]
) -> tuple[list[SourceRoot], list[Problem]]:
    """The default local roots (unless ``local`` is false) then the configured ones; a bad
    entry becomes a problem naming it, and the rest stand."""
    problems: list[Problem] = []
    roots: list[SourceRoot] = []
    if context.setting(source, "local", True) is not False:
        roots.extend(SourceRoot(os.fspath(path)) for path in defaults)
    configured = context.setting(source, "roots", None) or ()
    if isinstance(configured, (str, Mapping)) or not isinstance(configured, Sequence):
        configured = (configured,)
    for index, entry in enumerate(configured):
        where = f"settings[{source!r}]['roots'][{index}]"
        if isinstance(entry, (str, os.PathLike)):
            entry = {"url": os.fspath(entry)}
        if not isinstance(entry, Mapping) or not isinstance(entry.get("url"), str):
            problems.append(_problem(source, "InvalidRoot", f"{where}: expected a URL or a "
                                     "table with 'url' and 'machine'; skipped"))
            continue
        machine = entry.get("machine")
        try:
            label = None if machine in (None, LOCAL_MACHINE) else validate_machine_label(machine)
        except InvalidMachineLabel as error:
            problems.append(_problem(source, "InvalidRoot", f"{where}: {error}; skipped"))
            continue
        root = SourceRoot(entry["url"], label, dict(entry.get("options") or {}))
        if root.is_remote and label is None:
            problems.append(_problem(source, "InvalidRoot", f"{where}: {root.shown} is on "
                                     "another machine; give it a 'machine' label; skipped"))
            continue
        roots.append(root)
    return roots, problems


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
    from .remote_mirror import mirror_for

    roots, problems = configured_roots(context, source, defaults)
    groups: dict[str | None, MachineFolders] = {}
    for root in roots:
        group = groups.setdefault(root.machine, MachineFolders(root.machine))
        if not root.is_remote:
            folder = os.path.expanduser(root.url.removeprefix("file://"))
            group.folders.append(folder)
            group.origins[folder] = folder
            continue
        mirror = mirror_for(context, source, root)
        if sync:
            problems.extend(mirror.sync(patterns=patterns, max_files=max_files))
        group.folders.append(os.fspath(mirror.folder))
        group.origins[os.fspath(mirror.folder)] = root.shown
    ordered = sorted(groups.values(), key=lambda g: (g.machine is not None, g.machine or ""))
    return ordered, problems


def _scoped_row(row: Mapping[str, Any], prefix: str, group: MachineFolders) -> dict[str, Any]:
    values = dict(row)
    if group.machine is not None:
        for key in ("session_id", "parent_session_id"):
            value = values.get(key)
            if isinstance(value, str) and value.startswith(prefix):
                native = split_scoped_id(prefix, value)
                values[key] = scoped_id(prefix, native[1] if native else value, group.machine)
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


def default_mirror_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/hermes-sessions/remote`` (``~/.cache`` by default): a copy of other
    machines' files, never the user's own data, so read commands may refresh it."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hermes-sessions" / "remote"
