"""Each integration's pause is its own, where many pairs' work is handled at once: the inbox claim (Closed
Won), backfills and the scheduled catalogue sync hold only the paused integration's pairs; the others run.
Pausing integration B's catalogue flow through the API and the command reaches exactly B's flow."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.access_grants import user_access_grant
from sync.catalogue import on_demand, tasks
from sync.catalogue.on_demand import catalogue_sync_request
from sync.catalogue.services import CATALOGUE_FLOW, CatalogueResult
from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow
from sync.mappings.services.versions import flow_ensure
from sync.pipeline.backfills import backfill_start, backfill_step
from sync.pipeline.flow_state import (
    CLOSED_WON_FLOW,
    flow_paused,
    flow_setting,
    paused_salesforce_connections,
)
from sync.pipeline.flows import flow_pause, flow_resume
from sync.pipeline.inbox import inbox_claim, inbox_drain_follow_up, inbox_requeue_opportunity
from sync.pipeline.models import BackfillStatus, FlowSetting, InboxMessage, InboxStatus
from tests.api_support import token_client
from tests.sync.connections.support import offline_connection_pair
from tests.sync.pipeline.conftest import THREADED_DB

OPPORTUNITY = "006000000000001AAA"  # the same id in both orgs


class World:
    """The primary (org A's pair), ``acme`` (org B's pair) and a pair no integration names (the
    primary's by default)."""

    def __init__(self) -> None:
        self.a = offline_connection_pair("a")
        self.b = offline_connection_pair("b")
        self.loose = offline_connection_pair("loose")
        self.primary = primary_integration()
        self.primary.salesforce_connection, self.primary.netsuite_connection = self.a
        self.primary.save()
        self.acme = Integration.objects.create(
            name="acme",
            namespace="ACQ",
            salesforce_connection=self.b[0],
            netsuite_connection=self.b[1],
        )

    def flow(self, key: str, integration: Integration) -> Flow:
        source, target = ("Opportunity", "netsuite") if key == CLOSED_WON_FLOW else ("item", "salesforce")
        return flow_ensure(key=key, source=source, target_system=target, integration=integration)

    def pairs(self) -> list[tuple[Connection, Connection]]:
        return [self.a, self.b, self.loose]


@pytest.fixture
def world(db: None) -> World:
    return World()


def pause(flow: Flow) -> None:
    FlowSetting.objects.filter(pk=flow_setting(flow=flow).pk).update(paused=True)


def inbox_rows(world: World) -> None:
    for sf, ns in world.pairs():
        inbox_requeue_opportunity(
            opportunity_id=OPPORTUNITY,
            salesforce_connection_id=sf.pk,
            netsuite_connection_id=ns.pk,
            source="rerun",
        )


def claimed_connections(world: World) -> set[str]:
    _, claimed = inbox_claim()
    return {message.salesforce_connection.name for message in claimed}


def test_it_claims_the_other_integrations_rows_while_one_is_paused(world: World) -> None:
    inbox_rows(world)
    pause(world.flow(CLOSED_WON_FLOW, world.acme))
    with CaptureQueriesContext(connection) as queries:
        _, claimed = inbox_claim()
    assert {message.salesforce_connection.name for message in claimed} == {"a-sf", "loose-sf"}
    # One query says which wait, none per row: it, the flag, the set-aside, the candidates, the update,
    # the read.
    assert len(queries) == 6, [q["sql"] for q in queries]
    waiting = InboxMessage.objects.get(status=InboxStatus.PENDING)
    assert waiting.salesforce_connection == world.b[0]
    assert inbox_drain_follow_up() is False  # B's row waits: no drain asked for it
    assert claimed_connections(world) == set()


def test_a_paused_primary_holds_its_own_and_unnamed_pairs_but_not_acme(world: World) -> None:
    inbox_rows(world)
    pause(world.flow(CLOSED_WON_FLOW, world.primary))
    assert claimed_connections(world) == {"b-sf"}
    held = set(
        InboxMessage.objects.filter(status=InboxStatus.PENDING).values_list(
            "salesforce_connection__name", flat=True
        )
    )
    assert held == {"a-sf", "loose-sf"}


@THREADED_DB  # real commits: resuming enqueues after commit
def test_with_every_integration_paused_nothing_is_claimed_until_one_resumes(
    world: World, revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[str] = []
    monkeypatch.setattr("sync.pipeline.flows.async_task", lambda name, *a, **kw: queued.append(name))
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, *a, **kw: queued.append(name))
    inbox_rows(world)
    acme_flow = world.flow(CLOSED_WON_FLOW, world.acme)
    flow_pause(flow=world.flow(CLOSED_WON_FLOW, world.primary), user=revops)
    flow_pause(flow=acme_flow, user=revops)
    assert paused_salesforce_connections(CLOSED_WON_FLOW).everywhere
    assert claimed_connections(world) == set()
    flow_resume(flow=acme_flow, user=revops)
    assert "sync.tasks.inbox_drain" in queued
    assert claimed_connections(world) == {"b-sf"}


@THREADED_DB  # backfill_start enqueues after commit
def test_a_backfill_waits_for_its_own_integration_only(
    world: World, revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.pipeline.backfills.async_task", lambda *a, **kw: None)
    monkeypatch.setattr("sync.pipeline.backfills._run_one_batch", lambda backfill: ([], 0, 0))
    since = dt.date(2026, 1, 1)
    backfills = {
        key: backfill_start(actor=revops, salesforce=sf, netsuite=ns, since=since)
        for key, (sf, ns) in (("a", world.a), ("b", world.b))
    }
    pause(world.flow(CLOSED_WON_FLOW, world.acme))
    with pytest.raises(ValidationError, match="paused"):
        backfill_start(actor=revops, salesforce=world.b[0], netsuite=world.b[1], since=since)
    held = backfill_step(backfill_id=backfills["b"].pk, step=0, chain=False)
    assert (held.status, held.batches) == (BackfillStatus.QUEUED, 0)
    ran = backfill_step(backfill_id=backfills["a"].pk, step=0, chain=False)
    assert (ran.status, ran.batches) == (BackfillStatus.SUCCEEDED, 1)


def test_the_scheduled_catalogue_sync_skips_only_the_paused_integrations_pairs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []

    def run(**kwargs: Any) -> CatalogueResult:
        runs.append(kwargs["salesforce"].name)
        return CatalogueResult(products_written=1)

    monkeypatch.setattr(tasks, "catalogue_sync_run", run)
    monkeypatch.setattr(tasks, "served_pairs", world.pairs)
    pause(world.flow(CATALOGUE_FLOW, world.acme))
    assert tasks.catalogue_sync() == 2 and runs == ["a-sf", "loose-sf"]
    runs.clear()
    sf_b, ns_b = world.b
    assert tasks.catalogue_sync(salesforce_connection_id=sf_b.pk, netsuite_connection_id=ns_b.pk) == 0
    assert runs == []
    pause(world.flow(CATALOGUE_FLOW, world.primary))
    assert tasks.catalogue_sync() == 0 and runs == []


def test_a_person_asking_for_a_paused_integrations_catalogue_is_refused_with_its_name(
    world: World, revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(on_demand, "catalogue_sync_run", lambda **kwargs: CatalogueResult(read=1))
    pause(world.flow(CATALOGUE_FLOW, world.acme))
    with pytest.raises(ValidationError, match="paused for integration acme"):
        catalogue_sync_request(user=revops, salesforce=world.b[0], netsuite=world.b[1], run_now=True)
    done = catalogue_sync_request(user=revops, salesforce=world.a[0], netsuite=world.a[1], run_now=True)
    assert done.pairs == [world.a] and len(done.results) == 1


@THREADED_DB  # real commits: resuming queues after commit
def test_pausing_acmes_catalogue_by_the_api_and_the_command_pauses_only_acmes(
    world: World, revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.pipeline.flows.async_task", lambda *a, **kw: None)
    world.flow(CATALOGUE_FLOW, world.primary)
    world.flow(CATALOGUE_FLOW, world.acme)
    api = token_client(revops)
    url = f"/api/v1/flow-settings/{CATALOGUE_FLOW}/pause/?integration=acme"
    answer = api.post(url, {"reason": "acme's price review"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["paused"] is True
    assert flow_paused(CATALOGUE_FLOW, world.acme) and not flow_paused(CATALOGUE_FLOW)
    assert paused_salesforce_connections(CATALOGUE_FLOW).holds(world.b[0].pk)
    assert not paused_salesforce_connections(CATALOGUE_FLOW).holds(world.a[0].pk)
    call_command("flow_resume", CATALOGUE_FLOW, "--integration", "acme", stdout=StringIO())
    assert not flow_paused(CATALOGUE_FLOW, world.acme)
    call_command("flow_pause", CATALOGUE_FLOW, "--integration", "acme", stdout=StringIO())
    assert flow_paused(CATALOGUE_FLOW, world.acme) and not flow_paused(CATALOGUE_FLOW)


def test_the_catalogue_page_names_the_paused_integrations_the_person_may_see(
    world: World, client: Client, revops: User, admin: User
) -> None:
    pause(world.flow(CATALOGUE_FLOW, world.acme))
    client.force_login(revops)
    assert b"paused for acme" in client.get(reverse("sync:catalogue")).content
    user_access_grant(user=revops, kind="integration", target=world.primary, actor=admin)
    client.force_login(User.objects.get(pk=revops.pk))
    assert b"paused for" not in client.get(reverse("sync:catalogue")).content
