"""The demo's story (integration, simulators over HTTPS): ``manage.py demo_story`` plays simulated weeks
through the real pipeline; every row it leaves was written by Concord's own code, the simulators hold
what Concord says it wrote, every dashboard panel has figures, and a second play adds nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console.dashboard import panels_for
from demo.launcher import SimulatorPlan
from demo.story import REAL_NOW
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.pipeline.models import RecordStatus, ReturnRecord, ReturnStatus, SyncedInvoice, SyncJob, SyncRecord
from sync.rules.models import RuleVersion
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

DAYS = 10
# As the demo seeds them (demo.launcher.simulator_data_ensure).
DEMO_DATA = Dataset(seed=1, accounts=50, opportunities_per_account=2)
FIGURE = re.compile(r'data-figure="([^"]+)"[^>]*>([^<]*)<')


@pytest.fixture
def demo_simulators(tmp_path: Path) -> Iterator[SimulatorPlan]:
    data_dir = tmp_path / "simulators"
    seed_salesforce(data_dir, DEMO_DATA)
    seed_netsuite(data_dir, DEMO_DATA)
    running: list[RunningSimulator] = [
        start_in_thread(SALESFORCE_SPEC, data_dir),
        start_in_thread(NETSUITE_SPEC, data_dir),
    ]
    salesforce, netsuite = (urlsplit(sim.url).port or 0 for sim in running)
    yield SimulatorPlan(data_dir=data_dir, salesforce_port=salesforce, netsuite_port=netsuite)
    for sim in running:
        sim.stop()


def _play(plan: SimulatorPlan) -> str:
    out = io.StringIO()
    call_command(
        "demo_story",
        data_dir=plan.data_dir,
        salesforce_port=plan.salesforce_port,
        netsuite_port=plan.netsuite_port,
        days=DAYS,
        deals_per_day=3,
        stdout=out,
    )
    return out.getvalue()


def _rows() -> dict[str, int]:
    return {
        "jobs": SyncJob.objects.count(),
        "records": SyncRecord.objects.count(),
        "returns": ReturnRecord.objects.count(),
        "runs": ReconciliationRun.objects.count(),
        "exceptions": ExceptionItem.objects.count(),
    }


def test_the_story_runs_the_real_pipeline_once(demo_simulators: SimulatorPlan, settings: Any) -> None:
    settings.DEBUG = True
    summary = _play(demo_simulators)
    assert "The story: 10 simulated days" in summary, summary

    # Deals synced: the sales orders Concord recorded exist in the NetSuite simulator.
    netsuite = RestClient(demo_simulators.url(demo_simulators.netsuite_port), str(demo_simulators.ca_file))
    synced = SyncRecord.objects.filter(status=RecordStatus.SYNCED).exclude(netsuite_ids={})
    assert synced.values("opportunity_id").distinct().count() >= 20
    for record in synced.order_by("?")[:5]:
        order = netsuite.get("salesOrder", record.netsuite_ids["sales_order"])
        assert order["custbody_sf_opportunity_id"] == record.opportunity_id

    # Invoices and payments came back through the return flow.
    written = ReturnRecord.objects.filter(status=ReturnStatus.WRITTEN)
    assert written.filter(netsuite_type="invoice").exists()
    assert ReturnRecord.objects.filter(netsuite_type="customerPayment").exists()
    assert SyncedInvoice.objects.filter(amount_paid__gt=0).exists()

    # Published rules (RevOps submitted, Finance approved and published: four eyes) blocked a few deals.
    published = RuleVersion.objects.filter(status="published")
    assert published.exists()
    assert all(v.approved_by_id and v.approved_by_id != v.submitted_by_id for v in published)
    blocked = SyncRecord.objects.filter(status=RecordStatus.BLOCKED)
    assert blocked.exists()
    assert all(record.rule_evaluations for record in blocked)

    # The reconciliation ran every check and found mismatches, among them NetSuite's price correction.
    runs = ReconciliationRun.objects.all()
    assert runs.count() == 5 and all(run.status == RunStatus.SUCCEEDED for run in runs)
    assert sum(run.mismatch_total for run in runs) > 0
    assert Mismatch.objects.filter(run__check_name="opportunities", field="amount").exists()

    # The deal a rep closed with a mistyped amount was blocked, then synced once corrected: its
    # exception resolved itself.
    (typo,) = ExceptionItem.objects.filter(rule__startswith="amount_matches_quote", status="resolved")
    deal = typo.records[0]["id"]
    assert SyncRecord.objects.filter(opportunity_id=deal, status=RecordStatus.BLOCKED).exists()
    assert SyncRecord.objects.filter(opportunity_id=deal, status=RecordStatus.SYNCED).exists()
    assert typo.events.filter(action="auto_resolved").exists()

    # Exceptions in several states, worked by the personas.
    states = set(ExceptionItem.objects.values_list("status", flat=True))
    assert len(states) >= 3, states
    # Escalate works under the shipped exception policy (a two-level path for every category).
    assert ExceptionItem.objects.filter(events__action="escalated").exists()
    # The admin read NetSuite's subsidiaries with their names before go-live.
    assert Subsidiary.objects.filter(read_at__isnull=False).exclude(name="").exists()

    # Over simulated days: Concord's timestamps spread over the story, none ahead of the real clock.
    days = {job.started_at.date() for job in SyncJob.objects.all()}
    assert len(days) == DAYS
    assert max(job.started_at for job in SyncJob.objects.all()) <= timezone.now()
    assert timezone.now() - REAL_NOW() < dt.timedelta(seconds=1)  # the clock is real again

    # Every panel of every persona shows figures.
    for username in ("revops", "finance", "admin", "auditor"):
        client = Client()
        user = User.objects.get(username=username)
        client.force_login(user)
        for panel in panels_for(user=user):
            html = client.get(reverse("dashboard-panel", args=[panel.name])).content.decode()
            assert "<p>No " not in html, (username, panel.name, html)
            figures = dict(FIGURE.findall(html))
            assert figures, (username, panel.name)
            if panel.name == "health":
                continue  # badges (no worker runs in this test)
            empty = {k: v for k, v in figures.items() if not re.search(r"\d", v) and k != "queue-lag"}
            assert not empty, (username, panel.name, empty)

    # A second play (a second `make demo`) replays nothing.
    before = _rows()
    assert "already played" in _play(demo_simulators)
    assert _rows() == before


def test_it_refuses_to_run_without_debug_or_without_simulators(tmp_path: Path, settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("demo_story")
    settings.DEBUG = True
    with pytest.raises(CommandError, match="does not answer"):
        call_command("demo_story", data_dir=tmp_path, salesforce_port=1, netsuite_port=1)
