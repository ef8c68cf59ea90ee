"""The plugins report: every plugin once, loaded or not, with what it can do and what failed.

What ``hermes-sessions plugins`` and a host's diagnostics page show. Built from the dispatcher's
sources and problems and the manager's records; it asks no hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .manager import SessionsPluginManager

__all__ = ["plugin_report"]


def plugin_report(
dispatcher: Dispatcher, manager: SessionsPluginManager, enabled: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """One entry per plugin, for `plugins` views: each loaded source with its capabilities,
    then each plugin that failed to load.

    A source that loaded but raised in a hook is one entry with status ``failed`` (its
    first failure in ``hook``/``error``, all of them in ``failures``), never an ``ok`` entry
    plus a ``failed`` one: a report that names a plugin twice reads as two plugins.
    """
    report: list[dict[str, Any]] = []
    loaded: dict[tuple[str, str | None], dict[str, Any]] = {}
    for source in dispatcher.ordered_sources():
        record = manager.record_of(source.name)
        entry: dict[str, Any] = {
            "name": source.info.name,
            "plugin": source.name,
            "label": source.info.label,
            "writable": source.info.writable,
            "id_prefixes": list(source.info.id_prefixes),
            "priority": source.info.priority,
            "enabled": enabled(source.info.name),
            "origin": record.origin if record else "unknown",
            "module": record.module if record else None,
            "distribution": source.distribution,
            "status": "ok",
            "failures": [],
        }
        loaded[(source.name, source.distribution)] = entry
        report.append(entry)
    unloaded: dict[tuple[str, str | None], dict[str, Any]] = {}
    load_problems = manager.load_problems
    for problem in dispatcher.problems:
        distribution = problem.distribution or dispatcher.distribution_of(problem.source)
        key = (problem.source, distribution)
        # A load problem is about a plugin that never registered, even when another
        # distribution's plugin of the same name did (the loser of a name clash).
        found = None if problem in load_problems else loaded.get(key)
        if found is None:
            found = unloaded.get(key)
        if found is None:
            found = {
                "name": problem.source,
                "plugin": problem.source,
                "status": "failed",
                "distribution": distribution,
                "failures": [],
            }
            unloaded[key] = found
            report.append(found)
        failure = {
            "hook": problem.hook,
            "error": f"{problem.error_type}: {problem.message}",
            "path": problem.path,
        }
        if not found["failures"]:
            found.update(failure, status="failed")
        found["failures"].append(failure)
    return report
