"""manage.py exception_act: tags, the next retry's values and cancelling a retry from the terminal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from sync.exceptions.models import ExceptionRetry, OverrideStatus, RetryStatus
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command("exception_act", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_it_tags_edits_the_payload_and_cancels_from_the_terminal(
    revops: User, auditor: User, django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample(details={"sent": {"sales_order.memo": "PO 1"}})
    assert "Tags: q4 close" in run(item.pk, "tag", "--as", "revops", "--tag", "Q4 close")
    with pytest.raises(CommandError, match="needs --tag"):
        run(item.pk, "untag", "--as", "revops")
    with pytest.raises(CommandError, match="FIELD=VALUE"):
        run(item.pk, "payload", "--as", "revops", "--set", "no-equals")
    text = run(item.pk, "payload", "--as", "revops", "--set", "sales_order.memo=PO 2", "--set", "Amount=10")
    assert 'Next retry sends sales_order.memo: "PO 2" (changed)' in text
    assert "Next retry sends Amount: null (waiting for approval)"  # not 10 until approved in text
    assert item.overrides.get(field="Amount").status == OverrideStatus.PENDING
    with pytest.raises(CommandError, match="Your role"):
        run(item.pk, "cancel", "--as", "auditor")

    amount = item.overrides.get(field="Amount")
    run(item.pk, "reject", "--as", "revops", "--override", amount.pk, "--reason", "withdrawn")
    with django_capture_on_commit_callbacks(execute=False):
        run(item.pk, "retry", "--as", "revops")
    text = run(item.pk, "cancel", "--as", "revops", "--reason", "later")
    assert "Cancelled" in text and ExceptionRetry.objects.get().status == RetryStatus.CANCELLED
    with pytest.raises(CommandError, match="No retry is waiting"):
        run(item.pk, "cancel", "--as", "revops")
    assert "Tags: none" in run(item.pk, "untag", "--as", "revops", "--tag", "q4 close")
