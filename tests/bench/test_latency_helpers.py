"""The pure helpers of bench/latency.py: the percentile it reports, the calls counted to the order and the
critical path read from the simulators' request logs."""

from __future__ import annotations

import pytest

from bench.latency import (
    calls_until_order,
    critical_path,
    graph_keys,
    order_written,
    path_requests,
    percentile,
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
