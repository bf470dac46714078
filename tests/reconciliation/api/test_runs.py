"""Reconciliation runs through the API: every role reads, RevOps/Finance/Admin start one (the same
service as "Run now"), mismatches are read per run with filters."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, RunTrigger
from tests.api_support import token_client

JSON = "application/json"


def test_it_starts_a_run_once_and_names_who_started_it(
    finance: User, auditor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[object] = []
    monkeypatch.setattr("reconciliation.services.async_task", lambda *args, **kwargs: queued.append(args))
    client = token_client(finance)
    first = client.post("/api/v1/reconciliation/runs/", {"check": "accounts"}, content_type=JSON)
    assert first.status_code == 202, first.content
    body = first.json()
    assert (body["check_name"], body["status"], body["triggered_by"]) == ("accounts", "queued", "finance")
    assert (body["check_label"], body["status_label"]) == ("Accounts ↔ customers", "Queued")  # the words
    again = client.post("/api/v1/reconciliation/runs/", {"check": "accounts"}, content_type=JSON)
    assert again.json()["id"] == body["id"]  # a run of it is already queued
    run = ReconciliationRun.objects.get()
    assert run.trigger == RunTrigger.CONSOLE
    assert (
        client.post("/api/v1/reconciliation/runs/", {"check": "nope"}, content_type=JSON).status_code == 400
    )
    refused = token_client(auditor).post(
        "/api/v1/reconciliation/runs/", {"check": "accounts"}, content_type=JSON
    )
    assert refused.status_code == 403


def test_it_lists_a_runs_mismatches_with_filters(auditor: User) -> None:
    run = ReconciliationRun.objects.create(check_name="accounts", status=RunStatus.SUCCEEDED, counts={})
    other = ReconciliationRun.objects.create(check_name="accounts", status=RunStatus.SUCCEEDED, counts={})
    for key, kind, field in (
        ("A", "field_differs", "name"),
        ("B", "missing_in_netsuite", ""),
        ("C", "field_differs", "currency"),
    ):
        Mismatch.objects.create(
            run=run, check_name="accounts", kind=kind, key=key, field=field, dedup_key=key
        )
    Mismatch.objects.create(run=other, check_name="accounts", kind="duplicate", key="Z", dedup_key="Z")
    client = token_client(auditor)
    url = f"/api/v1/reconciliation/runs/{run.pk}/mismatches/"
    rows = client.get(url).json()["results"]
    assert [row["key"] for row in rows] == ["A", "B", "C"]
    assert [(row["kind"], row["kind_label"]) for row in rows[:2]] == [
        ("field_differs", "A field differs"),
        ("missing_in_netsuite", "Missing in NetSuite"),
    ]
    assert [
        row["key"] for row in client.get(f"{url}?kind=field_differs&field=currency").json()["results"]
    ] == ["C"]
    assert client.get("/api/v1/reconciliation/runs/999999/mismatches/").status_code == 404
    runs = client.get("/api/v1/reconciliation/runs/?check_name=accounts").json()
    assert runs["count"] == 2
