"""The reconciliation area per role: reading, running on demand, progress, drill-down and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from reconciliation import services
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, Tolerance
from tests.conftest import ALL_PERSONAS, ROLE_PERSONAS

RUNNERS = ("revops", "finance", "admin")
HTMX = {"HX-Request": "true"}


def finished_run(counts: dict[str, int], *, check: str = "accounts") -> ReconciliationRun:
    return ReconciliationRun.objects.create(
        check_name=check,
        status=RunStatus.SUCCEEDED,
        counts={
            "salesforce_records": 10,
            "netsuite_records": 9,
            "matched": 7,
            "counts": counts,
            "field_counts": {"name": 1},
        },
        progress={"phase": "done", "salesforce": 10, "netsuite": 9},
        finished_at=timezone.now(),
    )


def add_mismatch(run: ReconciliationRun, key: str, **values: Any) -> Mismatch:
    fields: dict[str, Any] = {
        "kind": "field_differs",
        "field": "name",
        "salesforce_value": "Acme",
        "netsuite_value": "ACME Ltd",
        **values,
    }
    return Mismatch.objects.create(
        run=run, check_name=run.check_name, key=key, dedup_key=f"recon:{run.check_name}:{key}:", **fields
    )


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def test_it_says_no_run_has_been_recorded(auditor_client: Client) -> None:
    response = auditor_client.get("/reconciliation/")
    assert response.status_code == 200
    assert "No reconciliation run has been recorded." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_every_role_reads_runs_and_outsiders_read_nothing(
    persona: str, persona_client: Callable[[str], Client]
) -> None:
    run = finished_run({"field_differs": 1})
    add_mismatch(run, "001")
    client = persona_client(persona)
    pages = [
        "/reconciliation/",
        f"/reconciliation/runs/{run.pk}/",
        f"/reconciliation/runs/{run.pk}/mismatches.csv",
    ]
    statuses = [client.get(url).status_code for url in pages]
    assert statuses == ([403] * 3 if persona == "outsider" else [200] * 3)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_revops_finance_and_admin_may_run_now(
    persona: str,
    persona_client: Callable[[str], Client],
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = persona_client(persona)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/reconciliation/checks/invoices/run/")
    assert queued == []  # nothing is queued before the transaction commits
    for callback in callbacks:
        callback()
    if persona not in RUNNERS:
        assert response.status_code == 403 and not ReconciliationRun.objects.exists() and queued == []
        return
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reconciliation/runs/{run.pk}/"
    assert (run.check_name, run.status, run.triggered_by.username if run.triggered_by else None) == (
        "invoices",
        RunStatus.QUEUED,
        persona,
    )
    assert queued == [(services.RUN_TASK, run.pk)]  # enqueued once the request's transaction committed
    again = client.post("/reconciliation/checks/invoices/run/", headers=HTMX)  # a double click
    assert (
        again["HX-Redirect"] == f"/reconciliation/runs/{run.pk}/" and ReconciliationRun.objects.count() == 1
    )


@pytest.mark.django_db
def test_the_run_button_shows_only_to_those_who_may_run(
    revops_client: Client, auditor_client: Client
) -> None:
    assert "Run now" in revops_client.get("/reconciliation/").content.decode()
    assert "Run now" not in auditor_client.get("/reconciliation/").content.decode()
    assert revops_client.post("/reconciliation/checks/nonsense/run/").status_code == 404


@pytest.mark.django_db
def test_a_running_run_polls_its_progress_until_it_is_done(auditor_client: Client) -> None:
    run = ReconciliationRun.objects.create(
        check_name="opportunities",
        status=RunStatus.RUNNING,
        progress={"phase": "reading_netsuite", "salesforce": 4000, "netsuite": 1000},
    )
    page = auditor_client.get(f"/reconciliation/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="50"' in page and "Salesforce records read 4000" in page
    assert "Mismatches" not in page

    poll = auditor_client.get(
        f"/reconciliation/runs/{run.pk}/", headers={**HTMX, "HX-Target": "run-progress"}
    )
    fragment = poll.content.decode()
    assert fragment.lstrip().startswith('<div id="run-progress"') and "every 2s" in fragment
    assert "<html" not in fragment

    ReconciliationRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, counts={"counts": {}})
    done = auditor_client.get(
        f"/reconciliation/runs/{run.pk}/", headers={**HTMX, "HX-Target": "run-progress"}
    )
    assert done["HX-Refresh"] == "true"  # reload once with the results; the page has no poller then
    assert "every 2s" not in auditor_client.get(f"/reconciliation/runs/{run.pk}/").content.decode()


@pytest.mark.django_db
def test_a_run_page_shows_counts_and_both_values_side_by_side(finance_client: Client) -> None:
    run = finished_run(
        {"missing_in_netsuite": 1, "missing_in_salesforce": 0, "field_differs": 1, "duplicate": 0}
    )
    add_mismatch(run, "001A")
    add_mismatch(
        run,
        "002B",
        kind="missing_in_netsuite",
        field="",
        salesforce_value={"name": "Bolt", "currency": "EUR"},
        netsuite_value=None,
    )
    page = finance_client.get(f"/reconciliation/runs/{run.pk}/").content.decode()
    assert "<td>Acme</td>" in page and "<td>ACME Ltd</td>" in page
    assert "<dt>currency</dt><dd>EUR</dd>" in page
    assert "<th>missing_in_netsuite</th>" in page and "<td>7</td>" in page  # matched

    only_missing = finance_client.get(
        f"/reconciliation/runs/{run.pk}/?kind=missing_in_netsuite",
        headers={**HTMX, "HX-Target": "mismatch-table"},
    ).content.decode()
    assert (
        only_missing.startswith('<div id="mismatch-table">')
        and "002B" in only_missing
        and "001A" not in only_missing
    )
    by_field = finance_client.get(f"/reconciliation/runs/{run.pk}/?field=name").content.decode()
    assert "001A" in by_field and "002B" not in by_field


@pytest.mark.django_db
def test_mismatches_are_paginated(auditor_client: Client) -> None:
    run = finished_run({"field_differs": 60})
    Mismatch.objects.bulk_create(
        Mismatch(
            run=run,
            check_name="accounts",
            kind="field_differs",
            key=f"K{n:03d}",
            field="name",
            dedup_key=f"k{n}",
        )
        for n in range(60)
    )
    first = auditor_client.get(f"/reconciliation/runs/{run.pk}/").content.decode()
    assert "K049" in first and "K050" not in first and "Page 1 of 2 (60 mismatches)" in first
    second = auditor_client.get(f"/reconciliation/runs/{run.pk}/?page=2").content.decode()
    assert "K050" in second and "K049" not in second


@pytest.mark.django_db
def test_it_exports_a_runs_mismatches_as_streamed_csv(auditor_client: Client) -> None:
    run = finished_run({"field_differs": 1, "missing_in_netsuite": 1})
    add_mismatch(run, "001A", exception_ref="EXC-1")
    add_mismatch(
        run,
        "002B",
        kind="missing_in_netsuite",
        field="",
        salesforce_value={"name": "Bolt"},
        netsuite_value=None,
    )
    response = auditor_client.get(f"/reconciliation/runs/{run.pk}/mismatches.csv")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert f"reconciliation-accounts-{run.pk}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows == [
        ["kind", "key", "field", "salesforce", "netsuite", "exception", "resolved_at", "details"],
        ["field_differs", "001A", "name", "Acme", "ACME Ltd", "EXC-1", "", ""],
        ["missing_in_netsuite", "002B", "", "name=Bolt", "", "", "", ""],
    ]
    assert auditor_client.get("/reconciliation/runs/999999/mismatches.csv").status_code == 404


@pytest.mark.django_db
def test_it_exports_formula_looking_values_as_text(auditor_client: Client) -> None:
    # Values come from Salesforce and NetSuite records: a spreadsheet must not run them.
    run = finished_run({"field_differs": 1})
    add_mismatch(
        run, "=KEY", salesforce_value='=HYPERLINK("https://evil.example","x")', netsuite_value="@SUM(A1)"
    )
    response = auditor_client.get(f"/reconciliation/runs/{run.pk}/mismatches.csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[1][1:5] == ["'=KEY", "name", '\'=HYPERLINK("https://evil.example","x")', "'@SUM(A1)"]


@pytest.mark.django_db
def test_the_index_draws_a_trend_of_past_runs(auditor_client: Client) -> None:
    finished_run({"missing_in_netsuite": 4, "field_differs": 2})
    finished_run({"missing_in_netsuite": 1, "field_differs": 2})
    page = auditor_client.get("/reconciliation/").content.decode()
    assert page.count("<polyline") == 4  # one line per class for "accounts"
    assert 'points="6.0,6.0 314.0,64.5"' in page  # missing_in_netsuite: 4 (the peak) then 1
    assert "Missing in NetSuite 1" in page and "Last 2 successful runs, peak 4" in page  # in words


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ROLE_PERSONAS)
def test_only_revops_edits_tolerances(persona: str, persona_client: Callable[[str], Client]) -> None:
    client = persona_client(persona)
    response = client.post(
        "/reconciliation/checks/invoices/tolerances/", {"field": "amount", "tolerance": "0.05"}
    )
    if persona != "revops":
        assert response.status_code == 403 and not Tolerance.objects.exists()
        return
    assert response.status_code == 302
    row = Tolerance.objects.get()
    assert (
        row.check_name,
        row.field,
        str(row.tolerance),
        row.updated_by.username if row.updated_by else "",
    ) == ("invoices", "amount", "0.050000", "revops")
    client.post("/reconciliation/checks/invoices/tolerances/", {"field": "status", "tolerance": "1"})
    client.post("/reconciliation/checks/invoices/tolerances/", {"field": "amount", "tolerance": "lots"})
    assert Tolerance.objects.count() == 1 and str(Tolerance.objects.get().tolerance) == "0.050000"
