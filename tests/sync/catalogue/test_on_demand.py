"""Syncing the catalogue on demand (service, API, command, page) and on its schedule: who may, the audit
entry with who asked, the queued task, a paused flow, and the schedule's registration."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core.schedules import schedule_spec
from governance.models import AuditEntry
from sync.catalogue import on_demand, tasks
from sync.catalogue.on_demand import catalogue_sync_request
from sync.catalogue.services import CATALOGUE_FLOW, CatalogueResult
from sync.mappings.services.versions import flow_ensure
from sync.pipeline import flows
from sync.pipeline.flow_state import flow_setting
from sync.pipeline.models import FlowSetting
from tests.api_support import token_client
from tests.sync.connections.support import offline_connection_pair
from tests.sync.pipeline.conftest import THREADED_DB


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        on_demand, "async_task", lambda name, **kwargs: calls.append({"name": name, **kwargs})
    )
    return calls


def _entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(additional_data__event="catalogue_sync").order_by("pk"))


@THREADED_DB  # real commits: the task is queued after commit
def test_a_person_queues_it_and_the_audit_trail_says_who(revops: User, queued: list[dict[str, Any]]) -> None:
    sf, ns = offline_connection_pair("cat")

    request = catalogue_sync_request(user=revops, salesforce=sf, netsuite=ns, full=True, reason="new prices")

    assert request.queued and request.pairs == [(sf, ns)]
    assert queued == [
        {
            "name": "sync.tasks.catalogue_sync",
            "trigger": "manual",
            "full": True,
            "salesforce_connection_id": sf.pk,
            "netsuite_connection_id": ns.pk,
            "task_name": "catalogue sync cat-sf <- cat-ns",
            "group": "sync-catalogue",
        }
    ]
    (entry,) = _entries()
    assert entry.actor == revops
    assert entry.additional_data["reason"] == "new prices" and entry.additional_data["full"] is True


@pytest.mark.django_db
def test_finance_may_not_and_a_paused_flow_refuses(finance: User, revops: User, queued: list[Any]) -> None:
    sf, ns = offline_connection_pair("cat")
    with pytest.raises(PermissionDenied):
        catalogue_sync_request(user=finance, salesforce=sf, netsuite=ns)
    flow = flow_ensure(key=CATALOGUE_FLOW, source="item", target_system="salesforce")
    FlowSetting.objects.filter(pk=flow_setting(flow=flow).pk).update(paused=True)
    with pytest.raises(ValidationError, match="paused"):
        catalogue_sync_request(user=revops, salesforce=sf, netsuite=ns)
    assert queued == [] and _entries() == []


@pytest.mark.django_db
def test_the_scheduled_task_skips_a_paused_flow_and_runs_each_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    sf, ns = offline_connection_pair("cat")
    runs: list[tuple[str, str, bool]] = []

    def run(**kwargs: Any) -> CatalogueResult:
        runs.append((kwargs["salesforce"].name, kwargs["trigger"], kwargs["full"]))
        return CatalogueResult(products_written=2, entries_written=3)

    monkeypatch.setattr(tasks, "catalogue_sync_run", run)
    monkeypatch.setattr(tasks, "served_pairs", lambda: [(sf, ns)])
    assert tasks.catalogue_sync() == 5
    assert runs == [("cat-sf", "schedule", False)]
    flow = flow_ensure(key=CATALOGUE_FLOW, source="item", target_system="salesforce")
    FlowSetting.objects.filter(pk=flow_setting(flow=flow).pk).update(paused=True)
    assert tasks.catalogue_sync() == 0 and len(runs) == 1
    spec = schedule_spec("catalogue-sync")
    assert spec.func == "sync.tasks.catalogue_sync" and spec.default_minutes == 60


@THREADED_DB
def test_the_api_queues_it_for_revops_and_refuses_finance(
    revops: User, finance: User, queued: list[dict[str, Any]]
) -> None:
    sf, ns = offline_connection_pair("cat")
    body = {"salesforce": sf.name, "netsuite": ns.name, "reason": "by API"}
    refused = token_client(finance).post("/api/v1/catalogue/sync/", body, content_type="application/json")
    assert refused.status_code == 403
    answer = token_client(revops).post("/api/v1/catalogue/sync/", body, content_type="application/json")
    assert answer.status_code == 202, answer.content
    assert answer.json() == {"full": False, "pairs": [{"salesforce": "cat-sf", "netsuite": "cat-ns"}]}
    assert [call["salesforce_connection_id"] for call in queued] == [sf.pk]
    (entry,) = _entries()
    assert entry.actor == revops and entry.additional_data["source"] == "api"


@pytest.mark.django_db
def test_the_page_shows_the_button_to_those_who_may_use_it(
    client: Client, revops: User, auditor: User
) -> None:
    client.force_login(auditor)
    page = client.get(reverse("sync:catalogue"))
    assert page.status_code == 200 and b"Sync now" not in page.content
    client.force_login(revops)
    page = client.get(reverse("sync:catalogue"))
    assert b"Sync now" in page.content and b"not installed" in page.content  # its schedule, not ensured here


@pytest.mark.django_db
def test_the_command_runs_it_and_says_what_it_did(monkeypatch: pytest.MonkeyPatch) -> None:
    sf, ns = offline_connection_pair("cat")
    monkeypatch.setattr(
        on_demand,
        "catalogue_sync_run",
        lambda **kwargs: CatalogueResult(read=4, products_written=1, entries_written=2, unchanged=3),
    )
    out = StringIO()
    call_command("catalogue_sync", "--salesforce", sf.name, "--netsuite", ns.name, "--full", stdout=out)
    assert "4 item(s) read, 1 product(s) and 2 price book entr(y/ies) written, 3 unchanged" in out.getvalue()
    (entry,) = _entries()
    assert entry.actor is None and entry.additional_data["source"] == "command"


@THREADED_DB  # real commits: resuming queues after commit
def test_the_catalogue_is_paused_and_resumed_like_the_other_flows(
    revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumed: list[str] = []
    monkeypatch.setattr("sync.pipeline.flows.async_task", lambda name, **kwargs: resumed.append(name))
    flow = flow_ensure(key=CATALOGUE_FLOW, source="item", target_system="salesforce")
    assert CATALOGUE_FLOW in [state.flow.key for state in flows.flow_states()]
    flows.flow_pause(flow=flows.flow_get(key=CATALOGUE_FLOW), user=revops, reason="price review")
    assert tasks.catalogue_sync() == 0
    flows.flow_resume(flow=flow, user=revops)
    assert resumed == ["sync.tasks.catalogue_sync"]
