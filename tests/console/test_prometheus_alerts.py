"""deploy/prometheus/alerts.yml names only what Concord's /metrics really exposes: every metric, every
label matched or grouped by, every ``$labels.x`` of an annotation, and each ``status`` value one the
product writes. Checked against a real scrape of /metrics over the ops world (tests/console/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from sync.pipeline.models import InboxStatus, JobStatus, RecordStatus, SyncRecord
from tests.console.conftest import OpsWorld

pytestmark = pytest.mark.django_db
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS_OWN = {"up"}  # Prometheus writes these itself for every target
STATUS_VALUES = {
    "concord_sync_records_total": set(RecordStatus.values),
    "concord_sync_jobs_total": set(JobStatus.values),
    "concord_inbox_messages": set(InboxStatus.values),
}
METRIC = re.compile(r"\b([a-z_][a-z0-9_]*)\s*(?:\{([^}]*)\})?")
MATCHER = re.compile(r'(\w+)\s*(?:=~|!~|!=|=)\s*"([^"]*)"')


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.fixture
def scrape(ops_world: OpsWorld, client: Client) -> dict[str, set[str]]:
    """Sample name -> the label names it carries, from a real /metrics answer."""
    SyncRecord.objects.update(duration_ms=1200)  # the histogram has buckets only for timed records
    response = client.get("/metrics")
    assert response.status_code == 200
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    return labels


def test_the_rules_file_is_well_formed() -> None:
    rules = _rules()
    assert len(rules) >= 10
    names = [rule["alert"] for rule in rules]
    assert len(set(names)) == len(names)
    for rule in rules:
        assert rule["expr"].strip() and rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"], rule["alert"]


def test_every_metric_and_label_the_rules_name_is_in_a_real_scrape(scrape: dict[str, set[str]]) -> None:
    named: set[str] = set()
    for rule in _rules():
        expr = rule["expr"]
        grouped = {
            label.strip() for group in re.findall(r"\bby\s*\(([^)]*)\)", expr) for label in group.split(",")
        }
        metrics = []
        for name, matchers in METRIC.findall(re.sub(r"\bby\s*\([^)]*\)", "", expr)):
            if not name.startswith("concord_") and name not in PROMETHEUS_OWN:
                continue  # functions, keywords
            named.add(name)
            if name in PROMETHEUS_OWN:
                continue
            assert name in scrape, f"{rule['alert']}: {name} is not in /metrics"
            metrics.append(name)
            for label, value in MATCHER.findall(matchers):
                assert label in scrape[name], f"{rule['alert']}: {name} has no label {label}"
                if label == "status":
                    assert value in STATUS_VALUES[name], f"{rule['alert']}: no {name} has status {value}"
        carried = set().union(*(scrape[m] for m in metrics)) if metrics else set()
        assert grouped <= carried, f"{rule['alert']}: grouped by {grouped - carried}, not labels of {metrics}"
        for text in rule["annotations"].values():
            for label in re.findall(r"\$labels\.(\w+)", text):
                assert label in (grouped or carried), f"{rule['alert']}: $labels.{label} is not kept"
    # Every family the collector writes is watched by some rule, so a renamed metric is caught here.
    assert {
        "concord_inbox_lag_seconds",
        "concord_sync_records_total",
        "concord_sync_record_duration_seconds_bucket",
        "concord_netsuite_concurrency_in_use",
        "concord_reconciliation_last_success_timestamp_seconds",
    } <= named
