"""From due events to deliveries, and each delivery sent once, retried with backoff, and recorded.

django-q2 delivers a task at least once (STACK-NOTES): a delivery is *claimed* with a conditional update
(``pending`` -> ``sending``, with a lease) before anything is sent, so a task handed out twice, or the
schedule's sweep running beside it, finds nothing to claim and sends nothing. A worker that dies between
the send and the record leaves a ``sending`` row whose lease runs out: it is marked failed ("interrupted;
may have been delivered") and never re-sent by itself, because Slack and Teams have no idempotency key and
a second copy cannot be taken back; a person may resend it from the deliveries page.
"""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from core.fields import field_fit
from core.schedules import ScheduleSpec
from core.secrets import SecretUnreadable, decrypt
from sync.exceptions.models import Notification
from sync.notifications.messages import Message, email_text, slack_payload, teams_payload
from sync.notifications.models import (
    ChannelKind,
    DeliveryStatus,
    EventKind,
    EventStatus,
    NotificationChannel,
    NotificationDelivery,
    NotificationEvent,
)
from sync.notifications.recipients import event_recipients
from sync.notifications.sources import event_stale

logger = logging.getLogger(__name__)

DELIVER_TASK = "sync.tasks.notification_deliver_task"
MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3 * 60 * 60
TIMEOUT_SECONDS = 10
LEASE_SECONDS = TIMEOUT_SECONDS * 6
ANSWER_EXCERPT = 200
BATCH = 200

NOTIFICATIONS_DISPATCH_SPEC = ScheduleSpec(
    key="notifications-dispatch",
    name="sync: notifications dispatch",
    func="sync.tasks.notifications_dispatch_task",
    label="Notifications",
    description="Checks failure rates and reconciliation runs, sends the notifications whose delay has "
    "passed, and retries failed deliveries to Slack, Teams and e-mail.",
    default_minutes=1,
)


def events_dispatch_due(*, now: datetime | None = None) -> list[NotificationEvent]:
    """Send out every pending event whose delay has passed (each once: claimed by a conditional update)."""
    now = now or timezone.now()
    due = NotificationEvent.objects.filter(status=EventStatus.PENDING, due_at__lte=now).order_by("due_at")
    sent = []
    for event_id in list(due.values_list("pk", flat=True)[:BATCH]):
        event = event_dispatch(event_id=event_id, now=now)
        if event is not None:
            sent.append(event)
    return sent


def event_dispatch(*, event_id: int, now: datetime | None = None) -> NotificationEvent | None:
    """Send out one pending event now (its deliveries, its console notifications), unless it went stale
    meanwhile (then it is cancelled). None when another dispatcher had it or it was cleared."""
    now = now or timezone.now()
    event = NotificationEvent.objects.filter(pk=event_id, status=EventStatus.PENDING).first()
    if event is None:
        return None
    stale = event_stale(event)
    with transaction.atomic():
        if stale:
            NotificationEvent.objects.filter(pk=event_id, status=EventStatus.PENDING).update(
                status=EventStatus.CANCELLED,
                cancel_reason=field_fit(NotificationEvent, "cancel_reason", stale),
                resolved_at=now,
            )
            return None
        if not NotificationEvent.objects.filter(pk=event_id, status=EventStatus.PENDING).update(
            status=EventStatus.DISPATCHED, dispatched_at=now
        ):
            return None  # another dispatcher took it, or it was cleared meanwhile
        event.refresh_from_db()
        _fan_out(event, now)
    return event


def _fan_out(event: NotificationEvent, now: datetime) -> None:
    deliveries = []
    for channel in channels_for(event):
        address = channel.email_to if channel.kind == ChannelKind.EMAIL else channel.url_hint
        deliveries.append(
            NotificationDelivery(
                event=event, channel=channel, target=channel.kind, address=address, created_at=now
            )
        )
    notes = []
    for user, choice in event_recipients(event):
        if choice.console:
            notes.append(
                Notification(
                    user=user,
                    item_id=event.payload.get("item_id"),
                    message=field_fit(Notification, "message", event.title),
                    created_at=now,
                )
            )
        if choice.email and user.email:
            deliveries.append(
                NotificationDelivery(
                    event=event, user=user, target=ChannelKind.EMAIL, address=user.email, created_at=now
                )
            )
    Notification.objects.bulk_create(notes)
    for delivery in deliveries:
        delivery.next_attempt_at = now
        delivery.save()
        transaction.on_commit(partial(_enqueue_delivery, delivery.pk))


def _enqueue_delivery(delivery_id: int) -> None:
    async_task(DELIVER_TASK, delivery_id, task_name=f"notification-delivery-{delivery_id}")


