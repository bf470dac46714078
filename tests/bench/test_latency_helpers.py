"""The pure helpers of bench/latency.py: the percentile it reports and the calls counted to the order."""

from __future__ import annotations

import pytest

from bench.latency import calls_until_order, percentile


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
