"""The lock setting and cancellations on every surface: the console page, the exception page's Approve
button, the API and the commands (same services, same roles, audited)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from governance.models import AuditEntry
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.lifecycle.locks import order_lock_setting
from sync.lifecycle.models import Cancellation, LockFrom
from sync.pipeline.cancellation_flow import cancellations_notice
from sync.pipeline.models import CrossReference
from tests.api_support import token_client

pytestmark = pytest.mark.django_db
LOST = {"Id": "006LOST", "IsWon": False, "IsClosed": True, "StageName": "Closed Lost"}


@pytest.fixture
def pending(monkeypatch: pytest.MonkeyPatch) -> tuple[ExceptionItem, list[tuple[Any, ...]]]:
    """A cancellation waiting for finance; the retries approvals queue are recorded, not run."""
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("sync.exceptions.retry.async_task", lambda *args, **kwargs: queued.append(args))
    sf, ns = (
        Connection.objects.create(
            name=name, kind=kind, environment=ConnectionEnvironment.SANDBOX, base_url=url, auth_method=auth
        )
        for name, kind, url, auth in (
            ("sf", ConnectionKind.SALESFORCE, "https://sf.example", ConnectionAuth.SF_PASSWORD),
            ("ns", ConnectionKind.NETSUITE, "https://ns.example", ConnectionAuth.NS_TOKEN),
        )
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
    cancellations_notice(salesforce=sf, netsuite=ns, graphs={"006LOST": LOST}, not_due={})
    return ExceptionItem.objects.get(), queued


def test_the_console_page_shows_and_changes_the_lock_setting(
    revops_client: Client, auditor_client: Client, revops: User
) -> None:
    page = auditor_client.get("/sync/lifecycle/")
    assert page.status_code == 200 and "Once fulfilled, billed, closed or cancelled" in page.content.decode()
    assert auditor_client.post("/sync/lifecycle/order-lock/", {"lock_from": "approved"}).status_code == 403
    answer = revops_client.post("/sync/lifecycle/order-lock/", {"lock_from": "approved", "reason": "final"})
    assert answer.status_code == 302
    assert order_lock_setting().lock_from == LockFrom.APPROVED
    assert AuditEntry.objects.filter(
        additional_data__event="order_lock_setting_changed", actor=revops
    ).exists()


def test_the_api_reads_and_changes_the_lock_setting(finance: User, auditor: User) -> None:
    assert token_client(auditor).get("/api/v1/order-lock-setting/").json()["lock_from"] == "fulfilled"
    assert (
        token_client(auditor)
        .patch("/api/v1/order-lock-setting/", {"lock_from": "approved"}, content_type="application/json")
        .status_code
        == 403
    )
    answer = token_client(finance).patch(
        "/api/v1/order-lock-setting/",
        {"lock_from": "approved", "reason": "final"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["lock_from"] == "approved"
    assert order_lock_setting().updated_by == finance


def test_the_command_shows_and_changes_the_lock_setting(revops: User) -> None:
    out = StringIO()
    call_command("order_lock_setting", "--set", "approved", "--as", "revops", "--reason", "final", stdout=out)
    assert "lock_from: approved" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("order_lock_setting", "--set", "approved")  # who?


def test_the_exception_page_approves_a_cancellation_for_finance_only(
    pending: tuple[ExceptionItem, list[tuple[Any, ...]]],
    finance: User,
    finance_client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    item, queued = pending
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    page = finance_client.get(f"/exceptions/{item.pk}/").content.decode()
    assert "Waiting for a finance approval" in page and ">Approve</button>" in page
    assert "close sales order 12" in page
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(f"/exceptions/{item.pk}/approve/", {"reason": "confirmed"})
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IN_PROGRESS and item.retry_kwargs["approved_by"] == "finance"
    assert len(queued) == 1


def test_the_api_lists_cancellations_and_approves_one(
    pending: tuple[ExceptionItem, list[tuple[Any, ...]]],
    finance: User,
    revops: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    item, queued = pending
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    rows = token_client(revops).get("/api/v1/cancellations/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [(row["opportunity_id"], row["status"], row["exception_id"]) for row in rows] == [
        ("006LOST", "pending_approval", item.pk)
    ]
    assert (
        token_client(revops)
        .post(f"/api/v1/exceptions/{item.pk}/approve/", {}, content_type="application/json")
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        approved = token_client(finance).post(
            f"/api/v1/exceptions/{item.pk}/approve/", {}, content_type="application/json"
        )
    assert approved.status_code == 200
    assert (
        token_client(finance)
        .post(f"/api/v1/exceptions/{item.pk}/approve/", {}, content_type="application/json")
        .status_code
        == 400
    )
    assert len(queued) == 1


def test_the_commands_list_and_approve_a_cancellation(
    pending: tuple[ExceptionItem, list[tuple[Any, ...]]],
    finance: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    item, queued = pending
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    cancellation = Cancellation.objects.get()
    out = StringIO()
    call_command("cancellation_list", "--status", "pending_approval", stdout=out)
    assert f"#{cancellation.pk} 006LOST" in out.getvalue() and f"exception #{item.pk}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("cancellation_approve", str(cancellation.pk), "--as", "revops")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cancellation_approve", str(cancellation.pk), "--as", "finance", stdout=StringIO())
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IN_PROGRESS and len(queued) == 1
