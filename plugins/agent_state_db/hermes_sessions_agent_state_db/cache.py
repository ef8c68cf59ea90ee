"""A small TTL + LRU cache for listings, with one shared rebuild per key (S3.23, S8.9).

The lock guards only the table: rebuilds run outside it, so a slow database never blocks
callers of another key (#4842), and callers that arrive during a rebuild of their key wait for
that one rebuild instead of starting their own. Values are treated as immutable; callers copy.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from .essentials import DEFAULT_TTL

__all__ = ["DEFAULT_TTL", "MAX_KEYS", "TtlLruCache"]

MAX_KEYS = 8

V = TypeVar("V")


class _Flight(Generic[V]):
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None


class TtlLruCache(Generic[V]):
    """At most ``max_keys`` values, each fresh for ``ttl`` seconds of monotonic time."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._flights: dict[Hashable, _Flight[V]] = {}
        self.builds = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get_or_build(
        self,
        key: Hashable,
        ttl: float,
        build: Callable[[], V],
        key_after_build: Callable[[], Hashable] | None = None,
    ) -> V:
        """The cached value for ``key``, else the result of one shared ``build()``.

        A TTL of 0 or less disables caching. A failed build is not cached; its error reaches
        every caller that waited for it. ``key_after_build`` gives the key to store the value
        under when the build itself changes what the key measures (a SQLite reader touches the
        ``-shm`` file).
        """
        if ttl <= 0:
            self.builds += 1
            return build()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry[0] > time.monotonic():
                    self._entries.move_to_end(key)
                    return entry[1]
                del self._entries[key]
            flight = self._flights.get(key)
            owner = flight is None
            if flight is None:
                flight = _Flight()
                self._flights[key] = flight
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]
        try:
            self.builds += 1
            value = build()
        except BaseException as error:
            flight.error = error
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
            raise
        flight.value = value
        store_key = key_after_build() if key_after_build is not None else key
        with self._lock:
            self._flights.pop(key, None)
            self._entries[store_key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(store_key)
            while len(self._entries) > self.max_keys:
                self._entries.popitem(last=False)
        flight.done.set()
        return value
