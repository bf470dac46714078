"""Operating flows without the simulators: pause and resume (twice, and refused when repeated), who may,
the audit trail, the inbox claim while paused, backfills held and re-queued, the page, the API and the
commands."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from governance.models import AuditEntry
from sync.mappings.models import Flow
from sync.mappings.permissions import flow_access_grant
from sync.pipeline.backfills import backfill_start, backfill_step
from sync.pipeline.flow_state import flow_setting
from sync.pipeline.flows import flow_pause, flow_resume, flow_states, flow_trigger_set, sync_push
from sync.pipeline.inbox import inbox_claim, inbox_requeue_opportunity
from sync.pipeline.models import Backfill, BackfillStatus, InboxMessage, InboxSource, InboxStatus, TriggerKind
from sync.pipeline.permissions import can_operate_flow
from sync.pipeline.triggers import Trigger
from tests.api_support import token_client
from tests.sync.connections.support import offline_connection_pair
from tests.sync.pipeline.conftest import THREADED_DB

OPPORTUNITY = "006000000000001AAA"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    record = lambda name, *args, **kwargs: names.append(name)  # noqa: E731
    monkeypatch.setattr("sync.pipeline.inbox.async_task", record)
    monkeypatch.setattr("sync.pipeline.flows.async_task", record)
    monkeypatch.setattr("sync.pipeline.backfills.async_task", record)
    return names


def events(flow: Flow) -> list[str]:
    setting = flow_setting(flow=flow)
    return [e.additional_data["event"] for e in AuditEntry.objects.get_for_object(setting).order_by("pk")]


@THREADED_DB  # real commits: resuming enqueues after commit
def test_it_pauses_and_resumes_twice_and_refuses_a_repeat(
    opportunity_flow: Flow, revops: User, queued: list[str]
) -> None:
    sf, ns = offline_connection_pair("flows")
    inbox_requeue_opportunity(
        opportunity_id=OPPORTUNITY,
        salesforce_connection_id=sf.pk,
        netsuite_connection_id=ns.pk,
        source="rerun",
    )
    for round_ in (1, 2):
        setting = flow_pause(flow=opportunity_flow, user=revops, reason=f"window {round_}")
        assert (setting.paused, setting.paused_by, setting.pause_reason) == (True, revops, f"window {round_}")
        with pytest.raises(ValidationError, match="already paused"):
            flow_pause(flow=opportunity_flow, user=revops)
        _, claimed = inbox_claim()
        assert claimed == []  # paused: the event waits
        assert InboxMessage.objects.get().status == InboxStatus.PENDING
        queued.clear()
        setting = flow_resume(flow=opportunity_flow, user=revops)
        assert (setting.paused, setting.paused_at, setting.paused_by) == (False, None, None)
        assert queued == ["sync.tasks.inbox_drain"]
        with pytest.raises(ValidationError, match="is not paused"):
            flow_resume(flow=opportunity_flow, user=revops)
    _, claimed = inbox_claim()
    assert [m.record_id for m in claimed] == [OPPORTUNITY]
    assert events(opportunity_flow) == ["flow_pause", "flow_resume", "flow_pause", "flow_resume"]
    entry = AuditEntry.objects.filter(additional_data__event="flow_pause").order_by("pk").first()
    assert entry is not None and entry.actor == revops and entry.additional_data["reason"] == "window 1"


@THREADED_DB  # real commits: resuming enqueues after commit
def test_it_holds_a_backfill_while_paused_and_queues_it_again_on_resume(
    opportunity_flow: Flow, revops: User, queued: list[str]
) -> None:
    sf, ns = offline_connection_pair("flows")
    backfill = backfill_start(actor=revops, salesforce=sf, netsuite=ns, since=dt.date(2026, 1, 1))
    flow_pause(flow=opportunity_flow, user=revops)
    with pytest.raises(ValidationError, match="paused"):
        backfill_start(actor=revops, salesforce=sf, netsuite=ns, since=dt.date(2026, 1, 1))
    held = backfill_step(backfill_id=backfill.pk, step=0)  # its queued task runs: claims nothing
    assert (held.status, held.batches) == (BackfillStatus.QUEUED, 0)
    queued.clear()
    flow_resume(flow=opportunity_flow, user=revops)
    assert sorted(queued) == ["sync.tasks.backfill_run", "sync.tasks.inbox_drain"]
    assert Backfill.objects.get().status == BackfillStatus.QUEUED


@pytest.mark.django_db
def test_it_lets_revops_admin_and_granted_people_operate_flows(
    opportunity_flow: Flow, revops: User, admin: User, finance: User, auditor: User
) -> None:
    assert can_operate_flow(revops, opportunity_flow) and can_operate_flow(admin, opportunity_flow)
    assert not can_operate_flow(finance, opportunity_flow) and not can_operate_flow(auditor, opportunity_flow)
    for person in (finance, auditor):
        with pytest.raises(PermissionDenied):
            flow_pause(flow=opportunity_flow, user=person)
        with pytest.raises(PermissionDenied):
            flow_trigger_set(flow=opportunity_flow, user=person, trigger=Trigger())
    flow_access_grant(holder=finance, flow=opportunity_flow)  # a per-flow grant (sync.operate_flow)
    finance = User.objects.get(pk=finance.pk)
    assert can_operate_flow(finance, opportunity_flow)
    assert flow_pause(flow=opportunity_flow, user=finance).paused


@pytest.mark.django_db
def test_it_gives_only_the_closed_won_flow_a_trigger(seeded_mappings: None, revops: User) -> None:
    invoices = Flow.objects.get(key="netsuite_invoice_to_salesforce")
    with pytest.raises(ValidationError, match="Only opportunity_to_netsuite has a trigger"):
        flow_trigger_set(flow=invoices, user=revops, trigger=Trigger(TriggerKind.CHECKBOX))
    keys = [state.flow.key for state in flow_states()]
    assert keys == [
        "opportunity_to_netsuite",
        "netsuite_invoice_to_salesforce",
        "netsuite_payment_to_salesforce",
        "netsuite_order_status_to_salesforce",
        "netsuite_customer_to_salesforce",
        "netsuite_credit_memo_to_salesforce",
        "netsuite_refund_to_salesforce",
        "netsuite_fulfillment_to_salesforce",
        "netsuite_subscription_to_salesforce",
        "netsuite_item_to_salesforce",
    ]


@pytest.mark.django_db
def test_it_shows_and_operates_flows_on_the_page(
    opportunity_flow: Flow, revops_client: Client, auditor_client: Client, queued: list[str]
) -> None:
    page = revops_client.get(reverse("sync:flows"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stage equals Closed Won" in html and "Pause" in html and "Push now" in html
    assert "Refunds back to Salesforce" in html and "netsuite_refund_to_salesforce" in html
    watched = auditor_client.get(reverse("sync:flows")).content.decode()
    assert "Running" in watched and "Pause</button>" not in watched and "Push now" not in watched

    answer = revops_client.post(
        reverse("sync:flow-pause", args=["opportunity_to_netsuite"]), {"reason": "month end"}, follow=True
    )
    assert "Paused" in answer.content.decode() and "month end" in answer.content.decode()
    assert flow_setting(flow=opportunity_flow).paused
    assert (
        auditor_client.post(reverse("sync:flow-resume", args=["opportunity_to_netsuite"])).status_code == 403
    )
    # A trigger Concord cannot check (no Salesforce connection here) is refused on the page; nothing saved.
    refused = revops_client.post(
        reverse("sync:flow-trigger", args=["opportunity_to_netsuite"]),
        {"trigger": "condition", "condition": "Amount > 5"},
    )
    assert refused.status_code == 400 and "no active Salesforce connection" in refused.content.decode()
    assert flow_setting(flow=opportunity_flow).trigger == TriggerKind.CLOSED_WON
    bad = revops_client.post(reverse("sync:push"), {"opportunity_id": "not an id"})
    assert bad.status_code == 400 and "is not a Salesforce record id" in bad.content.decode()
    assert revops_client.post(reverse("sync:flow-pause", args=["no_such_flow"])).status_code == 404


@pytest.mark.django_db
def test_it_operates_flows_through_the_api(
    opportunity_flow: Flow, revops: User, finance: User, queued: list[str]
) -> None:
    api = token_client(revops)
    listed = api.get("/api/v1/flow-settings/").json()
    assert [row["key"] for row in listed][:1] == ["opportunity_to_netsuite"]
    labels = {row["key"]: row["title"] for row in listed}
    assert labels["netsuite_credit_memo_to_salesforce"] == "Credit memos back to Salesforce"
    assert labels["netsuite_fulfillment_to_salesforce"] == "Item fulfilment status back to the opportunity"
    assert (
        listed[0]["trigger"] == "closed_won" and listed[0]["salesforce_criteria"] == "Stage equals Closed Won"
    )
    url = "/api/v1/flow-settings/opportunity_to_netsuite/"
    paused = api.post(url + "pause/", {"reason": "audit"}, content_type="application/json")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert paused.json()["paused_by"] == "revops" and paused.json()["pause_reason"] == "audit"
    again = api.post(url + "pause/", {}, content_type="application/json")
    assert again.status_code == 400 and "already paused" in str(again.json())
    assert token_client(finance).post(url + "resume/", {}, content_type="application/json").status_code == 403
    resumed = api.post(url + "resume/", {}, content_type="application/json")
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    wrong = api.post(url + "trigger/", {"trigger": "sometimes"}, content_type="application/json")
    assert wrong.status_code == 400
    push = api.post("/api/v1/pushes/", {"opportunity_id": "x"}, content_type="application/json")
    assert push.status_code == 400 and "is not a Salesforce record id" in str(push.json())


@pytest.mark.django_db
def test_it_operates_flows_from_the_terminal(opportunity_flow: Flow, queued: list[str]) -> None:
    out = StringIO()
    call_command("flow_pause", "opportunity_to_netsuite", "--reason", "maintenance", stdout=out)
    assert "opportunity_to_netsuite paused" in out.getvalue()
    with pytest.raises(CommandError, match="already paused"):
        call_command("flow_pause", "opportunity_to_netsuite")
    listing = StringIO()
    call_command("flow_list", stdout=listing)
    assert (
        "opportunity_to_netsuite (Closed Won deals to NetSuite): PAUSED since" in listing.getvalue()
        and "maintenance" in listing.getvalue()
    )
    assert "netsuite_subscription_to_salesforce (Subscription status back to" in listing.getvalue()
    assert "Stage equals Closed Won" in listing.getvalue()
    call_command("flow_resume", "opportunity_to_netsuite", stdout=StringIO())
    assert not flow_setting(flow=opportunity_flow).paused
    with pytest.raises(CommandError, match="No flow 'nope'"):
        call_command("flow_pause", "nope")
    with pytest.raises(CommandError, match="no active Salesforce connection"):
        call_command("flow_trigger", "checkbox")
    trigger_out = StringIO()
    call_command("flow_trigger", "closed_won", stdout=trigger_out)
    assert "Salesforce criteria: Stage equals Closed Won" in trigger_out.getvalue()
    with pytest.raises(CommandError, match="is not a Salesforce record id"):
        call_command("sync_push", "nope")
    assert events(opportunity_flow) == ["flow_pause", "flow_resume"]
    assert not InboxMessage.objects.filter(source=InboxSource.MANUAL).exists()


@pytest.mark.django_db
def test_pushing_through_a_connection_without_credentials_is_a_clear_refusal(admin: User) -> None:
    salesforce, netsuite = offline_connection_pair("bare")  # no username, password or keys
    with pytest.raises(ValidationError, match="The Salesforce connection bare-sf is not set up: .*needs"):
        sync_push(opportunity_id="006000000000000AAA", user=admin, salesforce=salesforce, netsuite=netsuite)
    assert not InboxMessage.objects.filter(source=InboxSource.MANUAL).exists()
