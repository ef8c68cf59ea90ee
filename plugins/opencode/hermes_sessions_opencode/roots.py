"""This source's roots on every machine, as the core's :mod:`~hermes_sessions_core.source_roots`
hands them out: the default data folder (see :mod:`.homes`) plus configured roots.

A remote root is mirrored locally before it is read: its legacy JSON tree file by file, and
its databases as whole files, read as a snapshot (the mirror is ours, so a reader may not
change it, and no WAL of a remote writer comes with it).

Light on purpose (path checks only, no dataclass): the hooks ask :func:`no_opencode_here`
before importing the readers, and the core's root handling (that module, which brings the
remote mirror) is imported only when there is something to read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hermes_sessions_core.absent_roots import only_absent_local_roots

from .homes import data_homes, database_names
from .names import SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext
    from hermes_sessions_core.models import Problem
    from hermes_sessions_core.source_roots import MachineFolders

__all__ = [
    "MIRROR_PATTERNS", "MIRROR_MAX_FILES", "machine_folders", "context_database_names",
    "no_opencode_here",
]

#: What a remote root's mirror copies (fnmatch, ``*`` crosses folders): the databases and
#: every JSON file of the legacy tree.
MIRROR_PATTERNS = ("opencode.db", "opencode-*.db", "storage/*.json")
#: Legacy trees hold a file per message and per part: many small files.
MIRROR_MAX_FILES = 50_000


def _defaults(context: SourceContext) -> list[str]:
    return data_homes(context.locations.env, context.setting(SOURCE_NAME, "home", None))


def machine_folders(
    context: SourceContext, *, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """Every machine's OpenCode data folders (``sync``: bring remote mirrors up to date)."""
    from hermes_sessions_core.source_roots import folders_by_machine

    return folders_by_machine(context, SOURCE_NAME, _defaults(context), patterns=MIRROR_PATTERNS,
                              max_files=MIRROR_MAX_FILES, sync=sync)


def context_database_names(context: SourceContext) -> frozenset[str]:
    """Database file names this machine's environment adds (``$OPENCODE_DB``)."""
    return database_names(context.locations.env)


def no_opencode_here(context: SourceContext) -> bool:
    """True when this machine's data folders are the only roots and none exists: a listing or
    search then has nothing to read and nothing to report (as :func:`machine_folders` and the
    readers would find), so it answers without importing them."""
    return only_absent_local_roots(context, SOURCE_NAME, _defaults(context))
