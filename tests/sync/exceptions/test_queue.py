"""The queue at volume (sync/exceptions/queue.py): flow, subsidiary and search filters, every sort, pages
with a capped count, and the scope kept through all of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sync.exceptions import queue
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.queue import QueueFilters, exception_queue_search, queue_page
from sync.exceptions.services import RecordRef
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def _ids(user: User, **filters: object) -> list[int]:
    return list(
        exception_queue_search(user=user, filters=QueueFilters(**filters)).values_list("pk", flat=True)  # type: ignore[arg-type]
    )


@pytest.fixture
def backlog() -> dict[str, ExceptionItem]:
    now = timezone.now()
    return {
        "deal": raise_sample(key="sync:3:006DEAL", title="Opportunity Acme SARL: NetSuite refused the order"),
        "invoice": raise_sample(
            key="return:3:invoice:5501",
            title="Invoice INV-5501 could not be written back",
            severity="low",
            subsidiary="SUB-B",
            vendor_message="Field Balance__c is read-only",
            records=[RecordRef("netsuite", "invoice", "5501", "")],
            now=now - timedelta(days=2),
        ),
        "acq_customer": raise_sample(
            key="return:3:ACQ:customer:77", title="Customer Globex back to the account", severity="critical"
        ),
        "recon": raise_sample(
            key="recon:orders:006X:amount", title="Amount differs", category="reconciliation"
        ),
    }


def test_it_filters_by_flow_read_from_the_exception_key(
    revops: User, backlog: dict[str, ExceptionItem]
) -> None:
    assert _ids(revops, flow="opportunity_to_netsuite") == [backlog["deal"].pk]
    assert _ids(revops, flow="netsuite_invoice_to_salesforce") == [backlog["invoice"].pk]
    # Another integration's key carries its namespace: still the customer return flow.
    assert _ids(revops, flow="netsuite_customer_to_salesforce") == [backlog["acq_customer"].pk]
    assert _ids(revops, flow="netsuite_item_to_salesforce") == []
    with pytest.raises(ValidationError, match="Unknown flow"):
        _ids(revops, flow="opportunity_to_mars")


def test_it_searches_by_record_id_name_message_and_number(
    revops: User, backlog: dict[str, ExceptionItem]
) -> None:
    assert _ids(revops, search="006DEAL") == [backlog["deal"].pk]  # the opportunity id in the key
    assert _ids(revops, search="5501") == [backlog["invoice"].pk]  # the NetSuite record id
    assert _ids(revops, search="acme sarl") == [backlog["deal"].pk]  # a name, any case
    assert _ids(revops, search="read-only") == [backlog["invoice"].pk]  # the vendor's message
    assert _ids(revops, search=f"#{backlog['recon'].pk}") == [backlog["recon"].pk]
    assert _ids(revops, search="nothing like it") == []


def test_it_filters_by_subsidiary_and_keeps_the_persons_scope(
    finance: User, revops: User, backlog: dict[str, ExceptionItem]
) -> None:
    assert _ids(revops, subsidiary="SUB-B") == [backlog["invoice"].pk]
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-B"))
    # Finance holds SUB-B only: a search matching SUB-A's exception finds nothing for them.
    assert _ids(finance, search="006DEAL") == []
    assert _ids(finance) == [backlog["invoice"].pk]
    assert [s.key for s in queue.queue_subsidiaries(finance)] == ["SUB-B"]


def test_it_sorts_by_each_column_both_ways(revops: User, backlog: dict[str, ExceptionItem]) -> None:
    by_severity = _ids(revops, sort="-severity")
    assert by_severity[0] == backlog["acq_customer"].pk and by_severity[-1] == backlog["invoice"].pk
    assert _ids(revops, sort="severity")[0] == backlog["invoice"].pk
    assert _ids(revops, sort="id") == sorted(item.pk for item in backlog.values())
    assert _ids(revops, sort="-id") == sorted((item.pk for item in backlog.values()), reverse=True)
    titles = [ExceptionItem.objects.get(pk=pk).title for pk in _ids(revops, sort="title")]
    assert titles == sorted(titles)
    for key in queue.SORTS:  # every column sorts without error, both ways, over the same rows
        assert sorted(_ids(revops, sort=key)) == sorted(_ids(revops, sort=f"-{key}"))
    with pytest.raises(ValidationError, match="Unknown sort"):
        _ids(revops, sort="colour")


def test_it_pages_with_a_capped_count(revops: User, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(7):
        raise_sample(key=f"sync:3:006P{number}")
    first = queue_page(user=revops, filters=QueueFilters(status="active", sort="id"), page=1, page_size=3)
    second = queue_page(user=revops, filters=QueueFilters(status="active", sort="id"), page=2, page_size=3)
    third = queue_page(user=revops, filters=QueueFilters(status="active", sort="id"), page=3, page_size=3)
    assert (first.has_next, second.has_next, third.has_next) == (True, True, False)
    assert [len(p.items) for p in (first, second, third)] == [3, 3, 1]
    assert {i.pk for p in (first, second, third) for i in p.items} == set(
        ExceptionItem.objects.values_list("pk", flat=True)
    )
    assert (first.count_text, third.first_index, third.last_index) == ("7", 7, 7)
    # More than the cap: counted no further, said so.
    monkeypatch.setattr(queue, "COUNT_CAP", 5)
    capped = queue_page(user=revops, filters=QueueFilters(status="active"), page=1, page_size=3)
    assert capped.count == 6 and capped.count_capped and capped.count_text == "5+"
    # Past the deepest page: nothing read, a clear sign to filter instead.
    monkeypatch.setattr(queue, "MAX_OFFSET", 3)
    deep = queue_page(user=revops, filters=QueueFilters(status="active"), page=3, page_size=3)
    assert deep.too_deep and deep.items == []


def test_the_last_page_knows_its_count_without_counting(
    revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(7):
        raise_sample(key=f"sync:3:006L{number}")
    counted: list[int] = []
    real_count = queue.queue_count

    def counting(items: Any, **kwargs: Any) -> int:
        counted.append(1)
        return real_count(items, **kwargs)

    monkeypatch.setattr(queue, "queue_count", counting)
    pages = [
        queue_page(user=revops, filters=QueueFilters(status="active", sort="id"), page=n, page_size=3)
        for n in (1, 2, 3, 4)
    ]
    # Pages 1 and 2 have a next page: counted. Page 3 is the last: 6 before it and 1 on it. Page 4 is past
    # the end, so nothing on it says how many there are: counted.
    assert [p.count for p in pages] == [7, 7, 7, 7] and len(counted) == 3
    found = queue_page(user=revops, filters=QueueFilters(status="active", search="006L4"))
    assert found.count == 1 and [i.dedup_key for i in found.items] == ["sync:3:006L4"] and len(counted) == 3
    empty = queue_page(user=revops, filters=QueueFilters(status="active", search="no such deal"))
    assert (empty.count, empty.items, len(counted)) == (0, [], 3)


def test_the_count_query_is_limited(revops: User) -> None:
    raise_sample(key="sync:3:006C")
    items = exception_queue_search(user=revops, filters=QueueFilters(status="active"))
    with CaptureQueriesContext(connection) as captured:
        assert queue.queue_count(items, cap=10) == 1
    assert "LIMIT 11" in captured.captured_queries[-1]["sql"]
