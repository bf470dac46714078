"""Reconciliation per integration: runs, queueing, the command, and who sees which integration's runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from guardian.shortcuts import assign_perm

from reconciliation import services
from reconciliation.exceptions import mismatch_dedup_key
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from reconciliation.reading import Sources
from reconciliation.tasks import reconciliation_scheduled
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from tests.reconciliation.fakes import ExceptionQueueDouble, Sides, install_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Integration:
    return Integration.objects.create(name="acme", label="Acme (acquired)", namespace="ACQ")


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The integrations runs read (by name): every one reads the same in-memory sides."""
    ExceptionQueueDouble().install(monkeypatch)
    seen: list[str] = []

    def sources(integration: Integration | None = None) -> Sources:
        chosen = integration or primary_integration()
        seen.append(chosen.name)
        return Sources(salesforce=None, netsuite=None, lookups={}, namespace=chosen.namespace)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "reconciliation_sources", sources)
    return seen


def _run(integration: Integration, marker: str) -> ReconciliationRun:
    run = ReconciliationRun.objects.create(
        check_name="accounts", integration=integration, status=RunStatus.SUCCEEDED, counts={}
    )
    Mismatch.objects.create(
        run=run,
        check_name="accounts",
        kind="missing_in_netsuite",
        key=marker,
        salesforce_value={"name": marker},
        dedup_key=f"recon:accounts:{marker}:",
    )
    return run


def test_each_integration_has_its_own_queued_run_of_a_check(acme: Integration) -> None:
    primary = services.reconciliation_enqueue(check="accounts", actor=None)
    other = services.reconciliation_enqueue(check="accounts", actor=None, integration=acme)
    assert primary.pk != other.pk
    assert primary.integration == primary_integration() and other.integration == acme
    # A run of that integration already queued is returned, not doubled.
    assert services.reconciliation_enqueue(check="accounts", actor=None, integration=acme).pk == other.pk


def test_the_daily_schedule_queues_every_check_of_every_active_integration(acme: Integration) -> None:
    Integration.objects.create(name="gone", namespace="OLD", is_active=False)
    queued = ReconciliationRun.objects.filter(pk__in=reconciliation_scheduled())
    assert {(run.integration_name, run.check_name) for run in queued} == {
        (name, check) for name in ("primary", "acme") for check in services.CHECKS
    }
    assert len(reconciliation_scheduled("acme")) == len(services.CHECKS)


def test_exceptions_and_what_resolves_them_are_per_integration(
    monkeypatch: pytest.MonkeyPatch, acme: Integration, read: list[str]
) -> None:
    queue = ExceptionQueueDouble().install(monkeypatch)
    sides = Sides(salesforce=[("001", ("A", 1.0))], netsuite=[])
    install_check(monkeypatch, sides)
    services.reconciliation_run(check="fake")
    services.reconciliation_run(check="fake", integration=acme)
    assert read == ["primary", "acme"]
    # The same Salesforce id in two orgs is two findings, never one exception counted twice.
    assert [opened["dedup_key"] for opened in queue.opened] == [
        "recon:fake:001:",
        "recon:ACQ:fake:001:",
    ]
    assert mismatch_dedup_key(check="fake", key="001", field="", namespace="ACQ") == "recon:ACQ:fake:001:"
    # Acme's record appears in NetSuite: acme's next run resolves acme's exception only.
    sides.netsuite = [("001", ("A", 1.0))]
    services.reconciliation_run(check="fake", integration=acme)
    assert [resolved["dedup_key"] for resolved in queue.resolved] == ["recon:ACQ:fake:001:"]


def test_reconcile_runs_the_named_integration_and_refuses_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch, acme: Integration, read: list[str]
) -> None:
    install_check(monkeypatch, Sides(salesforce=[("a", ("A", 1.0))], netsuite=[("a", ("A", 1.0))]))
    call_command("reconcile", "fake", "--integration", "acme", stdout=StringIO())
    assert read == ["acme"]
    assert ReconciliationRun.objects.get().integration == acme
    with pytest.raises(CommandError, match="no integration 'bogus'; known integrations: primary, acme"):
        call_command("reconcile", "fake", "--integration", "bogus")


@pytest.fixture
def limited_to_acme(acme: Integration, finance: User) -> User:
    assign_perm(ACCESS_INTEGRATION, finance, acme)
    return finance


def test_a_person_limited_to_one_integration_never_sees_anothers_runs(
    acme: Integration, limited_to_acme: User, finance_client: Client, auditor_client: Client
) -> None:
    theirs = _run(acme, "ACME-ONLY-001")
    other = _run(primary_integration(), "ALPHA-ONLY-001")

    page = finance_client.get("/reconciliation/").content.decode()
    assert "Acme (acquired)" in page and 'name="integration" value="acme"' in page
    assert finance_client.get("/reconciliation/?integration=primary").status_code == 404
    assert finance_client.get(f"/reconciliation/runs/{other.pk}/").status_code == 404
    assert finance_client.get(f"/reconciliation/runs/{other.pk}/mismatches.csv").status_code == 404
    assert finance_client.post(f"/reconciliation/runs/{other.pk}/rerun/").status_code == 404
    assert "ACME-ONLY-001" in finance_client.get(f"/reconciliation/runs/{theirs.pk}/").content.decode()
    export = finance_client.get(f"/reconciliation/runs/{theirs.pk}/mismatches.csv")
    assert b"ACME-ONLY-001" in export.getvalue()
    assert "reconciliation-acme-accounts-" in export["Content-Disposition"]

    listed = finance_client.get("/api/v1/reconciliation/runs/").json()
    assert [(row["id"], row["integration"]) for row in listed["results"]] == [(theirs.pk, "acme")]
    assert finance_client.get(f"/api/v1/reconciliation/runs/{other.pk}/").status_code == 404
    assert finance_client.get(f"/api/v1/reconciliation/runs/{other.pk}/mismatches/").status_code == 404
    mismatches = finance_client.get(f"/api/v1/reconciliation/runs/{theirs.pk}/mismatches/").json()
    assert [row["key"] for row in mismatches["results"]] == ["ACME-ONLY-001"]
    refused = finance_client.post(
        "/api/v1/reconciliation/runs/", {"check": "accounts", "integration": "primary"}, "application/json"
    )
    assert refused.status_code == 400 and "integration" in refused.json()

    # Not limited: every integration, chosen on the page and filtered in the API.
    everything = auditor_client.get("/api/v1/reconciliation/runs/?integration=primary").json()
    assert [row["id"] for row in everything["results"]] == [other.pk]
    page = auditor_client.get("/reconciliation/?integration=acme").content.decode()
    assert f"/reconciliation/runs/{theirs.pk}/" in page and f"/reconciliation/runs/{other.pk}/" not in page


def test_the_console_and_api_start_a_run_of_the_chosen_integration(
    acme: Integration, finance_client: Client
) -> None:
    finance_client.post("/reconciliation/checks/accounts/run/", {"integration": "acme"})
    started = finance_client.post(
        "/api/v1/reconciliation/runs/", {"check": "opportunities", "integration": "acme"}, "application/json"
    )
    assert started.status_code == 202 and started.json()["integration"] == "acme"
    assert set(ReconciliationRun.objects.values_list("integration__name", "check_name")) == {
        ("acme", "accounts"),
        ("acme", "opportunities"),
    }
