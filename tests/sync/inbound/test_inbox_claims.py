"""Claiming inbox messages: each once, leases that expire, completions that need the claim."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sync.models import InboxMessage, InboxStatus, Listener
from sync.services.inbox import inbox_claim, inbox_complete


def add(listener: Listener, count: int) -> list[InboxMessage]:
    return [
        InboxMessage.objects.create(
            notification_id=f"04l{n:015d}",
            source="outbound_message",
            listener=listener,
            salesforce_connection=listener.salesforce_connection,
            netsuite_connection=listener.netsuite_connection,
            record_id=f"006{n:015d}",
        )
        for n in range(count)
    ]


def test_it_never_gives_one_message_to_two_claims(listener: Listener) -> None:
    add(listener, 3)
    first_token, first = inbox_claim(limit=2)
    second_token, second = inbox_claim(limit=5)
    assert len(first) == 2 and len(second) == 1
    assert {m.pk for m in first}.isdisjoint({m.pk for m in second})
    assert inbox_claim(limit=5)[1] == []
    assert all(m.attempts == 1 and m.status == InboxStatus.CLAIMED for m in first)


def test_it_hands_out_again_a_message_whose_lease_expired(listener: Listener) -> None:
    add(listener, 1)
    dead_token, _ = inbox_claim(limit=1)
    # The worker holding it was killed: nothing completes it, and its lease runs out.
    InboxMessage.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    token, again = inbox_claim(limit=1)
    assert len(again) == 1 and again[0].attempts == 2 and token != dead_token
    # The dead worker coming back cannot complete what it no longer holds.
    assert inbox_complete(token=dead_token, job_id=None, pks=[again[0].pk]) == 0
    assert inbox_complete(token=token, job_id=None, pks=[again[0].pk]) == 1
    assert InboxMessage.objects.get().status == InboxStatus.DONE


def test_it_does_not_hand_out_a_message_within_its_lease(listener: Listener) -> None:
    add(listener, 1)
    inbox_claim(limit=1)
    assert inbox_claim(limit=1)[1] == []
