"""Whether a file-based source has nothing to read on this machine, from path checks alone.

A store is built in every Web UI process and every command, and most machines lack most
agents. A source asks :func:`only_absent_local_roots` before it imports its readers (and the
remote mirror): when it holds, a listing has no row and no problem to report, exactly as the
readers would find. Imports nothing beyond the standard library.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .hookspecs import SourceContext
    from .search import SearchResults

__all__ = ["only_absent_local_roots", "empty_file_search"]


def only_absent_local_roots(
    context: SourceContext, source: str, defaults: Iterable[str | os.PathLike[str]]
) -> bool:
    """True when ``defaults`` are ``source``'s only roots (no ``roots`` setting, ``local`` not
    false), all local, and none exists. Anything else, a default the OS refuses to examine
    included, is False: the ordinary path reads it and reports what it meets."""
    if context.setting(source, "local", True) is False:
        return False
    if context.setting(source, "roots", None):
        return False  # other machines' roots, or entries the ordinary path reports as bad
    urls = [os.fspath(default) for default in defaults]
    if not urls:
        return False
    for url in urls:
        if "://" in url and not url.startswith("file://"):
            return False  # read through a mirror
        # As source_roots.folders_by_machine, then the readers, turn a root into a folder.
        path = os.path.expanduser(os.path.expanduser(url.removeprefix("file://")))
        try:
            os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue  # the agent never ran here: nothing to read, nothing to report
        except (OSError, ValueError):
            return False
        return False
    return True


def empty_file_search(context: SourceContext, source: str) -> SearchResults | None:
    """What a search of ``source`` answers when it has no root here (see
    :func:`only_absent_local_roots`) and no index file: nothing, with the progress an empty
    catch-up reports, and no index created. None when an index exists: it may hold transcripts
    that are gone now, and the search must forget them."""
    from .search import SearchResults, index_progress
    from .search_files import search_index_path

    if os.path.lexists(search_index_path(context.locations, context.setting, source)):
        return None
    progress = index_progress(context, source)
    if progress is not None:  # what catching up an empty index reports: nothing to read
        progress(0, 0)
        progress(0, 0)
    return SearchResults((), (), (source,))
