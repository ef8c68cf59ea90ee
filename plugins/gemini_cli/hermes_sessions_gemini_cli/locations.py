"""Where Gemini CLI keeps its chats: ``<home>/tmp``, ``<home>`` being the ``.gemini`` folder.

The roots of other machines (``settings["gemini_cli"]["roots"]``) come through
:func:`~hermes_sessions_core.source_roots.folders_by_machine` (:func:`machine_folders`).

Gemini CLI puts ``.gemini`` in the user's home, or in ``GEMINI_CLI_HOME`` when that is set (the
folder that holds ``.gemini``, as its documentation says). ``settings["gemini_cli"]["home"]``
names the ``.gemini`` folder itself and wins over both. The environment is read per call.

Light on purpose (path checks only, no dataclass): the hooks ask :func:`no_gemini_here` before
importing the readers, and the core's root handling (:mod:`hermes_sessions_core.source_roots`,
which brings the remote mirror) is imported only when there is something to read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hermes_sessions_core.absent_roots import empty_file_search, only_absent_local_roots

from .names import SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext
    from hermes_sessions_core.models import Problem
    from hermes_sessions_core.search import SearchResults
    from hermes_sessions_core.source_roots import MachineFolders

    from .settings import GeminiSettings

__all__ = [
    "GEMINI_HOME_VARIABLE", "PATTERNS", "default_roots", "gemini_home", "machine_folders",
    "no_gemini_here", "empty_search",
]

GEMINI_HOME_VARIABLE = "GEMINI_CLI_HOME"
#: What a remote mirror copies, relative to a root (``tmp``): main chats, sub-agent chats
#: (``chats/<parent sessionId>/<sessionId>.jsonl``) and each project's ``.project_root``.
PATTERNS: tuple[str, ...] = (
    "*/chats/session-*.json", "*/chats/session-*.jsonl", "*/chats/*/*.jsonl", "*/.project_root",
)


def gemini_home(context: SourceContext) -> str:
    """The ``.gemini`` folder: the setting, else ``$GEMINI_CLI_HOME/.gemini``, else
    ``~/.gemini``."""
    configured = context.setting(SOURCE_NAME, "home", None)
    if isinstance(configured, (str, os.PathLike)) and os.fspath(configured):
        return os.path.expanduser(os.fspath(configured))
    base = context.locations.env.get(GEMINI_HOME_VARIABLE) or ""
    if base.strip():
        return os.path.join(os.path.expanduser(base), ".gemini")
    return os.path.join(os.path.expanduser("~"), ".gemini")


def default_roots(context: SourceContext) -> list[str]:
    """The local root of this machine: ``<.gemini>/tmp``."""
    return [os.path.join(gemini_home(context), "tmp")]


def machine_folders(
    context: SourceContext, settings: GeminiSettings, *, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """Every root as local folders by machine; ``sync`` (listings) brings remote mirrors up
    to date first, loads and searches read them as they are."""
    from hermes_sessions_core.source_roots import folders_by_machine

    return folders_by_machine(context, SOURCE_NAME, default_roots(context), patterns=PATTERNS,
                              max_files=settings.max_files, sync=sync)


def no_gemini_here(context: SourceContext) -> bool:
    """True when this machine's root is the only one and does not exist: a listing or search
    then has nothing to read and nothing to report (as :func:`machine_folders` and the
    readers would find), so it answers without importing them."""
    return only_absent_local_roots(context, SOURCE_NAME, default_roots(context))


def empty_search(context: SourceContext) -> SearchResults | None:
    """The answer of a search with no Gemini CLI root and no index (:mod:`.search` would
    create an empty index and find nothing in it), else None: the search must run."""
    if not no_gemini_here(context):
        return None
    return empty_file_search(context, SOURCE_NAME)
