"""Lookup tables and cached dynamic lookups (SKU -> NetSuite item id)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sync.mappings.engine import MISSING, CachedDynamicLookup, RecordingLookups, StaticLookups


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Items:
    """A fake SuiteQL item query that counts its calls."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.calls: list[list[str]] = []

    def __call__(self, keys: Sequence[str]) -> dict[str, str]:
        self.calls.append(list(keys))
        return {key: self.known[key] for key in keys if key in self.known}


def test_it_answers_from_static_tables() -> None:
    lookups = StaticLookups({"terms": {"Net 30": "3"}})
    assert lookups.lookup("terms", "Net 30") == "3"
    assert lookups.lookup("terms", "Net 90") is MISSING
    assert lookups.lookup("nope", "Net 30") is MISSING
    assert lookups.dynamic("netsuite_item_by_sku", "X") is MISSING
    assert lookups.tables() == ["terms"] and lookups.sources() == []
    assert not MISSING and repr(MISSING) == "MISSING"


def test_it_caches_hits_and_misses_for_their_ttl() -> None:
    clock, items = Clock(), Items({"PLAT-CORE": "1"})
    cache = CachedDynamicLookup(items, ttl=600, miss_ttl=60, clock=clock)
    assert cache.get("PLAT-CORE") == "1"
    assert cache.get("PLAT-CORE") == "1"
    assert cache.get("NEW-SKU") is MISSING
    assert cache.get("NEW-SKU") is MISSING
    assert items.calls == [["PLAT-CORE"], ["NEW-SKU"]]
    items.known["NEW-SKU"] = "11"
    clock.now += 61  # the miss expires first: a new item is found within a minute
    assert cache.get("NEW-SKU") == "11"
    assert cache.get("PLAT-CORE") == "1"
    clock.now += 600
    assert cache.get("PLAT-CORE") == "1"
    assert items.calls == [["PLAT-CORE"], ["NEW-SKU"], ["NEW-SKU"], ["PLAT-CORE"]]
    assert cache.fetches == 4


def test_it_prefetches_a_batch_in_few_queries() -> None:
    items = Items({f"SKU-{n}": str(n) for n in range(5)})
    cache = CachedDynamicLookup(items, batch_size=2, clock=Clock())
    cache.prefetch(["SKU-0", "SKU-1", "SKU-1", "SKU-2", "SKU-9", None])  # type: ignore[list-item]
    assert items.calls == [["SKU-0", "SKU-1"], ["SKU-2", "SKU-9"]]
    cache.prefetch(["SKU-0", "SKU-9", "SKU-3"])  # only what is not fresh
    assert items.calls[-1] == ["SKU-3"]
    assert [cache.get(key) for key in ("SKU-0", "SKU-3", "SKU-9")] == ["0", "3", MISSING]
    assert len(items.calls) == 3
    assert cache.cached() == {"SKU-0": "0", "SKU-1": "1", "SKU-2": "2", "SKU-3": "3"}


def test_it_refreshes() -> None:
    items = Items({"A": "1"})
    cache = CachedDynamicLookup(items, clock=Clock())
    cache.get("A")
    items.known["A"] = "2"
    assert cache.get("A") == "1"
    cache.refresh()
    assert cache.get("A") == "2"


def test_it_lets_fetch_errors_through_rather_than_calling_them_misses() -> None:
    def down(keys: Sequence[str]) -> dict[str, str]:
        raise ConnectionError("NetSuite is unreachable")

    cache = CachedDynamicLookup(down)
    with pytest.raises(ConnectionError):
        cache.get("A")
    with pytest.raises(ValueError, match="batch_size"):
        CachedDynamicLookup(down, batch_size=0)


def test_it_records_dynamic_keys_without_fetching() -> None:
    recorder = RecordingLookups(StaticLookups({"t": {"a": "1"}}))
    assert recorder.lookup("t", "a") == "1"
    assert recorder.dynamic("items", "X") is MISSING
    assert recorder.dynamic("items", "Y") is MISSING
    assert recorder.keys == {"items": {"X", "Y"}}
    assert RecordingLookups().lookup("t", "a") is MISSING
