"""A small per-process cache whose entries expire a fixed number of seconds after they were stored.

For hot reads that may be a few seconds stale (the channel a push names, the token a client keeps
sending): each process keeps its own copy, so there is no network round trip, and a change made
elsewhere is seen within `ttl`. A process that makes the change calls `clear()` at once. `None`
is a value like any other (an unknown shop is remembered too). The cache never grows past
`max_entries`: when full it starts over, which bounds the memory a flood of unknown keys can take.

    _lookup = TTLCache(ttl=5.0)
    channel = _lookup.get_or_set(key, lambda: Channel.objects.filter(...).first())
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")
MISSING: Any = object()


class TTLCache(Generic[V]):
    def __init__(self, *, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = MISSING) -> V | Any:
        """The value stored under `key` if it has not expired, else `default` (MISSING)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():  # looked up per call: tests move the clock
            return entry[1]
        return default

    def set(self, key: Hashable, value: V) -> V:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, value)
        return value

    def get_or_set(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or `compute()` stored for `ttl` seconds (computed outside the lock)."""
        value = self.get(key)
        if value is MISSING:
            value = self.set(key, compute())
        return value

    def clear(self, **_signal_kwargs) -> None:
        """Forget everything (also usable as a signal receiver)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
