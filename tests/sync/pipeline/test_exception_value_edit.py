"""Edit value and retry, end to end over HTTPS: a value NetSuite refuses, a finance user's edit, another
approver's approval, the retry that sends it (and the one that fails again first).

Transactional: the retry runs the real inbox drain, whose worker threads take NetSuite request slots
through the database limiter.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.models import AuditEntry
from governance.services import user_create, user_roles_set
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models.connections import Connection
from sync.exceptions.models import (
    ExceptionAction,
    ExceptionItem,
    ExceptionOverride,
    ExceptionStatus,
    OverrideStatus,
)
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.mappings.engine import StaticLookups
from sync.pipeline import sources
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import CrossReference, InboxMessage
from sync.pipeline.runner import run_batch
from tests.sync.pipeline.conftest import THREADED_DB, graph_of, won_ids

pytestmark = THREADED_DB
HTMX = {"HX-Request": "true"}


def second_approver() -> User:
    """Another finance user: the approver must not be the proposer."""
    frank = user_create(username="frank", email="frank@concord.example")
    user_roles_set(user=frank, roles=["Finance"])
    subsidiary_scope_grant(holder=frank, subsidiary=None)
    return User.objects.get(pk=frank.pk)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bad_currency(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, str]:
    """One won opportunity whose account currency maps to a NetSuite currency id that does not exist
    (a wrong lookup row); returns (opportunity id, the right currency id)."""
    opportunity_id = won_ids(sf)[0]
    code = graph_of(sf, opportunity_id)["Account"]["CurrencyIsoCode"]
    live_lookups = sources.live_lookups
    right: dict[str, str] = {}

    def wrong_currency(netsuite: NetSuiteConnector, chosen: Any = None, integration: Any = None) -> Any:
        lookups, dynamic = live_lookups(netsuite, chosen, integration)
        tables = {name: lookups._tables[name] for name in lookups.tables()}
        right["id"] = tables["currency_code_to_id"][code]
        tables["currency_code_to_id"] = {**tables["currency_code_to_id"], code: "99"}
        return StaticLookups(tables, dynamic), dynamic

    monkeypatch.setattr(sources, "live_lookups", wrong_currency)
    run_batch(
        salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[opportunity_id]
    )
    return opportunity_id, right["id"]


def test_it_sends_the_approved_value_and_records_a_retry_that_fails_again(
    seeded_connections: tuple[Connection, Connection],
    ns: NetSuiteConnector,
    bad_currency: tuple[str, str],
    finance_everywhere: User,
) -> None:
    opportunity_id, right_id = bad_currency
    key = sync_dedup_key(netsuite_connection_id=seeded_connections[1].pk, opportunity_id=opportunity_id)
    item = ExceptionItem.objects.get(dedup_key=key)
    assert (item.status, item.vendor_code, item.error_path) == (
        ExceptionStatus.OPEN,
        "INVALID_KEY_OR_REF",
        "currency",
    )
    # The value Concord really sent is on the exception, and the page shows it.
    assert item.details["sent"] == {"customer.currency": {"id": "99"}}
    finance, frank = signed_in(finance_everywhere), signed_in(second_approver())
    page = finance.get(f"/exceptions/{item.pk}/").content.decode()
    assert "customer.currency" in page and "id 99" in page

    # Finance fixes the customer's currency only; a financial field waits for another approver.
    finance.post(f"/exceptions/{item.pk}/edit/", {"field": "customer.currency", "new_value": f'"{right_id}"'})
    first = ExceptionOverride.objects.get(item=item)
    assert (first.old_value, first.new_value, first.status) == (
        {"id": "99"},
        right_id,
        OverrideStatus.PENDING,
    )
    assert not InboxMessage.objects.filter(overrides__isnull=False).exclude(overrides={}).exists()
    frank.post(f"/exceptions/{item.pk}/overrides/{first.pk}/approve/", {"reason": "USD is right"})

    # The retry sent it (the customer now exists with the right currency), then the billing account,
    # mapped from the same wrong row, was refused: the failure is in the history, the exception open.
    retry = InboxMessage.objects.exclude(overrides={}).get()
    assert retry.overrides == {"customer.currency": right_id} and retry.record_id == opportunity_id
    customer_id = CrossReference.objects.get(netsuite_type="customer").netsuite_id
    assert ns.get("customer", customer_id)["currency"]["id"] == right_id
    item.refresh_from_db()
    first.refresh_from_db()
    assert first.sent_at is not None and first.sent_job_id is not None
    assert item.status == ExceptionStatus.OPEN and item.details["sent"] == {
        "billing_account.currency": {"id": "99"}
    }
    failed = item.events.get(action=ExceptionAction.RETRY_FAILED)
    assert (
        failed.before["status"] == ExceptionStatus.IN_PROGRESS
        and failed.after["status"] == ExceptionStatus.OPEN
    )
    assert "INVALID_KEY_OR_REF" in failed.reason and failed.reason == failed.after["error"]
    api = finance.get(f"/api/v1/exceptions/{item.pk}/").json()
    assert api["status"] == "open"
    assert [e["action"] for e in api["events"]][-3:] == ["override_approved", "override_sent", "retry_failed"]
    page = finance.get(f"/exceptions/{item.pk}/").content.decode()
    assert "Retry failed" in page and "status changed from In progress to Open" in page

    # Every body's currency this time (a bare path); approved by frank again, the order goes through.
    finance.post(
        f"/exceptions/{item.pk}/edit/", {"field": "currency", "new_value": f'{{"id": "{right_id}"}}'}
    )
    second = ExceptionOverride.objects.exclude(pk=first.pk).get()
    assert second.old_value == {"id": "99"}  # what the billing account was sent
    frank.post(f"/exceptions/{item.pk}/overrides/{second.pk}/approve/", {"reason": "same currency"})
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    for netsuite_type in ("billingAccount", "salesOrder"):
        netsuite_id = CrossReference.objects.get(netsuite_type=netsuite_type).netsuite_id
        assert ns.get(netsuite_type, netsuite_id)["currency"]["id"] == right_id
    sent = item.events.filter(action=ExceptionAction.OVERRIDE_SENT).last()
    assert sent is not None and sent.after == {"currency": {"id": right_id}, "approved_by": "frank"}
    audit = AuditEntry.objects.filter(
        object_pk=str(item.pk), additional_data__event="exception_override_sent"
    )
    assert audit.count() == 3 and all("frank" in str(entry.changes) for entry in audit)
    approvals = AuditEntry.objects.filter(
        object_pk=str(item.pk), additional_data__event="exception_override_approved"
    )
    assert {entry.actor.username for entry in approvals if entry.actor} == {"frank"}
