"""Calling one plugin's hook: through pluggy's own hook caller, within a time bound.

Every hook call of a store comes through :meth:`PluginHookCalls.call`. It asks one plugin
through a subset hook caller that leaves out the hook's other answering plugins and keeps every
wrapper, so hook wrappers, ``add_hookcall_monitoring``, ``enable_tracing`` and
``list_plugin_distinfo()`` work as pluggy documents; a third-party read runs in a daemon worker
and is abandoned after its bound (:class:`SourceTimeout`), so a hung plugin costs one bound.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "BOUNDED_HOOKS",
    "CALL_TIMEOUT_ENV_VAR",
    "DEFAULT_CALL_TIMEOUT",
    "PluginHookCalls",
    "SourceTimeout",
    "bound_for",
    "timeout_from",
]

logger = logging.getLogger(__name__)

#: Seconds a read or listing hook may run before its source is reported and skipped.
DEFAULT_CALL_TIMEOUT = 10.0
#: Overrides the default for every store of the process; ``0`` or ``off`` disables the bound.
CALL_TIMEOUT_ENV_VAR = "HERMES_SESSIONS_CALL_TIMEOUT"
#: Hooks that only read, so a call that overruns can be abandoned without losing a write.
#: A third-party plugin's ``source_info`` is bounded when a store is built, its ``projects``
#: on every project listing: a plugin that hangs there costs one bound, then is reported.
BOUNDED_HOOKS: frozenset[str] = frozenset({
    "hermes_sessions_source_info",
    "hermes_sessions_list_rows",
    "hermes_sessions_load_session",
    "hermes_sessions_is_current",
    "hermes_sessions_read_messages",
    "hermes_sessions_lineage_metadata",
    "hermes_sessions_has_sessions",
    "hermes_sessions_recoverable_sessions",
    "hermes_sessions_search",
    "hermes_sessions_projects",
    "hermes_sessions_agent_transcript",
    "hermes_sessions_cron_project_id",
})


class SourceTimeout(TimeoutError):
    """A source's read hook did not answer in time; the call was abandoned (never a crash).

    Not a :class:`HermesSessionsError`, so every read path isolates it like any other failure.
    """

    def __init__(self, source: str, hook: str, seconds: float) -> None:
        self.source = source
        self.hook = hook
        self.seconds = seconds
        skipped = (
            "is left out of this store" if hook == "hermes_sessions_source_info"
            else "was skipped for this call"
        )
        super().__init__(
            f"plugin {source!r} did not answer {hook} within {seconds:g} s and {skipped}; "
            f"raise the bound with settings {{'core': {{'call_timeout': N}}}} or "
            f"{CALL_TIMEOUT_ENV_VAR}, or block the plugin with "
            f"HERMES_SESSIONS_BLOCKED_PLUGINS={source}"
        )


class PluginHookCalls:
    """pluggy's callers of one manager's hooks, one plugin at a time, built on first use.

    The manager's plugins are taken as they are when a caller is first built: a store builds
    its dispatcher after registering every plugin.
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self._callers: dict[tuple[str, str], pluggy.HookCaller | None] = {}

    def answering(self, hook_name: str) -> list[tuple[str, object]]:
        """The plugins that implement ``hook_name`` (wrappers aside), as (name, plugin), in
        registration order (built-ins first) with ``tryfirst`` ones ahead and ``trylast``
        ones behind, as pluggy's markers promise."""
        caller = getattr(self.manager.hook, hook_name)
        answering = [impl for impl in caller.get_hookimpls() if not _wraps(impl)]
        answering.sort(key=lambda impl: 0 if impl.tryfirst else 2 if impl.trylast else 1)
        return [(impl.plugin_name, impl.plugin) for impl in answering]

    def implements(self, plugin_name: str, hook_name: str) -> bool:
        """Whether the plugin answers ``hook_name`` (a wrapper alone does not)."""
        return self._caller(plugin_name, hook_name) is not None

    def call(
        self, plugin_name: str, hook_name: str, seconds: float | None, **arguments: Any
    ) -> Any:
        """The one way a hook is called: one plugin's answer, through pluggy's hook caller (so
        wrappers, monitoring and tracing apply), inline or within ``seconds``; ``None`` when
        the plugin does not implement the hook. Failures propagate to the caller, who decides
        whether they are isolated (reads) or raised (writes)."""
        caller = self._caller(plugin_name, hook_name)
        if caller is None:
            return None
        if seconds is None:
            return _one_answer(caller, arguments)
        return _call_bounded(plugin_name, hook_name, seconds, _one_answer, (caller, arguments))

    def _caller(self, plugin_name: str, hook_name: str) -> pluggy.HookCaller | None:
        """pluggy's caller of ``hook_name`` for one plugin: every other plugin's answer is left
        out, every hook wrapper stays in."""
        key = (plugin_name, hook_name)
        try:
            return self._callers[key]
        except KeyError:
            pass
        hook = getattr(self.manager.hook, hook_name)
        implementations = [impl for impl in hook.get_hookimpls() if not _wraps(impl)]
        caller: pluggy.HookCaller | None = None
        if any(impl.plugin_name == plugin_name for impl in implementations):
            others = [impl.plugin for impl in implementations if impl.plugin_name != plugin_name]
            caller = self.manager.subset_hook_caller(hook_name, remove_plugins=others)
        self._callers[key] = caller
        return caller


