"""manage.py exception_act: the value actions from the terminal, under the acting person's rules."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from sync.exceptions.models import ExceptionOverride, ExceptionStatus, OverrideStatus
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command("exception_act", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_it_edits_a_value_and_retries_once_another_person_approves(
    revops: User,
    finance_everywhere: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = raise_sample()
    text = run(item.pk, "edit", "--as", "revops", "--field", "Amount", "--value", "1000", "--reason", "PO 42")
    override = ExceptionOverride.objects.get(item=item)
    assert override.status == OverrideStatus.PENDING and "Pending approval" in text
    with pytest.raises(CommandError, match="approve_exceptions"):
        run(item.pk, "approve", "--as", "revops", "--override", override.pk)
    with django_capture_on_commit_callbacks(execute=True):
        text = run(item.pk, "approve", "--as", "finance", "--override", override.pk, "--reason", "matches")
    override.refresh_from_db()
    assert (override.status, override.approved_by) == (OverrideStatus.APPROVED, finance_everywhere)
    assert retry_calls == [{"opportunity_id": "006A", "overrides": {"Amount": 1000}}]
    assert "Value change approved by finance: matches" in text and "In progress" in text


def test_it_takes_one_systems_value_and_refuses_without_a_person(revops: User) -> None:
    item = raise_sample()
    with pytest.raises(CommandError, match="--as"):
        run(item.pk, "retry")
    with pytest.raises(CommandError, match="invalid choice"):
        run(item.pk, "accept", "--as", "revops", "--field", "Amount", "--system", "sap")
    assert not ExceptionOverride.objects.exists()
    text = run(item.pk, "accept", "--as", "revops", "--field", "Amount", "--system", "netsuite")
    override = ExceptionOverride.objects.get(item=item)
    assert (override.new_value, override.old_value, override.source_system) == (
        1000,
        {"salesforce": 1200},
        "netsuite",
    )
    assert 'Amount: {"salesforce": 1200} to 1000 (Pending approval)' in text
    item.refresh_from_db()
    assert item.status == ExceptionStatus.PENDING_APPROVAL
