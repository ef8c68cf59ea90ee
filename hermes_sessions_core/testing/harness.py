"""One source under test: its plugin, where its data lives, and two ways to call it.

``call_*`` methods ask the plugin through :meth:`Dispatcher.call
<hermes_sessions_core.dispatch.Dispatcher.call>` over a manager holding only that plugin: the
same path, wrappers and time bound as every call a store makes, but a raising hook raises here
(the contract sees what the plugin really does). ``store()`` builds a fresh
:class:`~hermes_sessions_core.store.SessionStore` over the same plugin, so the same data is
also checked through the core's routing and isolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from ..dispatch import Dispatcher, Source
from ..hookspecs import ListRequest, SourceContext
from ..manager import SessionsPluginManager, make_plugin_manager
from ..models import Session, SourceInfo, SourceListing, Transcript

if TYPE_CHECKING:
    from ..locations import Locations
    from ..store import SessionStore

__all__ = ["SourceHarness"]


@dataclass
class SourceHarness:
    """A plugin object (usually a module of ``@hookimpl`` functions) and its configuration."""

    plugin: object
    locations: Locations
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.manager = self._manager()
        self.dispatcher = Dispatcher(self.manager, settings=self.settings)
        problems = [problem.describe() for problem in self.dispatcher.problems]
        assert not problems, f"the plugin under test could not describe its source: {problems}"
        sources = list(self.dispatcher.sources.values())
        assert len(sources) == 1, (
            f"the plugin under test must describe exactly one source with "
            f"hermes_sessions_source_info, got {[s.info for s in sources]!r}"
        )
        self.source: Source = sources[0]
        self.info: SourceInfo = self.source.info

    def _manager(self, name: str | None = None) -> SessionsPluginManager:
        label = str(name or getattr(self.plugin, "__name__", type(self.plugin).__name__))
        manager = make_plugin_manager(
            builtins=(), entry_points=False, extra_plugins=[(label, self.plugin)], environ={}
        )
        problems = [problem.describe() for problem in manager.load_problems]
        assert not problems, f"the plugin under test did not register: {problems}"
        return manager

    # ── direct hook calls ────────────────────────────────────────────────────────────────

    def context(self) -> SourceContext:
        return SourceContext(self.locations, self.settings, frozenset())

    def request(self, **changes: Any) -> ListRequest:
        """A listing request that asks for everything: every profile, archived, cron."""
        profile = self.locations.active_profile(None)
        values: dict[str, Any] = {
            "profile": profile,
            "profiles": tuple(self.locations.known_profiles()) or (profile,),
            "all_profiles": True,
            "include_archived": True,
            "include_cron": True,
        }
        values.update(changes)
        return ListRequest(**values)

    def implements(self, hook_name: str) -> bool:
        return self.dispatcher.implements(self.source, hook_name)

    def call(self, hook_name: str, **arguments: Any) -> Any:
        """The plugin's answer to any hook, asked as the store asks it; errors raise."""
        return self.dispatcher.call(self.source, hook_name, **arguments)

    def call_list_rows(self, **request: Any) -> SourceListing | None:
        result: SourceListing | None = self.call(
            "hermes_sessions_list_rows", context=self.context(), request=self.request(**request)
        )
        return result

    def listed_rows(self) -> dict[str, Any]:
        """``{session_id: row}`` of one direct listing (empty when the source answers None)."""
        listing = self.call_list_rows()
        if listing is None:
            return {}
        return {row.session_id: row for row in listing.rows}

    def call_load(self, session_id: str, metadata_only: bool = False) -> Session | None:
        result: Session | None = self.call(
            "hermes_sessions_load_session",
            context=self.context(), session_id=session_id, metadata_only=metadata_only,
        )
        return result

    def call_read_messages(self, session_id: str, limit: int | None = None) -> Transcript | None:
        result: Transcript | None = self.call(
            "hermes_sessions_read_messages",
            context=self.context(), session_id=session_id, limit=limit,
        )
        return result

    # ── through the core ─────────────────────────────────────────────────────────────────

    def store(self, **kwargs: Any) -> SessionStore:
        """A fresh store over this plugin only: empty cache, no entry points."""
        from ..store import SessionStore

        kwargs.setdefault("plugin_manager", self._manager())
        kwargs.setdefault("settings", self.settings)
        return SessionStore(self.locations, **kwargs)

    def unknown_id(self) -> str:
        """A valid id this source cannot hold: its own prefix, then an unlikely tail."""
        prefix = self.info.id_prefixes[0] if self.info.id_prefixes else ""
        return f"{prefix}0000dead0000beef"
