"""The exception page of a real failed sync, over HTTPS against the simulators: its links (Salesforce
record, job, trace), the request and response that failed, the next retry's payload edited on the page
(a financial field approved by another person), the retry that fails again and the one that succeeds.

Transactional like the value edit test (the retry drains the inbox with worker threads)."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from django.contrib.auth.models import User

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models.connections import Connection
from sync.exceptions.models import ExceptionItem, ExceptionRetry, ExceptionStatus, RetryStatus
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import InboxMessage
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.test_exception_value_edit import (  # noqa: F401 - the fixture is used by name
    bad_currency,
    second_approver,
    signed_in,
)

pytestmark = THREADED_DB


def test_it_shows_the_failure_and_retries_the_edited_payload(
    seeded_connections: tuple[Connection, Connection],
    ns: NetSuiteConnector,
    bad_currency: tuple[str, str],  # noqa: F811
    finance_everywhere: User,
) -> None:
    opportunity_id, right_id = bad_currency
    key = sync_dedup_key(netsuite_connection_id=seeded_connections[1].pk, opportunity_id=opportunity_id)
    item = ExceptionItem.objects.get(dedup_key=key)
    finance, frank = signed_in(finance_everywhere), signed_in(second_approver())
    page = html.unescape(finance.get(f"/exceptions/{item.pk}/").content.decode())

    instance = urlsplit(seeded_connections[0].base_url).netloc
    assert f'href="https://{instance}/lightning/r/Opportunity/{opportunity_id}/view"' in page
    assert (
        f'href="/sync/jobs/{item.details["job"]}/"' in page
        and f'href="/sync/trace/{opportunity_id}/"' in page
    )
    # The request that failed and NetSuite's answer, first and open.
    failed = re.search(r'<details class="exchange exchange-failed" open>(.*?)</details>', page, re.S)
    assert failed is not None and "INVALID_KEY_OR_REF" in failed.group(1) and '"99"' in failed.group(1)

    # The payload editor: the customer's currency for the next retry (financial: it waits, nothing runs).
    finance.post(
        f"/exceptions/{item.pk}/payload/",
        {
            "field_1": "customer.currency",
            "shown_1": '{"id": "99"}',
            "value_1": f'"{right_id}"',
            "reason": "USD",
        },
    )
    item.refresh_from_db()
    assert item.status == ExceptionStatus.PENDING_APPROVAL and not ExceptionRetry.objects.exists()
    assert not InboxMessage.objects.exclude(overrides={}).exists()
    first = item.overrides.get()
    frank.post(f"/exceptions/{item.pk}/overrides/{first.pk}/approve/", {"reason": "USD is right"})

    # The retry ran with it and failed again on the billing account: a failed retry, with its error.
    retry = ExceptionRetry.objects.get()
    assert retry.overrides == {"customer.currency": right_id} and retry.requested_by is not None
    assert retry.status == RetryStatus.FAILED and "INVALID_KEY_OR_REF" in retry.error
    page = html.unescape(finance.get(f"/exceptions/{item.pk}/").content.decode())
    assert "Failed again" in page and "Retry failed" in page

    # The second day: every body's currency, approved by frank again; this retry succeeds.
    finance.post(
        f"/exceptions/{item.pk}/payload/",
        {"new_field": "currency", "new_value": f'{{"id": "{right_id}"}}', "reason": "all bodies"},
    )
    second = item.overrides.get(field="currency")
    frank.post(f"/exceptions/{item.pk}/overrides/{second.pk}/approve/", {"reason": "same currency"})
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    assert [r.status for r in ExceptionRetry.objects.order_by("id")] == [
        RetryStatus.FAILED,
        RetryStatus.SUCCEEDED,
    ]
    latest = ExceptionRetry.objects.order_by("id").last()
    assert latest is not None and latest.overrides == {
        "customer.currency": right_id,
        "currency": {"id": right_id},
    }
