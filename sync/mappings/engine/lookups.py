"""Lookups: value tables (currency code -> NetSuite currency id) and dynamic lookups (SKU -> item id).

The engine only knows the :class:`LookupResolver` protocol. :class:`StaticLookups` serves tables held in
memory (loaded from the database or from ``defaults/lookups.json``) and delegates dynamic sources to
:class:`CachedDynamicLookup`, which wraps a fetch callable the Django layer supplies (one SuiteQL query
for a whole batch of keys) with a TTL cache, negative caching and an explicit refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol


class _Missing:
    """The answer for "no such key": distinct from None, which may be a legitimate mapped value."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class LookupResolver(Protocol):
    """Answers the ``lookup`` and ``dynamic_lookup`` transforms; returns :data:`MISSING` for a miss."""

    def lookup(self, table: str, key: str) -> Any: ...

    def dynamic(self, source: str, key: str) -> Any: ...


class DynamicSource(Protocol):
    def get(self, key: str) -> Any: ...


class StaticLookups:
    """Tables in memory plus named dynamic sources. ``StaticLookups()`` answers every lookup with a miss.

    >>> lookups = StaticLookups({"currency_code_to_id": {"USD": "1"}})
    >>> lookups.lookup("currency_code_to_id", "USD")
    '1'
    """

    def __init__(
        self,
        tables: Mapping[str, Mapping[str, Any]] | None = None,
        dynamic: Mapping[str, DynamicSource] | None = None,
    ) -> None:
        self._tables = {name: dict(values) for name, values in (tables or {}).items()}
        self._dynamic = dict(dynamic or {})

    def lookup(self, table: str, key: str) -> Any:
        values = self._tables.get(table)
        return MISSING if values is None else values.get(key, MISSING)

    def dynamic(self, source: str, key: str) -> Any:
        resolver = self._dynamic.get(source)
        return MISSING if resolver is None else resolver.get(key)

    def dicts(self) -> tuple[dict[str, dict[str, Any]], dict[str, DynamicSource]]:
        """The tables and dynamic sources themselves, which the engine reads inline (a method call
        fewer per lookup); read them, never change them."""
        return self._tables, self._dynamic

    def tables(self) -> list[str]:
        return sorted(self._tables)

    def sources(self) -> list[str]:
        return sorted(self._dynamic)


class CachedDynamicLookup:
    """A dynamic lookup (SKU -> NetSuite item id) cached for ``ttl`` seconds.

    ``fetch(keys)`` returns ``{key: value}`` for the keys that exist; keys it leaves out are cached as
    misses for ``miss_ttl`` seconds, so a batch of orders naming an unknown SKU costs one query, not one
    per order. Call :meth:`prefetch` with a batch's keys before mapping it (one query per
    ``batch_size`` keys); :meth:`get` fetches a single key only when nothing was prefetched. Errors from
    ``fetch`` propagate: a NetSuite outage must not be recorded as "no such item".
    """

    def __init__(
        self,
        fetch: Callable[[Sequence[str]], Mapping[str, Any]],
        *,
        ttl: float = 900.0,
        miss_ttl: float = 60.0,
        batch_size: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._fetch = fetch
        self.ttl = ttl
        self.miss_ttl = miss_ttl
        self.batch_size = batch_size
        self._clock = clock
        self._entries: dict[str, tuple[Any, float]] = {}
        self._lock = threading.Lock()
        self.fetches = 0  # fetch calls made, for tests and the run's statistics

    def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        self._load([key])
        entry = self._entries.get(key)
        return MISSING if entry is None else entry[0]

    def prefetch(self, keys: Iterable[str]) -> None:
        """Load every key not already fresh, ``batch_size`` keys per fetch call."""
        now = self._clock()
        wanted = [
            key
            for key in dict.fromkeys(keys)
            if isinstance(key, str) and not ((entry := self._entries.get(key)) and entry[1] > now)
        ]
        for start in range(0, len(wanted), self.batch_size):
            self._load(wanted[start : start + self.batch_size])

    def refresh(self) -> None:
        """Forget everything (after the NetSuite catalogue changed); the next reads fetch again."""
        with self._lock:
            self._entries.clear()

    def cached(self) -> dict[str, Any]:
        """The fresh hits, for display in the console."""
        now = self._clock()
        return {
            key: value
            for key, (value, expires) in list(self._entries.items())
            if expires > now and value is not MISSING
        }

    def _load(self, keys: Sequence[str]) -> None:
        found = self._fetch(list(keys))
        self.fetches += 1
        now = self._clock()
        with self._lock:
            for key in keys:
                if key in found:
                    self._entries[key] = (found[key], now + self.ttl)
                else:
                    self._entries[key] = (MISSING, now + self.miss_ttl)


class RecordingLookups:
    """Answers tables like ``inner`` but only notes the dynamic keys asked for (each is a miss): what
    collecting keys before a prefetch needs, since nothing is fetched while they are gathered. See
    ``CompiledMapping.dynamic_keys``."""

    def __init__(self, inner: LookupResolver | None = None) -> None:
        self.inner = inner
        self.keys: dict[str, set[str]] = {}

    def lookup(self, table: str, key: str) -> Any:
        return MISSING if self.inner is None else self.inner.lookup(table, key)

    def dynamic(self, source: str, key: str) -> Any:
        self.keys.setdefault(source, set()).add(key)
        return MISSING
