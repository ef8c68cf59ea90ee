"""Build a fresh plugin manager: built-in sources first, then third-party entry points.

Importing this module registers nothing. Each call to :func:`make_plugin_manager` loads every
plugin inside its own ``try``: a plugin that fails to import, has an invalid hook, implements a
hook that does not exist (a misspelled name) or repeats a name becomes a
:class:`~hermes_sessions_core.models.Problem`, is logged once, and the others load.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterable

import pluggy

from .builtin_plugins import BUILTIN_PLUGINS
from .hookspecs import ENTRY_POINT_GROUP, PROJECT_NAME, HermesSessionsSpec
from .models import Problem

__all__ = [
    "BUILTIN_PLUGINS",
    "BLOCK_ENV_VAR",
    "PluginRecord",
    "SessionsPluginManager",
    "make_plugin_manager",
]

logger = logging.getLogger(__name__)

#: Comma-separated plugin names to block, in addition to the ``blocked`` argument.
BLOCK_ENV_VAR = "HERMES_SESSIONS_BLOCKED_PLUGINS"


@dataclass(frozen=True)
class PluginRecord:
    """Where a registered plugin came from, for reports."""

    name: str
    origin: str  # "builtin" or "entry point"
    module: str
    distribution: str | None = None
    version: str | None = None


class SessionsPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and what failed."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(HermesSessionsSpec)
        self.load_problems: list[Problem] = []
        self.records: dict[str, PluginRecord] = {}

    def register_source(
        self, plugin: Any, record: PluginRecord
    ) -> bool:
        """Register ``plugin`` under ``record.name``; failures become load problems."""
        if self.is_blocked(record.name):
            logger.info("hermes-sessions plugin %r is blocked by configuration", record.name)
            return False
        try:
            self.register(plugin, name=record.name)
        except (pluggy.PluginValidationError, ValueError) as error:
            self._report(record, "register", error)
            return False
        unknown = self.unknown_hooks(plugin)
        if unknown:
            self.unregister(plugin, name=record.name)
            self._report(record, unknown[0], self._unknown_hook_error(plugin, unknown))
            return False
        self.records[record.name] = record
        return True

    def unknown_hooks(self, plugin: Any) -> list[str]:
        """Hooks ``plugin`` implements that have no specification and are not optional.

        pluggy's :meth:`~pluggy.PluginManager.check_pending` asks the same of the whole manager
        and raises for the first plugin it meets; asked per plugin, one misspelled hook (say
        ``hermes_sessions_list_row``) fails only the plugin that has it.
        """
        unknown = set()
        for caller in self.get_hookcallers(plugin) or ():
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not impl.optionalhook:
                    unknown.add(caller.name)
        return sorted(unknown)

    def _unknown_hook_error(self, plugin: Any, names: list[str]) -> pluggy.PluginValidationError:
        import difflib

        known = [name for name in vars(HermesSessionsSpec) if name.startswith(f"{PROJECT_NAME}_")]
        hints = []
        for name in names:
            close = difflib.get_close_matches(name, known, n=1)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        return pluggy.PluginValidationError(
            plugin,
            f"implements hook(s) that hermes-sessions does not have: {', '.join(hints)}; the "
            f"plugin was not loaded. Fix the name (see the hook table in the README), or mark an "
            f"implementation meant for a later hermes-sessions @hookimpl(optionalhook=True)",
        )

    def record_of(self, name: str) -> PluginRecord | None:
        return self.records.get(name)

    def _report(self, record: PluginRecord, hook: str, error: BaseException) -> None:
        problem = Problem.from_exception(
            record.name, hook, error, distribution=_dist_label(record)
        )
        self.load_problems.append(problem)
        # The traceback goes to the log only: hosts and `hermes-sessions --verbose` show it,
        # reports stay one line per problem.
        logger.warning(
            "hermes-sessions plugin failed to load: %s", problem.describe(), exc_info=error
        )


def _dist_label(record: PluginRecord) -> str | None:
    if record.distribution is None:
        return None
    return f"{record.distribution} {record.version or ''}".strip()


def blocked_names(blocked: Iterable[str] = (), environ: dict[str, str] | None = None) -> set[str]:
    env = os.environ if environ is None else environ
    names = {name.strip() for name in blocked if name.strip()}
    names.update(part.strip() for part in env.get(BLOCK_ENV_VAR, "").split(",") if part.strip())
    return names


def make_plugin_manager(
    *,
    builtins: bool | Iterable[str] = True,
    entry_points: bool = True,
    blocked: Iterable[str] = (),
    extra_plugins: Iterable[tuple[str, Any]] = (),
    environ: dict[str, str] | None = None,
) -> SessionsPluginManager:
    """A new manager with the built-in sources and the installed third-party ones.

    ``builtins`` may name a subset of built-in sources; ``entry_points=False`` skips the
    ``hermes_sessions.plugins`` group (tests do). ``blocked`` names (plus the
    ``HERMES_SESSIONS_BLOCKED_PLUGINS`` variable) are never registered. ``extra_plugins`` are
    ``(name, plugin)`` pairs registered after the built-ins.
    """
    manager = SessionsPluginManager()
    for name in blocked_names(blocked, environ):
        manager.set_blocked(name)
    wanted = None if builtins is True else set(builtins or ())
    for name, module_name in BUILTIN_PLUGINS:
        if wanted is not None and name not in wanted:
            continue
        record = PluginRecord(name=name, origin="builtin", module=module_name)
        if manager.is_blocked(name):
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # a broken built-in must not take the sidebar down
            manager._report(record, "import", error)
            continue
        manager.register_source(module, record)
    for name, plugin in extra_plugins:
        module_name = getattr(plugin, "__name__", type(plugin).__name__)
        manager.register_source(plugin, PluginRecord(name=name, origin="extra", module=module_name))
    if entry_points:
        _load_entry_points(manager)
    _check_pending(manager)
    return manager


def _check_pending(manager: SessionsPluginManager) -> None:
    """pluggy's own check that every registered hook implementation has a specification.

    ``register_source`` already unregistered each plugin with a misspelled hook, naming the
    plugin and the hook; this is pluggy's word that nothing slipped past, and if something did
    (a plugin registered by other means), it is reported as a load problem, not raised.
    """
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        plugin = error.plugin
        name = manager.get_name(plugin) or repr(plugin)
        record = manager.records.get(name) or PluginRecord(
            name=name, origin="unknown", module=type(plugin).__name__
        )
        manager._report(record, "check_pending", error)


def _load_entry_points(manager: SessionsPluginManager) -> None:
    if not may_declare_entry_points(ENTRY_POINT_GROUP):
        return
    from importlib import metadata  # ~50 ms in a bare process: only when a plugin may exist

    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry_point, "dist", None)
        record = PluginRecord(
            name=entry_point.name,
            origin="entry point",
            module=entry_point.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        if manager.is_blocked(entry_point.name):
            logger.info("hermes-sessions plugin %r is blocked by configuration", entry_point.name)
            continue
        if manager.has_plugin(entry_point.name) or entry_point.name in manager.records:
            existing = manager.records.get(entry_point.name)
            owner = existing.module if existing is not None else "another plugin"
            manager._report(
                record,
                "register",
                ValueError(
                    f"plugin name {entry_point.name!r} is already registered by {owner}"
                ),
            )
            continue
        try:
            plugin = entry_point.load()
        except Exception as error:
            manager._report(record, "import", error)
            continue
        manager.register_source(plugin, record)


def may_declare_entry_points(group: str) -> bool:
    """Whether some distribution on ``sys.path`` may declare entry points in ``group``.

    ``importlib.metadata`` stays the one reader of entry points; this only spares its import
    (about 50 ms on Python 3.11: email, zipfile, csv), which every command and every Web UI
    process would otherwise pay though most machines have no third-party plugin. It looks where
    ``importlib.metadata`` looks, the ``*.dist-info`` and ``*.egg-info`` folders of each path
    entry, for an ``entry_points.txt`` that names ``group``. Anything it cannot judge (a zip or
    egg file on the path, another distribution finder, an unreadable file) answers yes.
    """
    if any(
        hasattr(finder, "find_distributions") and finder is not importlib.machinery.PathFinder
        for finder in sys.meta_path
    ):
        return True
    needle = group.encode("utf-8")
    for entry in sys.path:
        root = entry or "."
        try:
            names = os.listdir(root)
        except NotADirectoryError:
            return True  # a zip or an egg file: importlib.metadata reads inside it
        except OSError:
            continue  # a missing folder holds no distribution
        infos = [name for name in names if name.lower().endswith((".dist-info", ".egg-info"))]
        if root.lower().endswith(".egg"):
            infos.append("EGG-INFO")
        for name in infos:
            try:
                with open(os.path.join(root, name, "entry_points.txt"), "rb") as handle:
                    if needle in handle.read():
                        return True
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:
                return True
    return False
