"""Machines and roots: which machine a row comes from, how its id says so, and which roots
a source's settings configure (see :mod:`.source_roots` for how sources read them).

Apart from :mod:`.source_roots` so the mirror (:mod:`.remote_mirror`) can use the roots
without the code that uses the mirror.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .problems import Problem
from .redaction import redact_secrets

if TYPE_CHECKING:
    from .hookspecs import SourceContext

__all__ = [
    "LOCAL_MACHINE",
    "MACHINE_KEY",
    "InvalidMachineLabel",
    "MachineFolders",
    "SourceRoot",
    "configured_roots",
    "default_mirror_home",
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


def default_mirror_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/hermes-sessions/remote`` (``~/.cache`` by default): a copy of other
    machines' files, never the user's own data, so read commands may refresh it."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hermes-sessions" / "remote"
