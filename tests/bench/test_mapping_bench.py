"""bench/mapping.py maps the shipped flow's six objects and fails on wrong output, not only on time."""

from __future__ import annotations

import dataclasses
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import mapping as bench
from sync.mappings.engine import CachedDynamicLookup, MappingResult, compile_mapping
from sync.mappings.engine.defaults import default_lookups, load_default, load_default_lookups


def _mapped(index: int = 3) -> tuple[dict[str, Any], MappingResult]:
    graph = bench.build_graph(random.Random(5), index, 4)
    items = CachedDynamicLookup(lambda keys: {k: bench.ITEM_IDS[k] for k in keys if k in bench.ITEM_IDS})
    items.prefetch(bench.ITEM_IDS)
    mapping = compile_mapping(load_default("opportunity_to_netsuite"))
    result = mapping.apply(
        graph, refs=bench.refs_for(graph), lookups=default_lookups(netsuite_item_by_sku=items)
    )
    return graph, result


def test_a_small_run_maps_and_checks_all_six_objects(tmp_path: Path) -> None:
    out = tmp_path / "mapping.json"
    assert bench.main(["--graphs", "12", "--lines", "4", "--repeat", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["objects"] == list(bench.OBJECTS)
    assert report["payloads_per_object"] == {
        "customer": 12,
        "contact": 24,
        "billing_account": 12,
        "subscription_plan": 12,
        "subscription": 12,
        "sales_order": 12,
    }
    assert report["sales_order_lines"] == 48
    assert report["output_checked"] is True


def test_the_check_passes_the_engine_output_and_catches_wrong_payloads() -> None:
    graph, result = _mapped()
    tables = load_default_lookups()
    assert bench.check(graph, result, bench.OBJECTS, tables) == []

    # A subscription on the wrong plan, a sales order line with the wrong amount, a lost contact.
    payloads = list(result.payloads)
    for number, payload in enumerate(payloads):
        if payload.object_key == "subscription":
            payloads[number] = dataclasses.replace(
                payload, body={**payload.body, "subscriptionPlan": {"id": "999"}}
            )
    wrong = bench.check(graph, dataclasses.replace(result, payloads=payloads), bench.OBJECTS, tables)
    assert [text.split(":")[0] for text in wrong] == [f"{graph['Id']} subscription plan"]

    order = next(p for p in payloads if p.object_key == "sales_order")
    rows = [dict(row) for row in order.body["item"]["items"]]
    rows[1]["amount"] = rows[1]["amount"] + Decimal("0.01")
    payloads[payloads.index(order)] = dataclasses.replace(order, body={**order.body, "item": {"items": rows}})
    wrong = bench.check(graph, dataclasses.replace(result, payloads=payloads), bench.OBJECTS, tables)
    assert f"{graph['Id']} order lines" in [text.split(":")[0] for text in wrong]

    fewer = [
        p
        for p in payloads
        if p.object_key != "contact"
        or p.external_id != graph["OpportunityContactRoles"]["records"][0]["ContactId"]
    ]
    wrong = bench.check(graph, dataclasses.replace(result, payloads=fewer), bench.OBJECTS, tables)
    assert wrong == [f"{graph['Id']} contact payloads: 1, expected 2"]