def channels_for(event: NotificationEvent) -> list[NotificationChannel]:
    """Active channels subscribed to the event's kind, for all integrations or one the event names."""
    found = []
    for channel in NotificationChannel.objects.filter(is_active=True).order_by("pk"):
        if event.kind not in channel.events:
            continue
        if channel.integration_id is not None and channel.integration_id not in event.integration_ids:
            continue
        found.append(channel)
    return found


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    permanent: bool = False  # no point trying again (the webhook is gone, the payload refused)
    retry_after: int | None = None


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> NotificationDelivery:
    """Send one due delivery if it can be claimed; record the outcome. Safe to run twice at once."""
    now = now or timezone.now()
    # Due: its next attempt has come, or it was never tried (the task queued by the dispatch).
    due = Q(next_attempt_at__lte=now) | Q(attempts=0)
    claimed = NotificationDelivery.objects.filter(due, pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, lease_until=now + timedelta(seconds=LEASE_SECONDS)
    )
    delivery = NotificationDelivery.objects.select_related("event", "channel").get(pk=delivery_id)
    if not claimed:
        return delivery
    try:
        outcome = _send(delivery)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the delivery, never lost
        logger.exception("notification delivery %s failed", delivery_id)
        outcome = Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
    _record(delivery, outcome, now)
    return delivery


def message_of(event: NotificationEvent) -> Message:
    base = getattr(settings, "CONSOLE_BASE_URL", "").rstrip("/")
    url = f"{base}{event.link}" if base and event.link else ""
    return Message(title=event.title, body=event.body, url=url, label=EventKind(event.kind).label)


def _send(delivery: NotificationDelivery) -> Outcome:
    message = message_of(delivery.event)
    if delivery.target == ChannelKind.EMAIL:
        return _send_email(delivery, message)
    channel = delivery.channel
    if channel is None or not channel.webhook_url:
        return Outcome(ok=False, error="The channel was deleted or has no webhook URL", permanent=True)
    try:
        url = decrypt(channel.webhook_url)
    except SecretUnreadable as exc:
        return Outcome(ok=False, error=f"The webhook URL cannot be read: {exc}", permanent=True)
    payload = slack_payload(message) if delivery.target == ChannelKind.SLACK else teams_payload(message)
    return webhook_post(url=url, payload=payload)


def webhook_post(*, url: str, payload: dict[str, object]) -> Outcome:
    """POST the JSON payload to an incoming webhook and classify the answer."""
    verify: str | bool = getattr(settings, "NOTIFICATIONS_CA_BUNDLE", "") or True
    try:
        response = requests.post(
            url, json=payload, timeout=TIMEOUT_SECONDS, verify=verify, allow_redirects=False
        )
    except requests.RequestException as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code)
    error = f"HTTP {response.status_code}: {response.text[:ANSWER_EXCERPT]}"
    retry_after = _seconds(response.headers.get("Retry-After"))
    transient = response.status_code in (408, 425, 429) or response.status_code >= 500
    return Outcome(
        ok=False,
        status_code=response.status_code,
        error=error,
        permanent=not transient,
        retry_after=retry_after,
    )


def _seconds(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value else None
    except ValueError:
        return None


def _send_email(delivery: NotificationDelivery, message: Message) -> Outcome:
    addresses = [part.strip() for part in delivery.address.split(",") if part.strip()]
    if not addresses:
        return Outcome(ok=False, error="No e-mail address", permanent=True)
    subject, body = email_text(message)
    try:
        send_mail(subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", None), addresses)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(ok=False, error=f"Refused: {', '.join(exc.recipients)}", permanent=True)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
    return Outcome(ok=True)


def _record(delivery: NotificationDelivery, outcome: Outcome, now: datetime) -> None:
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.last_status_code = outcome.status_code
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        delivery.last_error = ""
    elif outcome.permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        delivery.last_error = field_fit(NotificationDelivery, "last_error", outcome.error)
    else:
        wait = backoff(delivery.attempts)
        if outcome.retry_after is not None:
            wait = max(wait, timedelta(seconds=outcome.retry_after))
        delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now + wait
        delivery.last_error = field_fit(NotificationDelivery, "last_error", outcome.error)
    delivery.save(
        update_fields=[
            "attempts",
            "lease_until",
            "last_status_code",
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_error",
        ]
    )


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s... capped at three hours, with up to 10% jitter so retries do not bunch up."""
    seconds = min(BASE_BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    return timedelta(seconds=seconds * (1 + random.uniform(0, 0.1)))  # noqa: S311 - not a secret


INTERRUPTED = "Interrupted while sending: it may have been delivered, so it is not re-sent by itself"


def deliveries_retry_due(*, now: datetime | None = None) -> int:
    """Send every pending delivery whose next attempt is due; mark lost sends. Returns how many were tried."""
    now = now or timezone.now()
    NotificationDelivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=now).update(
        status=DeliveryStatus.FAILED, lease_until=None, last_error=INTERRUPTED
    )
    due = NotificationDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:BATCH])
    for delivery_id in ids:
        delivery_send(delivery_id=delivery_id, now=now)
    return len(ids)
