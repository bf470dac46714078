"""The setup steps: one trigger-criteria function feeds every step; the URL is exact only when the token
is given; a webhook's steps name the signature and an example that signs as Concord verifies."""

from __future__ import annotations

import subprocess
import time

import pytest

from sync.pipeline.listener import setup
from sync.pipeline.listener.setup import Condition, TriggerCriteria, setup_guide
from sync.pipeline.listener.webhook import verify
from sync.pipeline.models import Listener

BASE = "https://concord.example/"


def test_the_outbound_steps_follow_the_trigger_criteria(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = setup_guide(listener=listener, base_url=BASE, token="tok").as_text()
    assert "Endpoint URL: https://concord.example/sync/inbound/outbound-message/tok/" in text
    assert "Rule criteria: criteria are met: Opportunity: Stage equals Closed Won" in text
    # The seam: another trigger (a checkbox) changes the flow's and the rule's criteria alike.
    checkbox = TriggerCriteria(
        sobject="Opportunity",
        conditions=(Condition("Send to NetSuite", "Send_to_NetSuite__c", "equals", "True"),),
    )
    monkeypatch.setattr(setup, "trigger_criteria", lambda listener: checkbox)
    text = setup_guide(listener=listener, base_url=BASE).as_text()
    assert "Send_to_NetSuite__c Equals True" in text and "Opportunity: Send to NetSuite equals True" in text
    assert "Closed Won" not in text
    assert "/sync/inbound/outbound-message/********/" in text and "tok" not in text


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
