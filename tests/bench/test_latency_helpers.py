"""The pure helpers of bench/latency.py: the percentile it reports, the calls counted to the order and the
critical path read from the simulators' request logs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bench.latency import (
    Sample,
    attribute_requests,
    calls_until_order,
    critical_path,
    graph_keys,
    netsuite_by_shape,
    order_written,
    path_requests,
    percentile,
    record_keys,
    request_kind,
)


def test_it_takes_the_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20, shuffled order must not matter
    shuffled = values[::2] + values[1::2]
    assert percentile(shuffled, 0.50) == 10.0
    assert percentile(shuffled, 0.95) == 19.0  # ceil(0.95 * 20) = 19th value, not the 20th
    assert percentile(shuffled, 1.0) == 20.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.95) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.01) == 1.0


def test_it_refuses_a_fraction_outside_0_1() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 0.0)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_it_counts_the_netsuite_calls_up_to_the_first_sales_order_write() -> None:
    base = "https://ns.example/services/rest/record/v1"
    exchanges = [
        {"method": "PUT", "url": f"{base}/customer/eid:001"},
        {"method": "GET", "url": f"{base}/salesOrder/eid:006"},  # a read is not the write
        {"method": "PUT", "url": f"{base}/contact/eid:003"},
        {"method": "PUT", "url": f"{base}/salesOrder/eid:006"},
        {"method": "PUT", "url": f"{base}/subscription/eid:SUB-1"},
    ]
    assert calls_until_order(exchanges) == 4
    assert calls_until_order(exchanges[:3]) is None
    assert calls_until_order([]) is None


def test_the_critical_path_counts_calls_sent_side_by_side_once() -> None:
    reads = [(0.00, 0.05), (0.05, 0.10)]  # one after the other
    searches = [(0.11, 0.16), (0.111, 0.162), (0.112, 0.161)]  # side by side: one round trip
    writes = [(0.17, 0.22), (0.22, 0.27)]
    chain = critical_path([*searches, *writes, *reads])
    assert len(chain) == 5
    assert chain[0] == (0.00, 0.05) and chain[-1] == (0.22, 0.27)
    assert critical_path([]) == []
    # A call that overlaps two others in sequence does not break the chain they make.
    assert len(critical_path([(0.0, 0.1), (0.1, 0.2), (0.05, 0.15)])) == 2


def test_the_path_ends_with_the_sales_order_write_and_leaves_out_the_harness() -> None:
    log = [
        {
            "method": "PATCH",
            "path": "/services/data/v60.0/sobjects/Opportunity/006A",
            "status": 204,
            "started": 0.0,
            "ended": 0.05,
        },  # the harness's change
        {
            "method": "GET",
            "path": "/services/data/v60.0/query/",
            "status": 200,
            "started": 0.06,
            "ended": 0.11,
        },
        {
            "method": "PUT",
            "path": "/services/rest/record/v1/customer/eid:001A",
            "status": 204,
            "started": 0.12,
            "ended": 0.17,
        },
        {
            "method": "PUT",
            "path": "/services/rest/record/v1/salesOrder/eid:006A",
            "status": 204,
            "started": 0.18,
            "ended": 0.23,
        },
        {
            "method": "PATCH",
            "path": "/services/data/v60.0/composite/sobjects",
            "status": 200,
            "started": 0.24,
            "ended": 0.29,
        },  # the write-back, after the order
    ]
    end = order_written(log, "006A")
    assert end == 0.23
    assert order_written(log, "006B") is None
    assert len(critical_path(path_requests(log, start=0.0, end=end))) == 3


def test_only_the_requests_naming_the_opportunitys_records_are_on_its_path() -> None:
    graph = {
        "Id": "006A",
        "AccountId": "001A",
        "OpportunityContactRoles": {"records": [{"ContactId": "003A"}]},
        "primary_quote": {"Id": "a0xA"},
    }
    assert graph_keys(graph) == {"006A", "001A", "003A", "a0xA"}
    log = [
        {
            "method": "GET",
            "path": "/query/",
            "detail": "SELECT Id ... WHERE Id IN ('006A')",
            "started": 0.0,
            "ended": 0.05,
        },
        {
            "method": "PATCH",
            "path": "/composite/sobjects",
            "detail": '{"Id": "006Z"}',
            "started": 0.01,
            "ended": 0.06,
        },  # the previous opportunity's write-back, meanwhile
        {
            "method": "GET",
            "path": "/query/",
            "detail": "... WHERE SBQQ__Quote__c IN ('a0xA')",
            "started": 0.06,
            "ended": 0.11,
        },
        {
            "method": "PUT",
            "path": "/record/v1/contact/eid:003A",
            "detail": "{}",
            "started": 0.12,
            "ended": 0.17,
        },
    ]
    assert len(path_requests(log, start=0.0, end=1.0)) == 4
    assert len(path_requests(log, start=0.0, end=1.0, keys=graph_keys(graph))) == 3


def _ns(method: str, path: str, started: float, detail: str = "") -> dict[str, Any]:
    return {"method": method, "path": path, "detail": detail, "started": started, "ended": started + 0.05}


def test_netsuite_requests_are_counted_per_opportunity_by_the_records_they_name_and_grouped_by_shape() -> (
    None
):
    first: dict[str, Any] = {
        "Id": "006A",
        "AccountId": "001A",
        "OpportunityContactRoles": {"records": [{"ContactId": "003A"}]},
        "primary_quote": {"Id": "a0xA", "lines": [{"Id": "a0yA"}]},
    }
    second: dict[str, Any] = {  # the same account's next one: its customer is known, a second contact is new
        "Id": "006B",
        "AccountId": "001A",
        "OpportunityContactRoles": {"records": [{"ContactId": "003A"}, {"ContactId": "003B"}]},
        "primary_quote": {"Id": "a0xB", "lines": [{"Id": "a0yB"}]},
    }
    other: dict[str, Any] = {"Id": "006C", "AccountId": "001C"}
    assert record_keys(first) == {"006A", "001A", "003A", "a0xA", "a0yA"}
    search = "SELECT 'contact' AS kind ... c.externalid IN ('003A') ... c.externalid IN ('001A') ..."
    log = [
        _ns("POST", "/services/rest/query/v1/suiteql", 1.0, search),
        _ns("PUT", "/services/rest/record/v1/customer/eid:001A", 1.1),
        _ns("PUT", "/services/rest/record/v1/contact/eid:003A", 1.2),
        _ns("POST", "/services/rest/query/v1/suiteql", 1.2, "SELECT id, itemid FROM item"),  # a lookup
        _ns("PUT", "/services/rest/record/v1/billingAccount/eid:BA-001A-USD", 1.3),
        _ns("PUT", "/services/rest/record/v1/salesOrder/eid:006A", 1.4),
        _ns("PUT", "/services/rest/record/v1/subscription/eid:SUB-a0yA", 1.5),
        _ns("PUT", "/services/rest/record/v1/subscriptionChangeOrder/eid:CO-006A-6-ACTIVATE-0", 1.6),
        # 006B, closed at 2.0: the account's records now go to it (the last closed before them)
        _ns("PUT", "/services/rest/record/v1/contact/eid:003B", 2.1),
        _ns("PUT", "/services/rest/record/v1/salesOrder/eid:006B", 2.2),
        _ns("GET", "/services/rest/record/v1/subscriptionPlan/eid:PKG", 2.3),
        # one search naming two accounts' records (a batch): shared, its opportunities left out
        _ns("POST", "/services/rest/query/v1/suiteql", 3.0, "IN ('001A', '001C')"),
    ]
    assert [request_kind(entry) for entry in log[:4]] == ["search", "customer", "contact", "search"]
    assert request_kind(log[10]) == "read"
    graphs: dict[str, dict[str, Any]] = {"006A": first, "006B": second, "006C": other}
    by_opportunity, unnamed, examples, shared = attribute_requests(
        log,
        keys={key: record_keys(graph) for key, graph in graphs.items()},
        accounts={key: str(graph["AccountId"]) for key, graph in graphs.items()},
        closed={"006A": 0.5, "006B": 2.0, "006C": 2.5},
    )
    assert [entry["started"] for entry in by_opportunity["006A"]] == [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]
    assert [entry["path"].rsplit(":", 1)[-1] for entry in by_opportunity["006B"]] == ["003B", "006B"]
    assert unnamed == {"search": 1, "read": 1} and len(examples) == 2 and "item" in examples[0]
    assert shared == {"006A", "006B", "006C"}  # every opportunity of the accounts named

    samples = []
    for opportunity, new in (("006A", True), ("006B", False)):
        kinds = Counter(request_kind(entry) for entry in by_opportunity[opportunity])
        sample = Sample(opportunity, closed_at=0.0, account_new=new, contacts_written=kinds["contact"])
        sample.netsuite_requests, sample.netsuite_kinds = sum(kinds.values()), dict(kinds)
        samples.append(sample)
    samples.append(Sample("006C", closed_at=0.0))  # left out: its requests are not known
    shapes = netsuite_by_shape(samples)
    assert [(s["account"], s["contacts_written"], s["netsuite_requests_median"]) for s in shapes] == [
        ("new", 1, 7),
        ("known", 1, 2),
    ]
    assert shapes[0]["mean_by_kind"]["search"] == 1 and shapes[1]["opportunities"] == 1
