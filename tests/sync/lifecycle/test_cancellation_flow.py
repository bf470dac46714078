"""The cancellation of a synced deal lost afterwards, through the pipeline's side and the exception queue:
noticed once, waiting for a finance approval, run once approved (idempotently), or run at once when a
published rule allows it. NetSuite is a fake recording every call (the HTTPS story is in
test_cancel_integration.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.models import AuditEntry
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.exceptions.actions import exception_approve, exception_retry
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.tasks import exception_retry_run
from sync.lifecycle.models import Cancellation, CancellationStatus
from sync.pipeline import cancellation_flow
from sync.pipeline.cancellation_flow import cancellation_dedup_key, cancellations_notice
from sync.pipeline.models import CrossReference
from sync.rules.engine.ruleset import RuleSet, RuleSpec, compile_rule
from tests.sync.lifecycle.support import ORDER, FakeNetSuite

pytestmark = pytest.mark.django_db
LOST = {
    "Id": "006LOST",
    "IsWon": False,
    "IsClosed": True,
    "StageName": "Closed Lost",
    "CloseDate": "2026-12-01",
}


@pytest.fixture
def connections() -> tuple[Connection, Connection]:
    sf = Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    ns = Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    CrossReference.objects.create(
        netsuite_connection=ns,
        netsuite_type="salesOrder",
        external_id="SO-006LOST",
        netsuite_id="12",
        salesforce_id="006LOST",
        object_key="sales_order",
        payload_hash="x",
        synced_at=timezone.now(),
    )
    return sf, ns


@pytest.fixture
def approver(finance: User) -> User:
    """Finance, granted every subsidiary's exceptions (Finance holds no model-wide grant by role)."""
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    return User.objects.get(pk=finance.pk)


@pytest.fixture
def fake_ns(monkeypatch: pytest.MonkeyPatch) -> FakeNetSuite:
    ns = FakeNetSuite()
    ns.records[("salesOrder", "12")] = {**ORDER}
    monkeypatch.setattr(cancellation_flow, "netsuite_connector", lambda connection: ns)
    return ns


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The retries an approval queues (run by hand with exception_retry_run, as a worker would)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("sync.exceptions.retry.async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def notice(
    connections: tuple[Connection, Connection], graph: dict[str, Any], **kwargs: Any
) -> dict[str, str]:
    sf, ns = connections
    return cancellations_notice(
        salesforce=sf, netsuite=ns, graphs={graph["Id"]: graph}, not_due={graph["Id"]: "not won"}, **kwargs
    )


def test_a_synced_deal_lost_afterwards_waits_for_finance_and_is_noticed_once(
    connections: tuple[Connection, Connection], fake_ns: FakeNetSuite
) -> None:
    reasons = notice(connections, LOST)
    item = ExceptionItem.objects.get()
    assert item.status == ExceptionStatus.PENDING_APPROVAL
    assert item.category.key == "cancellation_approval"
    assert item.dedup_key == cancellation_dedup_key(
        netsuite_connection_id=connections[1].pk, opportunity_id="006LOST"
    )
    assert "006LOST" in item.title and "close sales order 12" in item.title
    assert item.details["approval"] == "cancellation"
    assert f"exception #{item.pk}" in reasons["006LOST"]
    cancellation = Cancellation.objects.get()
    assert (cancellation.status, cancellation.sales_order_id, cancellation.exception_id) == (
        CancellationStatus.PENDING_APPROVAL,
        "12",
        item.pk,
    )
    assert str(cancellation.effective_date) == "2026-12-01"

    notice(connections, LOST)  # the next event about the same lost deal
    assert ExceptionItem.objects.count() == 1 and Cancellation.objects.count() == 1
    item.refresh_from_db()
    assert item.status == ExceptionStatus.PENDING_APPROVAL and item.occurrence_count == 2
    assert fake_ns.writes() == []  # nothing moves before the approval