def bound_for(hook_name: str, settings: object, default: float | None) -> float | None:
    """The bound of a third-party call of ``hook_name``: none for a write (it must finish or
    fail; abandoning one could lose data), else ``settings["core"]["call_timeout"]`` when the
    store sets it, else ``default``.

    Built-in sources run inline and are never asked for a bound: they ship and are tested with
    this library and bound their own waits (SQLite's busy timeout), and a worker thread per call
    would cost more than a metadata read itself.
    """
    if hook_name not in BOUNDED_HOOKS:
        return None
    core = settings.get("core") if isinstance(settings, Mapping) else None
    if isinstance(core, Mapping) and "call_timeout" in core:
        return timeout_from(core["call_timeout"], None)
    return default


def timeout_from(explicit: object, environment: str | None) -> float | None:
    """Seconds from an argument or the environment; ``None``, ``0`` or ``off`` mean unbounded."""
    value: object = explicit if explicit is not None else environment
    if value is None:
        return DEFAULT_CALL_TIMEOUT
    if isinstance(value, str) and value.strip().lower() in ("", "off", "none"):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        logger.warning("ignoring call timeout %r: not a number of seconds", value)
        return DEFAULT_CALL_TIMEOUT
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


def _wraps(impl: pluggy.HookImpl) -> bool:
    """A wrapper surrounds other plugins' answers; it gives none of its own."""
    return bool(impl.wrapper or impl.hookwrapper)


def _one_answer(caller: pluggy.HookCaller, arguments: dict[str, Any]) -> Any:
    """The answer of the one plugin ``caller`` runs: a ``firstresult`` hook returns it (or
    ``None``); any other returns pluggy's list of non-``None`` answers."""
    result = caller(**arguments)
    if caller.spec is not None and caller.spec.opts.get("firstresult"):
        return result
    return result[0] if result else None


def _call_bounded(
    source: str, hook_name: str, seconds: float, function: Callable[..., Any],
    arguments: tuple[Any, ...],
) -> Any:
    """Run one hook in a daemon worker and wait at most ``seconds`` for it.

    A daemon thread, not an executor: a hung plugin must never keep the process from exiting.
    The abandoned worker finishes (or hangs) on its own; its late answer is dropped.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function(*arguments)
        except BaseException as error:  # handed to the caller's thread, re-raised there
            outcome["error"] = error

    worker = threading.Thread(target=run, name=f"hermes-sessions:{source}:{hook_name}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise SourceTimeout(source, hook_name, seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
