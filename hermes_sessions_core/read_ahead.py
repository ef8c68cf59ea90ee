"""Asking the OS to start reading the files a listing is about to summarise.

A first listing after a reboot waits on the disk for every window it reads: one file at a
time, the head, then the tail. ``posix_fadvise(WILLNEED)`` lets the kernel fetch the next
files' windows in the background while the current one is parsed, so the disk serves many
requests at once instead of one after another. With the file cache warm it costs an open and
a close per file. Where the call is missing (not Linux or BSD) nothing is asked, and a file
that cannot be opened as a regular file is simply not read ahead: the summarising read
reports it.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from .regular_files import open_regular_fd

__all__ = ["start_reading", "reading_ahead", "head_and_tail", "cached_or_read_ahead"]

T = TypeVar("T")
V = TypeVar("V")

_WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", None)
#: Files asked for ahead of the one being summarised: enough to keep a disk's queue busy.
DEPTH = 32


def start_reading(path: str, ranges: Iterable[tuple[int, int]]) -> None:
    """Ask the kernel to read these ``(offset, length)`` ranges of ``path`` into its cache in
    the background; never raises, never blocks on the disk."""
    if _WILLNEED is None:
        return
    try:
        fd = open_regular_fd(path)
    except OSError:
        return
    try:
        for offset, length in ranges:
            if length > 0:
                os.posix_fadvise(fd, offset, length, _WILLNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def reading_ahead(
    items: Sequence[T], where: Callable[[T], tuple[str, Iterable[tuple[int, int]]]],
    depth: int = DEPTH,
) -> Iterator[T]:
    """``items`` in order, each yielded once the OS was asked to read the ranges ``where(item)``
    names for it and the ``depth - 1`` items after it."""
    asked = 0
    for index, item in enumerate(items):
        while asked < min(len(items), index + depth):
            start_reading(*where(items[asked]))
            asked += 1
        yield item


def head_and_tail(
    path: str, size: int, whole_up_to: int, head: int, tail: int
) -> tuple[str, list[tuple[int, int]]]:
    """What a windowed summary of ``path`` reads: all of a file of at most ``whole_up_to``
    bytes, else its first ``head`` and last ``tail`` bytes (for :func:`reading_ahead`)."""
    if size <= whole_up_to:
        return path, [(0, size)]
    return path, [(0, head), (max(0, size - tail), tail)]


def cached_or_read_ahead(
    files: Sequence[T], cached: Callable[[T], V | None],
    where: Callable[[T], tuple[str, Iterable[tuple[int, int]]]], depth: int = DEPTH,
) -> Iterator[tuple[T, V | None]]:
    """Each file with what a listing's cache holds for it (``cached(file)``, looked up once);
    before a file the cache lacks is yielded, the OS was asked to read it and the next
    ``depth - 1`` such files (:func:`reading_ahead`). A warm listing asks for nothing."""
    known = [cached(file) for file in files]
    ahead = reading_ahead([file for file, value in zip(files, known) if value is None],
                          where, depth)
    for file, value in zip(files, known):
        if value is None:
            next(ahead, None)
        yield file, value
