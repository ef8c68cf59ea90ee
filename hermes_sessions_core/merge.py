"""Three-way merge of two copies of one session, for saves that raced another writer.

A copy remembers a :class:`Snapshot` of what it was loaded as (or last saved as). When the
stored session changed since then, the writable source hands the snapshot (the base), the
copy being saved (ours) and the stored record (theirs) to :func:`merge_records`:

- **Messages** are append-mostly. A message's identity is its ``role``, ``timestamp``,
  ``content``, ``id`` (or ``message_id``) and number of keys, so an edited message is a
  different message. When both sides kept every message of the base, in order, and only added
  (usually at the end), the result is the base plus both sides' new messages, each exactly
  once: after the base (or between the same two base messages) they are merged in timestamp
  order, each side's own order kept, theirs first on a tie. When only one side
  changed its messages, that side's list is taken whole, so a deliberate clear or truncate on
  one side survives a stale copy that only changed fields. Any other divergence (a clear,
  truncate, retry or undo on one side while the other changed messages too, or a new
  ``intentional_shrink_generation`` against changed messages) is a :class:`SessionConflict`.
- **tool_calls** follow the same rules.
- **Fields** merge one by one: the side that changed a field since the base wins; when both
  did, ours (the later save) wins. ``updated_at`` takes the later time, the token counters
  and ``estimated_cost`` add both sides' increments, and the shrink generation the higher one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import jsoncodec
from .errors import SessionConflict
from .times import to_epoch

__all__ = ["Snapshot", "message_key", "merge_records", "snapshot_of"]

#: Keys merged by their own rule, not field by field.
_LISTS = ("messages", "tool_calls")
_DERIVED = frozenset({"message_count"})
_COUNTERS = ("input_tokens", "output_tokens", "estimated_cost")
_GENERATION = "intentional_shrink_generation"
_ABSENT = object()
_PLAIN = (str, int, float, bool, type(None))


def _frozen(value: Any) -> Hashable:
    """A hashable, comparable stand-in for a JSON value (containers become their JSON)."""
    if isinstance(value, _PLAIN):
        return (type(value).__name__, value)  # keeps 1, 1.0 and True apart
    try:
        return jsoncodec.dumps_sorted(value)
    except (TypeError, ValueError):
        return repr(value)


def message_key(message: Any) -> Hashable:
    """What makes two stored messages the same message (see the module docstring)."""
    if isinstance(message, dict):
        get = message.get
        ident = get("id", get("message_id"))
        return (
            _frozen(get("role")), _frozen(get("timestamp")), _frozen(get("content")),
            _frozen(ident), len(message),
        )
    return ("", _frozen(message))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A session's content at one moment, cheap to keep: frozen fields and message keys."""

    fields: Mapping[str, Hashable]
    messages: tuple[Hashable, ...]
    tool_calls: tuple[Hashable, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether ``record`` still holds exactly this content (``updated_at`` aside)."""
        return snapshot_of(record) == self


def _keys(items: Any) -> tuple[Hashable, ...]:
    return tuple(map(message_key, items)) if isinstance(items, list) else ()


def snapshot_of(record: Mapping[str, Any]) -> Snapshot:
    """The snapshot of a session record (``Session.to_record()`` or a decoded file)."""
    fields = {
        name: _frozen(value)
        for name, value in record.items()
        if name not in _LISTS and name not in _DERIVED and name != "updated_at"
    }
    return Snapshot(fields, _keys(record.get("messages")), _keys(record.get("tool_calls")))


def _generation(record: Mapping[str, Any]) -> int:
    value = record.get(_GENERATION)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _base_generation(base: Snapshot) -> int:
    frozen = base.fields.get(_GENERATION)
    if isinstance(frozen, tuple) and frozen[0] == "int":
        return int(frozen[1])
    return 0


def _timestamp(message: Any) -> float:
    stamp = message.get("timestamp") if isinstance(message, dict) else None
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return float(stamp)
    converted = to_epoch(stamp) if stamp is not None else None
    return converted if converted is not None else float("inf")


def _merge_list(
    name: str,
    base: tuple[Hashable, ...],
    ours: list[Any],
    theirs: list[Any],
    shrunk: tuple[bool, bool],
    session_id: str,
    versions: tuple[object, object],
) -> list[Any]:
    ours_keys = _keys(ours)
    theirs_keys = _keys(theirs)
    ours_changed = ours_keys != base or shrunk[0]
    theirs_changed = theirs_keys != base or shrunk[1]
    if not ours_changed:
        return list(theirs)
    if not theirs_changed or ours_keys == theirs_keys:
        return list(ours)
    ours_grew = not shrunk[0] and _holds_in_order(ours_keys, base)
    theirs_grew = not shrunk[1] and _holds_in_order(theirs_keys, base)
    if not (ours_grew and theirs_grew):
        side = "this copy" if not ours_grew else "the stored copy"
        raise SessionConflict(
            session_id,
            f"{side} rewrote its {name} (a clear, truncate, retry or undo) while the other "
            f"changed them too, so they cannot be merged",
            loaded_version=versions[0],
            current_version=versions[1],
        )
    return _woven(base, ours_keys, ours, theirs_keys, theirs)


def _holds_in_order(keys: tuple[Hashable, ...], base: tuple[Hashable, ...]) -> bool:
    """Whether every base item is still there, in the base's order (nothing removed)."""
    remaining = iter(keys)
    return all(any(key == wanted for key in remaining) for wanted in base)


def _anchor_positions(keys: tuple[Hashable, ...], base: tuple[Hashable, ...]) -> list[int]:
    """Where each base item is in ``keys`` (earliest match, in order); the caller checked
    :func:`_holds_in_order`. Ends with ``len(keys)``, closing the last segment."""
    positions: list[int] = []
    index = 0
    for wanted in base:
        while keys[index] != wanted:
            index += 1
        positions.append(index)
        index += 1
    positions.append(len(keys))
    return positions


def _woven(
    base: tuple[Hashable, ...],
    ours_keys: tuple[Hashable, ...], ours: list[Any],
    theirs_keys: tuple[Hashable, ...], theirs: list[Any],
) -> list[Any]:
    """Both sides kept the base in order and added items: between each pair of base items,
    both sides' additions merged by timestamp, each side's own order kept (theirs first on a
    tie), an item both added kept once."""
    ours_at = _anchor_positions(ours_keys, base)
    theirs_at = _anchor_positions(theirs_keys, base)
    merged: list[Any] = []
    ours_start = theirs_start = 0
    for segment in range(len(base) + 1):
        ours_end, theirs_end = ours_at[segment], theirs_at[segment]
        available = Counter(ours_keys[ours_start:ours_end])
        theirs_added = []
        for key, item in zip(theirs_keys[theirs_start:theirs_end], theirs[theirs_start:theirs_end]):
            if available[key]:
                available[key] -= 1  # added by both: ours carries it
            else:
                theirs_added.append(item)
        merged.extend(_by_time(theirs_added, ours[ours_start:ours_end]))
        if segment < len(base):
            merged.append(ours[ours_end])
        ours_start, theirs_start = ours_end + 1, theirs_end + 1
    return merged


def _by_time(first: list[Any], second: list[Any]) -> list[Any]:
    """Merge two sequences by timestamp, keeping each one's own order; ``first`` wins ties."""
    result: list[Any] = []
    i = j = 0
    while i < len(first) and j < len(second):
        if _timestamp(second[j]) < _timestamp(first[i]):
            result.append(second[j])
            j += 1
        else:
            result.append(first[i])
            i += 1
    result.extend(first[i:])
    result.extend(second[j:])
    return result


def _merge_field(name: str, base: Any, ours: Any, theirs: Any) -> Any:
    """One field: the side that changed it wins, ours when both did; counters add up."""
    if ours is _ABSENT or _frozen(ours) == base:
        return theirs
    if theirs is _ABSENT or _frozen(theirs) == base or name not in _COUNTERS:
        return ours
    numbers = (int, float)
    base_value = base[1] if isinstance(base, tuple) and base[0] in ("int", "float") else 0
    if isinstance(ours, numbers) and isinstance(theirs, numbers):
        return theirs + (ours - base_value)
    return ours


def merge_records(
    base: Snapshot,
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    *,
    session_id: str,
    versions: tuple[object, object] = (None, None),
) -> dict[str, Any]:
    """The record that keeps both sides' changes, or :class:`SessionConflict` (see module).

    ``versions`` (the version ``ours`` was loaded from, the stored one) only name the
    versions in a conflict's message. Neither input is modified.
    """
    base_generation = _base_generation(base)
    ours_generation, theirs_generation = _generation(ours), _generation(theirs)
    shrunk = (ours_generation > base_generation, theirs_generation > base_generation)
    merged: dict[str, Any] = {}
    names: Iterable[str] = list(ours) + [n for n in theirs if n not in ours]
    for name in names:
        if name in _LISTS or name in _DERIVED:
            continue
        if name == "updated_at":
            merged[name] = _later(ours.get(name), theirs.get(name))
            continue
        value = _merge_field(
            name, base.fields.get(name, _ABSENT), ours.get(name, _ABSENT), theirs.get(name, _ABSENT)
        )
        if value is not _ABSENT:
            merged[name] = value
    if shrunk[0] or shrunk[1]:
        merged[_GENERATION] = max(ours_generation, theirs_generation)
    for name, keys in (("messages", base.messages), ("tool_calls", base.tool_calls)):
        mine = ours.get(name)
        other = theirs.get(name)
        merged[name] = _merge_list(
            name, keys, mine if isinstance(mine, list) else [],
            other if isinstance(other, list) else [], shrunk, session_id, versions,
        )
    return merged


def _later(ours: Any, theirs: Any) -> Any:
    mine, other = to_epoch(ours), to_epoch(theirs)
    if mine is None:
        return theirs if other is not None else ours
    if other is None:
        return ours
    return ours if mine >= other else theirs
