"""SessionRow: one sidebar row as a read-only mapping, safe to keep and list again (S1.12).

A source may keep its rows between listings; what the sidebar derives from a row is memoized
on it, and every caller gets copies, so nobody can alter a row a source has cached (S0.2).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

from .times import to_epoch

__all__ = ["SessionRow", "rows_from_dicts"]

_Derived = TypeVar("_Derived")
_CONTAINERS = (list, dict)


@dataclass(frozen=True, slots=True)
class SessionRow(Mapping[str, Any]):
    """One sidebar row (S1.12): a read-only mapping with typed accessors.

    Built with :meth:`adopt` from a dict nobody else holds, or with :meth:`kept` from one a
    source keeps and lists again; :meth:`to_dict` gives each caller a copy of its own, nested
    lists and dicts included.
    """

    fields: Mapping[str, Any]
    # What the sidebar derived from this row, and which keys hold containers: computed on
    # first use and kept, because a kept row is listed on every sidebar poll.
    _memo: Any = field(default=None, init=False, repr=False, compare=False)
    _nested: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _frozen: bool = field(default=False, init=False, repr=False, compare=False)

    @classmethod
    def adopt(cls, values: dict[str, Any]) -> SessionRow:
        """Wrap ``values`` without copying; the caller must not keep a reference to it."""
        return cls(MappingProxyType(values))

    @classmethod
    def kept(cls, values: dict[str, Any]) -> SessionRow:
        """Wrap a dict its source keeps and lists again, so the same row (and what the sidebar
        derived from it) serves every listing (S0.2).

        Its nested lists and dicts are replaced, in place, by tuples and read-only mappings
        of equal values (the same JSON), which no caller can change; :meth:`to_dict` gives
        them back as lists and dicts. The source must not change ``values`` afterwards.
        """
        nested = tuple([key for key, value in values.items() if type(value) in _CONTAINERS])
        for key in nested:
            values[key] = _read_only(values[key])
        row = cls(MappingProxyType(values))
        object.__setattr__(row, "_nested", nested)
        object.__setattr__(row, "_frozen", True)
        return row

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SessionRow:
        """Wrap a copy of ``values``."""
        return cls(MappingProxyType(dict(values)))

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        # Direct, not Mapping.get's try/except around __getitem__: the sidebar calls this a
        # dozen times per row.
        return self.fields.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def session_id(self) -> str:
        return str(self.fields.get("session_id") or "")

    @property
    def source_tag(self) -> str | None:
        return self.fields.get("source_tag")

    @property
    def profile(self) -> str | None:
        return self.fields.get("profile")

    def sort_time(self) -> float:
        """``last_message_at`` else ``updated_at``, as a float (S6.5, S8.16)."""
        return (
            to_epoch(self.fields.get("last_message_at"))
            or to_epoch(self.fields.get("updated_at"))
            or 0.0
        )

    def replace(self, **changes: Any) -> SessionRow:
        """A new row with ``changes`` applied; keys set to ``...`` are removed."""
        values = self.to_dict() if self._frozen else _copied(self.fields)
        for key, value in changes.items():
            if value is ...:
                values.pop(key, None)
            else:
                values[key] = value
        return SessionRow(MappingProxyType(values))

    def memoized(self, compute: Callable[[SessionRow], _Derived]) -> _Derived:
        """``compute(self)``, computed once per row and kept (one function per row: the
        sidebar's facts), since the row cannot change."""
        memo = self._memo
        if memo is not None and memo[0] is compute:
            return memo[1]  # type: ignore[no-any-return]
        value = compute(self)
        object.__setattr__(self, "_memo", (compute, value))
        return value

    def to_dict(self) -> dict[str, Any]:
        """A copy for the caller, its lists and dicts copied too, so nothing the caller
        changes reaches a row a source keeps."""
        values = _copied(self.fields)
        nested = self._nested
        if self._frozen:
            for key in nested or ():
                values[key] = _thawed(values[key])
            return values
        if nested is None:
            nested = tuple([k for k, v in values.items() if type(v) in _CONTAINERS])
            object.__setattr__(self, "_nested", nested)
        for key in nested:
            value = values[key]
            values[key] = copy.deepcopy(value) if value else type(value)()
        return values


def _read_only(value: Any) -> Any:
    """Lists as tuples and dicts as read-only mappings, all the way down."""
    if type(value) is list:
        return tuple([_read_only(item) for item in value]) if value else ()
    if type(value) is dict:
        if not value:
            return _EMPTY_MAPPING  # most rows' composer_draft: one shared empty mapping
        return MappingProxyType({key: _read_only(item) for key, item in value.items()})
    return value


_EMPTY_MAPPING: Mapping[str, Any] = MappingProxyType({})


def _thawed(value: Any) -> Any:
    """What :func:`_read_only` made, as new lists and dicts."""
    if type(value) is tuple:
        return [_thawed(item) for item in value]
    if type(value) is MappingProxyType:
        return {key: _thawed(item) for key, item in value.items()}
    return value


def _copied(fields: Mapping[str, Any]) -> dict[str, Any]:
    # A proxy's own copy() is a C-level dict copy, five times faster than dict(proxy).
    return fields.copy() if type(fields) is MappingProxyType else dict(fields)


def rows_from_dicts(values: Iterable[dict[str, Any]]) -> tuple[SessionRow, ...]:
    """Adopt freshly built dicts as rows."""
    return tuple(SessionRow.adopt(value) for value in values)
