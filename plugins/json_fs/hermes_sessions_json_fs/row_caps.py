"""Size caps on what one sidebar row carries, so a huge field costs its session, not the sidebar.

A row is a summary: the file keeps every byte, the row only what a sidebar shows. A 10 MB
title would otherwise make every listing, every ``_index.json`` fold and every page of the Web
UI carry 10 MB. Rows are capped where they are made from a session (a save, a rebuild, a row
recomputed from its file), so ``_index.json`` holds capped rows; rows another writer put in the
index are capped as they are read when their size shows (see ``index.decode_entries``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ROW_TEXT_MAX_CHARS", "ROW_VALUE_MAX_BYTES", "capped_row"]

#: Any text in a row (title, pending message, compression summary, ...) is cut to this many
#: characters; a path or id is never that long when it is valid.
ROW_TEXT_MAX_CHARS = 4096
#: A list or object in a row (composer draft, routing and its history, toolsets) larger than
#: this much JSON becomes empty there. With about 45 keys a row stays well under 1 MiB.
ROW_VALUE_MAX_BYTES = 16 * 1024


def capped_row(row: dict[str, Any]) -> dict[str, Any]:
    """Cap ``row``'s values in place (see the module docstring) and return it."""
    for key, value in row.items():
        if isinstance(value, str):
            if len(value) > ROW_TEXT_MAX_CHARS:
                row[key] = value[:ROW_TEXT_MAX_CHARS]
        elif isinstance(value, (list, dict)) and value and not _fits(value, ROW_VALUE_MAX_BYTES):
            row[key] = type(value)()
    return row


def _fits(value: Any, budget: int) -> bool:
    """Whether ``value`` encodes to about ``budget`` bytes of JSON or less, walked without
    recursion and stopping as soon as the budget is spent."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            budget -= len(item) + 3
        elif isinstance(item, dict):
            budget -= 2
            for key, child in item.items():
                budget -= len(str(key)) + 4
                pending.append(child)
        elif isinstance(item, list):
            budget -= 2 + len(item)  # a comma each, at least: a huge list ends the walk here
            if budget >= 0:
                pending.extend(item)
        else:
            budget -= 8
        if budget < 0:
            return False
    return True
