"""Shell completion of the values a user would otherwise look up: source names, profiles and
session ids, read from the same locations the command would use.

A completer runs on every Tab press, inside the shell's prompt: it never writes, never prints
an error, and gives nothing rather than a traceback when the home cannot be read.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import typer

__all__ = ["complete_machines", "complete_profiles", "complete_session_ids", "complete_sources"]


def complete_sources(ctx: typer.Context, incomplete: str) -> list[str]:
    """The loaded sources' names (built-ins and installed plugins)."""
    return _answer(lambda store: list(store.dispatcher.sources), ctx, incomplete)


def complete_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    """Profiles with a folder under the home."""
    return _answer(lambda store: store.locations.known_profiles(), ctx, incomplete)


def complete_machines(ctx: typer.Context, incomplete: str) -> list[str]:
    """``local`` and the machines the settings file names (no remote is contacted)."""
    from .app import known_machines

    return _answer(lambda store: known_machines(store, ()), ctx, incomplete)


def complete_session_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Ids in the sidebar of the profile given so far (every profile when none was), newest
    first, archived and cron sessions included: whatever `show` could open."""
    def ids(store: Any) -> list[str]:
        profile = ctx.params.get("profile")
        listing = store.list_sessions(
            profile, all_profiles=profile is None, include_archived=True, include_cron=True
        )
        return [row.session_id for row in listing.rows]

    return _answer(ids, ctx, incomplete)


def _answer(
    values: Callable[[Any], Any], ctx: typer.Context, incomplete: str
) -> list[str]:
    from .app import open_store

    params = ctx.params
    with _quiet_library():
        try:
            store = open_store(
                params.get("home"), params.get("state_dir"), params.get("sessions_url"),
                params.get("claude_dir"), cli_row_limit=-1,
            )
            try:
                found = [str(value) for value in values(store)]
            finally:
                store.close()
        except Exception:  # noqa: BLE001 - a Tab press must never print a traceback
            return []
    return [value for value in dict.fromkeys(found) if value.startswith(incomplete)]


@contextmanager
def _quiet_library() -> Iterator[None]:
    """The library's warnings would land in the middle of the user's prompt."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)
