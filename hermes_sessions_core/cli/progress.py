"""Progress bars on stderr for work a source reports (``store.reporting_*_progress``): a
search catching up an index, ``reindex``, ``usage`` reading every transcript whole.

Shown only in a terminal, and never on stdout, so piped output and ``--json`` stay clean.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .app import err

__all__ = ["source_progress_bars"]


@contextmanager
def source_progress_bars(
    describe: Callable[[str], str], *, disable: bool = False, transient: bool = True,
    show_unknown: bool = False, percent: bool = False,
) -> Iterator[Callable[[str, int, int], None]]:
    """A callback ``progress(source, done, total)`` drawing one bar per source, labelled
    ``describe(source)``, with ``done/total`` (sessions, say) or, when the steps are no unit a
    reader knows, a ``percent``. A total of 0 draws nothing, or (``show_unknown``) a bar that
    only counts; ``transient`` bars vanish when the block ends."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = err()
    with Progress(
        TextColumn("{task.description}"), BarColumn(),
        TaskProgressColumn() if percent else MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=disable or not console.is_terminal, transient=transient,
    ) as bars:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if not total and not show_unknown:
                return
            if name not in tasks:
                tasks[name] = bars.add_task(describe(name), total=total or None)
            bars.update(tasks[name], completed=done, total=total or None)

        yield progress
