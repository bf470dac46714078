"""/healthz (database, broker, workers) and /metrics (Prometheus text, optional bearer token)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from console import health
from sync.pipeline.models import WorkerHeartbeat
from sync.pipeline.operations import worker_heartbeat_record
from tests.console.conftest import FLOW, OTHER_FLOW, OpsWorld

pytestmark = pytest.mark.django_db


def test_it_is_healthy_with_a_recent_worker_heartbeat(client: Client) -> None:
    worker_heartbeat_record(name="worker-1")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: part["ok"] for name, part in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "workers": True,
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_fails_without_a_worker_heartbeat(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == {"ok": False, "detail": "no worker heartbeat yet"}


def test_it_fails_when_the_last_heartbeat_is_too_old(client: Client, settings: Any) -> None:
    settings.HEALTH_WORKER_MAX_AGE = 60
    WorkerHeartbeat.objects.create(name="worker-1", seen_at=timezone.now() - dt.timedelta(seconds=300))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"]["detail"].startswith("no worker heartbeat for 30")


def test_it_counts_a_cluster_reporting_to_the_broker_as_workers_alive(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("console.health.Stat.get_all", lambda *args: [object()])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == {"ok": True, "detail": "1 cluster(s) reporting"}


def test_it_fails_when_the_broker_does_not_answer(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    worker_heartbeat_record(name="worker-1")

    class DownBroker:
        def ping(self) -> bool:
            raise ConnectionError("redis://secret-host:6379 refused")

    monkeypatch.setattr("console.health.get_broker", DownBroker)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == {"ok": False, "detail": "unreachable"}
    assert body["checks"]["database"]["ok"] and body["checks"]["workers"]["ok"]
    assert "secret-host" not in response.content.decode()  # nothing about the installation leaks


def test_it_fails_when_the_database_does_not_answer(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server at db.internal")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    result = health.health_check()
    assert not result.ok
    assert result.as_dict()["checks"] == {
        "database": {"ok": False, "detail": "unreachable"},
        "broker": {"ok": False, "detail": "not checked"},
        "workers": {"ok": False, "detail": "not checked"},
    }


def test_it_needs_no_sign_in(client: Client) -> None:
    assert client.get("/healthz").status_code in (200, 503)  # never the login page


def families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(family: Any, name: str | None = None) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for sample in family.samples
        if name is None or sample.name == name
    }


def test_it_exposes_prometheus_metrics_from_the_database(ops_world: OpsWorld, client: Client) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    parsed = families(response.content.decode())
    jobs = samples(parsed["concord_sync_jobs"], "concord_sync_jobs_total")
    assert jobs == {
        (("flow", OTHER_FLOW), ("status", "partial")): 1.0,
        (("flow", FLOW), ("status", "partial")): 2.0,
        (("flow", FLOW), ("status", "succeeded")): 1.0,
    }
    records = samples(parsed["concord_sync_records"], "concord_sync_records_total")
    assert records[(("flow", FLOW), ("status", "blocked"))] == 1.0
    assert records[(("flow", FLOW), ("status", "synced"))] == 2.0
    exceptions = samples(parsed["concord_exceptions"])
    assert exceptions[(("category", "sync_failure"), ("severity", "medium"), ("status", "open"))] == 2.0
    assert samples(parsed["concord_exceptions_overdue"]) == {(): 2.0}
    assert samples(parsed["concord_inbox_messages"]) == {
        (("status", "pending"),): 2.0,
        (("status", "claimed"),): 1.0,
        (("status", "done"),): 6.0,
        (("status", "failed"),): 0.0,  # set aside after repeated failures: none here
    }
    assert samples(parsed["concord_inbox_lag_seconds"]) == {(): 120.0}
    assert samples(parsed["concord_task_queue_depth"]) == {(): 0.0}
    assert samples(parsed["concord_netsuite_concurrency_in_use"]) == {(("connection", "ops-ns"),): 2.0}
    assert samples(parsed["concord_netsuite_concurrency_limit"]) == {(("connection", "ops-ns"),): 5.0}
    assert samples(parsed["concord_salesforce_api_requests_used"]) == {(("connection", "ops-sf"),): 150.0}
    # accounts' last run failed: its last successful run (2 missing) is what the gauge shows.
    assert samples(parsed["concord_reconciliation_last_mismatches"]) == {
        (("check", "accounts"),): 2.0,
        (("check", "invoices"),): 4.0,
    }


def test_it_exposes_the_record_duration_histogram(ops_world: OpsWorld, client: Client) -> None:
    from sync.pipeline.models import SyncRecord

    SyncRecord.objects.filter(opportunity_id="006000000000001AAA").update(duration_ms=300)
    SyncRecord.objects.filter(opportunity_id="006000000000002AAA").update(duration_ms=4000)
    parsed = families(client.get("/metrics").content.decode())
    histogram = parsed["concord_sync_record_duration_seconds"]
    buckets = {
        sample.labels["le"]: sample.value for sample in histogram.samples if sample.name.endswith("_bucket")
    }
    assert (buckets["0.25"], buckets["0.5"], buckets["5.0"], buckets["+Inf"]) == (0.0, 1.0, 2.0, 2.0)
    totals = {
        sample.name: sample.value for sample in histogram.samples if not sample.name.endswith("_bucket")
    }
    assert totals == {
        "concord_sync_record_duration_seconds_count": 2.0,
        "concord_sync_record_duration_seconds_sum": 4.3,
    }


def test_it_asks_for_the_bearer_token_when_one_is_set(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-secret"
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert allowed.status_code == 200 and "concord_sync_jobs" in allowed.content.decode()
