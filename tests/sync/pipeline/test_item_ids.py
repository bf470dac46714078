"""SKU -> item ids kept per NetSuite connection by version (sync.pipeline.sources.ItemIds), not by time."""

from __future__ import annotations

from sync.pipeline.sources import ItemIds


def test_item_ids_serve_only_the_version_they_were_learnt_under() -> None:
    kept = ItemIds()
    kept.learn("7@a|w1", {"PLAT-CORE": "1", "SUP-STD": "4"})
    assert kept.known("7@a|w1", ["PLAT-CORE", "SVC-ONB"]) == {"PLAT-CORE": "1"}
    assert kept.known("7@a|w2", ["PLAT-CORE"]) == {}  # the catalogue sync saw a change
    assert kept.known("8@a|w1", ["PLAT-CORE"]) == {}  # another connection
    kept.learn("7@a|w2", {"SVC-ONB": "9"})  # a new version starts afresh
    assert kept.known("7@a|w2", ["PLAT-CORE", "SVC-ONB"]) == {"SVC-ONB": "9"}
    assert kept.known("", ["SVC-ONB"]) == {}  # no version: nothing kept
    kept.learn("", {"X": "1"})
    kept.forget(7)  # NetSuite refused a reference
    assert kept.known("7@a|w2", ["SVC-ONB"]) == {}
