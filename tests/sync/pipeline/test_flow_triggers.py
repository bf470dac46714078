"""The Closed Won flow's trigger and "push now" against the seeded simulators over HTTPS: the checkbox
(synced, cleared in Salesforce, ticked again and pushed again), a condition Salesforce evaluates (and one
it refuses, saving nothing), an org without the checkbox, a trigger changed after a first sync, and one
record pushed by a person past the trigger but not past the rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from governance.models import AuditEntry
from sync import tasks
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.mappings.models import Flow
from sync.pipeline.flow_state import flow_setting
from sync.pipeline.flows import flow_trigger_set, sync_push
from sync.pipeline.gates import GateOutcome, Gates
from sync.pipeline.models import (
    FlowSetting,
    InboxMessage,
    InboxSource,
    InboxStatus,
    RecordStatus,
    SyncRecord,
    TriggerKind,
)
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.runner import inbox_drain, run_batch
from sync.pipeline.triggers import Trigger
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.support import listener_issue

pytestmark = THREADED_DB
FIELD = "Send_to_NetSuite__c"


@pytest.fixture
def wired(
    seeded_connections: tuple[Connection, Connection],
    opportunity_flow: Flow,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Connection, Connection]:
    """A Closed Won listener for the pair (the trigger is checked on its Salesforce connection); drains
    are run by the test, not queued."""
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda *args, **kwargs: None)
    listener_issue(
        name="closed-won",
        salesforce_connection=seeded_connections[0],
        netsuite_connection=seeded_connections[1],
    )
    return seeded_connections


def open_with_quote(sf: SalesforceConnector) -> list[str]:
    rows = sf.query("SELECT Id FROM Opportunity WHERE IsClosed = false ORDER BY Id")
    graphs = sf.fetch_opportunity_graphs([row["Id"] for row in rows], FULL_GRAPH)
    return [key for key, graph in graphs.items() if graph["primary_quote"]]


def ticked(sf: SalesforceConnector, opportunity_id: str) -> bool:
    return bool(sf.get_records("Opportunity", [opportunity_id], [FIELD])[opportunity_id][FIELD])


def audit_entries_for(obj: models.Model) -> list[AuditEntry]:
    return list(AuditEntry.objects.get_for_object(obj).order_by("pk"))


def records_of(opportunity_id: str) -> list[SyncRecord]:
    return list(SyncRecord.objects.filter(opportunity_id=opportunity_id).order_by("pk"))


def test_it_syncs_a_ticked_checkbox_clears_it_and_pushes_again_when_ticked_again(
    wired: tuple[Connection, Connection],
    opportunity_flow: Flow,
    revops: User,
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    salesforce, netsuite = wired
    setting = flow_trigger_set(
        flow=opportunity_flow, user=revops, trigger=Trigger(TriggerKind.CHECKBOX, FIELD)
    )
    assert (setting.trigger, setting.checkbox_field) == (TriggerKind.CHECKBOX, FIELD)
    won = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")][0]
    chosen = open_with_quote(sf)[0]

    # Won but not ticked: the poll does not read it, and a batch that meets it skips it.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite) == 0
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[won], trigger="rerun")
    record = job.records.get()
    assert (record.status, record.message) == (
        RecordStatus.SKIPPED,
        f"{FIELD} is not ticked: nothing to sync",
    )

    sf.update("Opportunity", chosen, {FIELD: True})
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite) == 1
    (first_job,) = tasks.inbox_drain()
    (first,) = records_of(chosen)
    assert first.status == RecordStatus.SYNCED, first.message
    assert not ticked(sf, chosen)  # cleared after the sync, as Oracle's connector does
    assert netsuite_count("transaction", chosen) == 1
    # Our own clear moved SystemModstamp, but the box is not ticked: the poll finds nothing new.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite) == 0
    assert tasks.inbox_drain() == []

    # Ticked again: pushed again (one sales order still: NetSuite upserts by external id).
    sf.update("Opportunity", chosen, {FIELD: True, "Amount": 4321})
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite) == 1
    (second_job,) = tasks.inbox_drain()
    assert second_job != first_job
    assert [r.status for r in records_of(chosen)] == [RecordStatus.SYNCED, RecordStatus.SYNCED]
    assert not ticked(sf, chosen)
    assert netsuite_count("transaction", chosen) == 1
    entries = audit_entries_for(setting)
    assert [entry.additional_data["event"] for entry in entries] == ["flow_trigger_set"]


def test_it_leaves_the_checkbox_ticked_when_the_sync_is_blocked(
    wired: tuple[Connection, Connection], opportunity_flow: Flow, revops: User, sf: SalesforceConnector
) -> None:
    salesforce, netsuite = wired
    flow_trigger_set(flow=opportunity_flow, user=revops, trigger=Trigger(TriggerKind.CHECKBOX, FIELD))
    chosen = open_with_quote(sf)[0]
    sf.update("Opportunity", chosen, {FIELD: True})
    blocking = Gates(pre_sale=lambda graph: GateOutcome(blocked=True, reason="credit hold", rule="credit"))
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[chosen], gates=blocking)
    assert job.records.get().status == RecordStatus.BLOCKED
    assert ticked(sf, chosen)  # the request stands; the record shows the error in Salesforce
    status = sf.get_records("Opportunity", [chosen], ["Concord_Sync_Status__c"])[chosen]
    assert status["Concord_Sync_Status__c"] == "Error"


def test_it_lets_salesforce_judge_a_condition_and_refuses_one_it_rejects(
    wired: tuple[Connection, Connection], opportunity_flow: Flow, revops: User, sf: SalesforceConnector
) -> None:
    salesforce, netsuite = wired
    for condition, words in (
        ("Amont > 5", "INVALID_FIELD"),
        ("Amount >> 5", "MALFORMED_QUERY"),
        ("Amount > 5; DELETE", "';' or comments"),
    ):
        with pytest.raises(ValidationError) as caught:
            flow_trigger_set(
                flow=opportunity_flow,
                user=revops,
                trigger=Trigger(TriggerKind.CONDITION, condition=condition),
            )
        assert words in caught.value.messages[0], caught.value.messages
    # Nothing was saved, nothing audited.
    setting = flow_setting(flow=opportunity_flow)
    assert (setting.trigger, setting.condition) == (TriggerKind.CLOSED_WON, "")
    assert audit_entries_for(setting) == []

    won = sf.query("SELECT Id, Amount FROM Opportunity WHERE IsWon = true AND Amount != null ORDER BY Amount")
    rows = [(row["Id"], row["Amount"]) for row in won]
    (small, small_amount), (large, large_amount) = rows[0], rows[-1]
    assert small_amount < large_amount
    threshold = (small_amount + large_amount) / 2
    condition = f"StageName = 'Closed Won' AND Amount > {threshold}"
    flow_trigger_set(
        flow=opportunity_flow, user=revops, trigger=Trigger(TriggerKind.CONDITION, condition=condition)
    )
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[small, large], trigger="rerun")
    by_id = {record.opportunity_id: record for record in job.records.all()}
    assert by_id[large].status == RecordStatus.SYNCED, by_id[large].message
    assert (by_id[small].status, by_id[small].message) == (
        RecordStatus.SKIPPED,
        "does not meet the flow's condition: nothing to sync",
    )

    # The second day: the trigger goes back to Closed Won, and the skipped deal syncs on its re-run.
    flow_trigger_set(flow=opportunity_flow, user=revops, trigger=Trigger(TriggerKind.CLOSED_WON))
    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[small], trigger="rerun")
    assert again.records.get().status == RecordStatus.SYNCED
    changes = [entry.changes for entry in audit_entries_for(FlowSetting.objects.get(flow=opportunity_flow))]
    assert changes[-1]["trigger"] == ["condition", "closed_won"]


def test_it_refuses_a_checkbox_the_org_does_not_have(
    wired: tuple[Connection, Connection], opportunity_flow: Flow, revops: User
) -> None:
    for field, words in (
        ("Push_to_ERP__c", "has no field Push_to_ERP__c on Opportunity"),
        ("Type", "is a picklist field, not a checkbox"),
        ("IsWon", "is read-only for Concord's user"),
        ("x = true OR Id", "is not a Salesforce field name"),
    ):
        with pytest.raises(ValidationError) as caught:
            flow_trigger_set(flow=opportunity_flow, user=revops, trigger=Trigger(TriggerKind.CHECKBOX, field))
        assert words in caught.value.messages[0], caught.value.messages
    assert flow_setting(flow=opportunity_flow).trigger == TriggerKind.CLOSED_WON


def test_it_pushes_one_record_past_the_trigger_but_not_past_the_rules(
    wired: tuple[Connection, Connection],
    revops: User,
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    first, second = open_with_quote(sf)[:2]
    pushed = sync_push(opportunity_id=first, user=revops, reason="customer asked")
    assert (pushed.message.source, pushed.message.status, pushed.paused) == (
        InboxSource.MANUAL,
        InboxStatus.PENDING,
        False,
    )
    (job_id,) = tasks.inbox_drain()
    record = SyncRecord.objects.get(job_id=job_id)
    assert record.status == RecordStatus.SYNCED, record.message  # not won, yet synced: a person chose it
    assert record.job.trigger == InboxSource.MANUAL
    assert netsuite_count("transaction", first) == 1
    setting = FlowSetting.objects.get(flow__key="opportunity_to_netsuite")
    (entry,) = audit_entries_for(setting)
    assert (entry.actor, entry.additional_data["event"], entry.additional_data["opportunity_id"]) == (
        revops,
        "sync_push",
        first,
    )
    assert entry.additional_data["reason"] == "customer asked"

    # A rule still blocks a pushed record.
    sync_push(opportunity_id=second, user=revops)
    blocking = Gates(pre_sale=lambda graph: GateOutcome(blocked=True, reason="credit hold", rule="credit"))
    (blocked_job,) = inbox_drain(gates=blocking)
    assert SyncRecord.objects.get(job_id=blocked_job).status == RecordStatus.BLOCKED
    assert netsuite_count("transaction", second) == 0
    assert InboxMessage.objects.filter(status=InboxStatus.PENDING).count() == 0


def test_it_refuses_a_push_it_cannot_do(
    wired: tuple[Connection, Connection], revops: User, finance: User
) -> None:
    for opportunity_id, words in (
        ("006'; DROP", "is not a Salesforce record id"),
        ("006000000000000AAA", "has no opportunity 006000000000000AAA"),
    ):
        with pytest.raises(ValidationError) as caught:
            sync_push(opportunity_id=opportunity_id, user=revops)
        assert words in caught.value.messages[0]
    with pytest.raises(PermissionDenied):
        sync_push(opportunity_id="006000000000000AAA", user=finance)
    assert not InboxMessage.objects.exists()