def test_approving_runs_the_cancellation_once_and_never_deletes(
    connections: tuple[Connection, Connection],
    fake_ns: FakeNetSuite,
    approver: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    notice(connections, LOST)
    item = ExceptionItem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        exception_approve(item=item, user=approver, reason="customer confirmed")
    assert len(queued) == 1
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IN_PROGRESS
    assert item.retry_kwargs["approved_by"] == approver.username
    assert item.events.filter(action=ExceptionAction.APPROVED, actor=approver).exists()
    with pytest.raises(ValidationError):
        exception_approve(item=item, user=approver)  # approving twice is refused

    exception_retry_run(item.pk, {})  # the worker
    exception_retry_run(item.pk, {})  # delivered twice
    writes = fake_ns.writes()
    assert [(verb, kind, pk) for verb, kind, pk, _ in writes] == [("PATCH", "salesOrder", "12")]
    assert all(line["isClosed"] for line in writes[0][3]["body"]["item"]["items"])
    assert not [call for call in fake_ns.calls if call[0] == "DELETE"]
    cancellation = Cancellation.objects.get()
    assert cancellation.status == CancellationStatus.DONE and cancellation.approved_by == approver
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    assert AuditEntry.objects.filter(additional_data__event="cancellation_approved", actor=approver).exists()
    assert AuditEntry.objects.filter(additional_data__event="cancellation_done").exists()

    reasons = notice(connections, LOST)  # the batch runs again: nothing is asked or written again
    assert "already cancelled" in reasons["006LOST"]
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED and ExceptionItem.objects.count() == 1
    assert len(fake_ns.writes()) == 1


def test_only_a_finance_approver_approves(
    connections: tuple[Connection, Connection], fake_ns: FakeNetSuite, revops: User
) -> None:
    notice(connections, LOST)
    item = ExceptionItem.objects.get()
    with pytest.raises(PermissionDenied):
        exception_approve(item=item, user=revops)
    with pytest.raises(ValidationError):
        exception_retry(item=item, user=revops)  # a retry cannot skip the approval
    with pytest.raises(PermissionDenied):
        cancellation_flow.cancellation_run(cancellation_id=Cancellation.objects.get().pk)  # nor a direct run
    assert fake_ns.writes() == []


def test_a_lost_deal_never_synced_is_left_alone(
    connections: tuple[Connection, Connection], fake_ns: FakeNetSuite
) -> None:
    reasons = notice(connections, {**LOST, "Id": "006NEVER"})
    assert reasons == {"006NEVER": "not won"}
    assert not ExceptionItem.objects.exists() and not Cancellation.objects.exists()


def test_a_published_rule_lets_the_cancellation_run_without_approval(
    connections: tuple[Connection, Connection], fake_ns: FakeNetSuite
) -> None:
    rule = compile_rule(
        RuleSpec(
            key="allow_lost_small",
            name="Small lost deals cancel by themselves",
            subject="opportunity",
            placement="cancellation",
            severity="block",
            message="finance approves",
            condition='StageName == "Closed Lost"',
        )
    )
    reasons = notice(connections, LOST, ruleset=RuleSet([rule]))
    assert "without approval (allow_lost_small)" in reasons["006LOST"]
    assert not ExceptionItem.objects.exists()
    cancellation = Cancellation.objects.get()
    assert (
        cancellation.status == CancellationStatus.DONE and cancellation.allowed_by_rule == "allow_lost_small"
    )
    assert len(fake_ns.writes()) == 1


def test_a_refused_cancellation_reopens_its_exception_with_netsuite_words_and_its_retry_finishes_it(
    connections: tuple[Connection, Connection],
    fake_ns: FakeNetSuite,
    approver: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    notice(connections, LOST)
    item = ExceptionItem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        exception_approve(item=item, user=approver)
    fake_ns.refuse = ConnectorError(
        system="netsuite", transient=False, message="Record is locked", code="USER_ERROR"
    )
    exception_retry_run(item.pk, {})
    item.refresh_from_db()
    assert item.status == ExceptionStatus.OPEN and "Record is locked" in item.title
    assert Cancellation.objects.get().status == CancellationStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        exception_retry(item=item, user=approver, reason="unlocked in NetSuite")
    exception_retry_run(item.pk, {})
    assert Cancellation.objects.get().status == CancellationStatus.DONE
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED


class FakeSalesforce:
    def query_in(self, template: str, ids: list[str]) -> list[dict[str, Any]]:
        assert "FROM Contract" in template and ids == ["800C"]
        return [{"Id": "800C", "SBQQ__Opportunity__c": "006LOST"}]


def test_an_amendment_taking_every_line_to_zero_cancels_what_the_amended_deal_became(
    connections: tuple[Connection, Connection], fake_ns: FakeNetSuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cancellation_flow, "salesforce_connector", lambda connection: FakeSalesforce())
    amendment = {
        "Id": "006AMEND",
        "IsWon": True,
        "IsClosed": True,
        "StageName": "Closed Won",
        "SBQQ__AmendedContract__c": "800C",
        "primary_quote": {
            "SBQQ__Type__c": "Amendment",
            "SBQQ__StartDate__c": "2026-12-20",
            "lines": [{"Id": "a0L9", "SBQQ__Quantity__c": 0}],
        },
    }
    sf, ns = connections
    reasons = cancellations_notice(salesforce=sf, netsuite=ns, graphs={"006AMEND": amendment}, not_due={})
    assert "finance approval" in reasons["006AMEND"]  # not due: the amendment writer leaves it alone
    cancellation = Cancellation.objects.get(opportunity_id="006AMEND")
    assert (cancellation.reason, cancellation.sales_order_id, str(cancellation.effective_date)) == (
        "zero_quantities",
        "12",
        "2026-12-20",
    )
