"""The policy from the console, the API and ``manage.py retention``: the same service, checked and audited."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from core.schedules import schedule_spec
from governance.models import AuditEntry
from sync.retention.policy import retention_policy
from sync.retention.tasks import RETENTION_PRUNE_SPEC
from tests.sync.retention.conftest import History

pytestmark = pytest.mark.django_db


def changes() -> list[dict[str, object]]:
    return list(
        AuditEntry.objects.filter(additional_data__event="retention_policy_changed")
        .order_by("pk")
        .values_list("changes", flat=True)
    )


def test_the_command_shows_sets_and_runs(admin: User, history: History) -> None:
    out = StringIO()
    call_command("retention", stdout=out)
    assert "jobs_days: 180" in out.getvalue() and "counted through: not yet" in out.getvalue()
    call_command(
        "retention",
        "--jobs-days",
        "120",
        "--exceptions-days",
        "keep",
        "--as",
        "admin",
        "--reason",
        "audit",
    )
    policy = retention_policy()
    assert (policy.jobs_days, policy.inbox_days, policy.exceptions_days) == (120, 90, None)
    assert changes() == [{"jobs_days": [180, 120], "exceptions_days": [365, None]}]
    out = StringIO()
    call_command("retention", "--run", "--dry-run", stdout=out)
    dry = json.loads(out.getvalue())
    assert dry["dry_run"] is True and dry["jobs"] == 1 and dry["exceptions"] == 0  # exceptions kept for ever
    out = StringIO()
    call_command("retention", "--run", "--as", "admin", stdout=out)
    assert json.loads(out.getvalue())["inbox"] == 1


def test_the_command_refuses_bad_input_and_changes_nothing(admin: User, revops: User) -> None:
    with pytest.raises(CommandError, match="at least 7 days"):
        call_command("retention", "--inbox-days", "1", "--as", "admin")
    with pytest.raises(CommandError, match="at most 36,500 days"):
        call_command("retention", "--jobs-days", "2147483647", "--as", "admin")
    with pytest.raises(CommandError, match="not a number of days"):
        call_command("retention", "--inbox-days", "soon", "--as", "admin")
    with pytest.raises(CommandError, match="Admin role"):
        call_command("retention", "--inbox-days", "30", "--as", "revops")
    assert retention_policy().inbox_days == 90
    assert changes() == []


def test_the_api_reads_changes_and_runs(
    admin_client: Client, revops_client: Client, history: History
) -> None:
    assert revops_client.get("/api/v1/retention/").json()["jobs_days"] == 180
    refused = revops_client.patch("/api/v1/retention/", {"jobs_days": 100}, content_type="application/json")
    assert refused.status_code == 403
    bad = admin_client.patch("/api/v1/retention/", {"jobs_days": 10}, content_type="application/json")
    assert bad.status_code == 400 and "at least 90 days" in json.dumps(bad.json())
    # A cutoff before the calendar's start cannot be computed: refused, not a 500 at the next prune.
    huge = admin_client.patch("/api/v1/retention/", {"jobs_days": 10**9}, content_type="application/json")
    assert huge.status_code == 400 and "36500" in json.dumps(huge.json())
    ok = admin_client.patch(
        "/api/v1/retention/", {"jobs_days": 100, "reason": "smaller disk"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["jobs_days"] == 100 and ok.json()["updated_by"] == "admin"
    assert changes() == [{"jobs_days": [180, 100]}]
    dry = admin_client.post("/api/v1/retention/run/", {"dry_run": True}, content_type="application/json")
    assert dry.status_code == 200 and dry.json()["jobs"] == 1
    ran = admin_client.post("/api/v1/retention/run/", {}, content_type="application/json")
    assert ran.json()["dry_run"] is False and ran.json()["exceptions"] == 1
    assert (
        AuditEntry.objects.filter(additional_data__event="retention_pruned", actor__username="admin").count()
        == 1
    )


def test_the_page_shows_the_policy_and_lets_admins_change_it(
    admin_client: Client, auditor_client: Client, history: History
) -> None:
    page = auditor_client.get("/sync/retention/").content.decode()
    assert "180 days" in page and 'action="/sync/retention/policy/"' not in page
    page = admin_client.get("/sync/retention/").content.decode()
    assert '<label for="id_jobs_days">' in page
    response = admin_client.post(
        "/sync/retention/policy/",
        {"jobs_days": "150", "inbox_days": "30", "exceptions_days": "", "reason": "keep exceptions"},
    )
    assert response.status_code == 302
    policy = retention_policy()
    assert (policy.jobs_days, policy.inbox_days, policy.exceptions_days) == (150, 30, None)
    # Below a minimum: refused with the reason, nothing changed.
    response = admin_client.post(
        "/sync/retention/policy/", {"jobs_days": "5", "inbox_days": "30"}, follow=True
    )
    assert "keep at least 90 days" in response.content.decode()
    assert retention_policy().jobs_days == 150
    response = admin_client.post("/sync/retention/run/", {"dry_run": "1"}, follow=True)
    assert "A prune now would delete 1 jobs" in response.content.decode()


def test_the_prune_is_a_daily_schedule_an_operator_retimes(db: None) -> None:
    assert schedule_spec("retention-prune") == RETENTION_PRUNE_SPEC
    out = StringIO()
    call_command("sync_schedules_ensure", stdout=out)
    assert "concord-retention-prune: sync.retention.tasks.retention_prune_task daily" in out.getvalue()
