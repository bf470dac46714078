"""Tickets for exceptions, delivered to an outside tracker through a signed webhook.

Where: the ticket endpoint an admin saved (page, API or ``manage.py ticket_endpoint``; the secret is stored
encrypted), each value falling back to the settings ``EXCEPTION_TICKET_WEBHOOK_URL`` and
``EXCEPTION_TICKET_WEBHOOK_SECRET`` (environment variables of the same names) while it is blank there: a
saved value wins over the environment. Each delivery is a JSON POST with two headers the receiver checks:

* ``X-Concord-Timestamp``: Unix seconds when the request was signed (reject old ones to stop replays);
* ``X-Concord-Signature``: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>``.

A 2xx answer delivers the ticket (its ``id`` or ``key``, when the answer has one, becomes the external
reference); anything else is recorded as an attempt and tried again later with exponential backoff, up to
:data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from core.fields import field_fit
from core.secrets import decrypt
from sync.exceptions.events import event_record
from sync.exceptions.models import (
    ExceptionAction,
    ExceptionItem,
    Ticket,
    TicketAttempt,
    TicketEndpoint,
    TicketStatus,
)

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 6 * 60 * 60
TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT = 200  # characters of a refused delivery's answer kept in its error


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    url_source: str  # "console" (saved), "environment" or "" (none)
    secret_source: str


def ticket_endpoint() -> Endpoint:
    """The endpoint tickets go to now: each saved value, else the environment's (see the module doc)."""
    stored = TicketEndpoint.objects.filter(pk=1).first()
    env_url = getattr(settings, "EXCEPTION_TICKET_WEBHOOK_URL", "") or ""
    env_secret = getattr(settings, "EXCEPTION_TICKET_WEBHOOK_SECRET", "") or ""
    url, url_source = (stored.url, "console") if stored and stored.url else (env_url, "environment")
    if stored and stored.secret:
        secret, secret_source = decrypt(stored.secret), "console"
    else:
        secret, secret_source = env_secret, "environment"
    return Endpoint(
        url=url,
        secret=secret,
        url_source=url_source if url else "",
        secret_source=secret_source if secret else "",
    )


def ticket_open(*, item: ExceptionItem, now: datetime | None = None) -> Ticket:
    """Write the ticket (outbox row) and queue its delivery after commit. One open ticket per exception."""
    now = now or timezone.now()
    existing = item.tickets.exclude(status=TicketStatus.FAILED).first()
    if existing is not None:
        return existing
    ticket = Ticket.objects.create(item=item, payload=_payload(item), created_at=now, next_attempt_at=now)
    event_record(item, action=ExceptionAction.TICKET_OPENED, after={"ticket": ticket.pk}, now=now)
    ticket_id = ticket.pk
    transaction.on_commit(
        lambda: async_task("sync.tasks.ticket_deliver_task", ticket_id, task_name=f"ticket-{ticket_id}")
    )
    return ticket


def _payload(item: ExceptionItem) -> dict[str, Any]:
    return {
        "exception_id": item.pk,
        "category": item.category.key,
        "severity": item.severity,
        "title": item.title,
        "records": item.records,
        "subsidiary": item.subsidiary.key if item.subsidiary else None,
        "vendor_code": item.vendor_code,
        "vendor_message": item.vendor_message,
        "due_at": item.due_at.isoformat() if item.due_at else None,
    }


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Concord-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def ticket_deliver(*, ticket_id: int, now: datetime | None = None) -> Ticket:
    """Try to deliver one ticket now, if it is due; every try is recorded. Safe to run twice."""
    now = now or timezone.now()
    endpoint = ticket_endpoint()
    # Claim: only one worker may hold a due, pending ticket (a conditional update, not a read-then-write).
    claimed = Ticket.objects.filter(
        pk=ticket_id, status=TicketStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=TIMEOUT_SECONDS * 3))
    ticket = Ticket.objects.get(pk=ticket_id)
    if not claimed:
        return ticket
    if not endpoint.url:
        _record(ticket, now, ok=False, status_code=None, error=NO_ENDPOINT)
        return ticket
    try:
        response = webhook_post(endpoint=endpoint, payload=ticket.payload, ticket_ref=str(ticket.pk))
    except requests.RequestException as exc:
        _record(ticket, now, ok=False, status_code=None, error=f"{type(exc).__name__}: {exc}")
        return ticket
    if 200 <= response.status_code < 300:
        _record(ticket, now, ok=True, status_code=response.status_code, ref=_reference(response))
    else:
        error = f"HTTP {response.status_code}: {response.text[:RESPONSE_EXCERPT]}"
        _record(ticket, now, ok=False, status_code=response.status_code, error=error)
    return ticket


NO_ENDPOINT = "No ticket endpoint: set one on the exception policy page (or EXCEPTION_TICKET_WEBHOOK_URL)"


def webhook_post(*, endpoint: Endpoint, payload: dict[str, Any], ticket_ref: str) -> requests.Response:
    """POST ``payload`` signed with the endpoint's secret (raises :class:`requests.RequestException`)."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Concord-Timestamp": timestamp,
        "X-Concord-Signature": signature(secret=endpoint.secret, timestamp=timestamp, body=body),
        "X-Concord-Ticket": ticket_ref,  # lets the receiver drop a duplicate delivery
    }
    return requests.post(endpoint.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)


def _reference(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    if isinstance(answer, dict):
        return field_fit(Ticket, "external_ref", str(answer.get("id") or answer.get("key") or ""))
    return ""


def _record(
    ticket: Ticket, now: datetime, *, ok: bool, status_code: int | None, error: str = "", ref: str = ""
) -> None:
    with transaction.atomic():
        TicketAttempt.objects.create(
            ticket=ticket,
            at=now,
            ok=ok,
            status_code=status_code,
            error=field_fit(TicketAttempt, "error", error),
        )
        ticket.attempts += 1
        if ok:
            ticket.status, ticket.delivered_at, ticket.next_attempt_at = TicketStatus.DELIVERED, now, None
            ticket.external_ref = ref
            ticket.last_status = f"delivered (HTTP {status_code})"
        elif ticket.attempts >= MAX_ATTEMPTS:
            ticket.status, ticket.next_attempt_at = TicketStatus.FAILED, None
            ticket.last_status = field_fit(Ticket, "last_status", f"gave up: {error}")
        else:
            ticket.next_attempt_at = now + backoff(ticket.attempts)
            ticket.last_status = field_fit(Ticket, "last_status", error)
        ticket.save()


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s... capped at six hours, with up to 10% jitter so retries do not bunch up."""
    seconds = min(BASE_BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    return timedelta(seconds=seconds * (1 + random.uniform(0, 0.1)))


def tickets_deliver_due(*, now: datetime | None = None) -> int:
    """Try every pending ticket whose next attempt is due; returns how many were tried."""
    now = now or timezone.now()
    due = Ticket.objects.filter(status=TicketStatus.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:100])
    for ticket_id in ids:
        ticket_deliver(ticket_id=ticket_id, now=now)
    return len(ids)
