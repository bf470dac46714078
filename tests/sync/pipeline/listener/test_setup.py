"""The setup steps: one trigger-criteria function feeds every step; the URL is exact only when the token
is given; a webhook's steps name the signature and an example that signs as Concord verifies."""

from __future__ import annotations

import subprocess
import time

from sync.mappings.models import Flow
from sync.pipeline.flow_state import CLOSED_WON_FLOW
from sync.pipeline.listener.setup import setup_guide
from sync.pipeline.listener.webhook import verify
from sync.pipeline.models import FlowSetting, Listener
from sync.pipeline.triggers import TriggerKind

BASE = "https://concord.example/"


def _trigger(kind: str, **fields: str) -> None:
    flow, _ = Flow.objects.get_or_create(
        key=CLOSED_WON_FLOW, defaults={"source": "Opportunity", "direction": "Salesforce -> NetSuite"}
    )
    FlowSetting.objects.update_or_create(flow=flow, defaults={"trigger": kind, **fields})


def test_the_outbound_steps_follow_the_closed_won_flows_trigger(listener: Listener) -> None:
    text = setup_guide(listener=listener, base_url=BASE, token="tok").as_text()
    assert "Endpoint URL: https://concord.example/sync/inbound/outbound-message/tok/" in text
    assert "Rule criteria: criteria are met: Opportunity: Stage equals Closed Won" in text
    # The flow's trigger turned to a checkbox: the flow's and the rule's criteria follow it.
    _trigger(TriggerKind.CHECKBOX, checkbox_field="Send_to_NetSuite__c")
    text = setup_guide(listener=listener, base_url=BASE).as_text()
    assert "Send_to_NetSuite__c Equals True" in text
    assert "Opportunity: Send_to_NetSuite__c equals True" in text
    assert "Closed Won" not in text
    assert "/sync/inbound/outbound-message/********/" in text and "tok" not in text
    # Then to a condition the user wrote: the steps quote it, and say Concord checks it again.
    _trigger(TriggerKind.CONDITION, condition="Type = 'Renewal' AND Amount > 10000")
    text = setup_guide(listener=listener, base_url=BASE).as_text()
    assert "the SOQL condition Type = 'Renewal' AND Amount > 10000" in text
    assert "Opportunity WHERE Type = 'Renewal' AND Amount > 10000" in text
    assert "checks each notified record against it with Salesforce" in text


def test_a_listener_without_an_org_id_is_flagged(listener: Listener) -> None:
    listener.allowed_org_id = ""
    text = setup_guide(listener=listener, base_url=BASE).as_text()
    assert "No organization id is set: every message is refused" in text


def test_the_webhook_example_signs_as_the_listener_verifies(webhook_listener: Listener) -> None:
    guide = setup_guide(listener=webhook_listener, base_url=BASE, token="tok")
    (example,) = [step.example for step in guide.steps if step.example]
    # Run the example's signing lines (not the curl) in a shell, and check the listener accepts it.
    signing = "\n".join(line for line in example.splitlines() if not line.startswith(("curl", "  -")))
    script = f'KEY=k3y\n{signing}\nprintf "%s\\n%s\\n%s" "$ts" "$sig" "$body"'
    out = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True).stdout  # noqa: S603
    timestamp, signature, body = out.split("\n", 2)
    verify("k3y", timestamp, "sha256=" + signature, body.encode(), now=time.time())
