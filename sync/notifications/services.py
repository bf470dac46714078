"""Changes people make to notifications: channels, preferences, the policy, resending a delivery.

Each service checks the person's permission, validates (``full_clean``), saves in a transaction and writes
one audit entry (:func:`core.audit.audit_record`). A webhook URL is never written to the audit trail, a
page or an answer: it is stored encrypted and shown back as a hint (host and last characters).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from core.secrets import SecretUnreadable, decrypt, encrypt
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.notifications.dispatch import DELIVER_TASK, Outcome, webhook_post
from sync.notifications.events import notification_policy
from sync.notifications.messages import Message, slack_payload, teams_payload
from sync.notifications.models import (
    ChannelKind,
    DeliveryStatus,
    EventKind,
    NotificationChannel,
    NotificationDelivery,
    NotificationPolicy,
    NotificationPreference,
)
from sync.notifications.permissions import AnyUser, can_manage_notifications, can_read_notifications

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
EVENT_KINDS = {kind.value for kind in EventKind}


def _require_manager(user: AnyUser | None) -> None:
    if user is not None and not can_manage_notifications(user):
        raise PermissionDenied("Only admins (manage connections) change notification channels and policy.")


def _check_integration(user: AnyUser | None, integration: Integration | None) -> None:
    if user is None:
        return
    scope = integration_scope(user)
    if scope.limited and (integration is None or not scope.allows(integration.pk)):
        raise PermissionDenied("You may only set up channels for the integrations you are granted.")


def url_hint(url: str) -> str:
    """What a page may show of a webhook URL: its host and its last four characters."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}/…{url[-4:]}"


def _validate_webhook(url: str) -> None:
    URLValidator(schemes=["https", "http"])(url)
    # The URL is the channel's only credential: never sent in clear, except to a relay on this machine.
    if url.startswith("http://") and urlsplit(url).hostname not in LOOPBACK:
        raise ValidationError("A webhook URL must be an https:// address (http only on loopback).")


def _validate_addresses(text: str) -> str:
    addresses = [part.strip() for part in text.split(",") if part.strip()]
    if not addresses:
        raise ValidationError("An e-mail channel needs at least one address.")
    for address in addresses:
        validate_email(address)
    return ", ".join(addresses)


def _validate_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = set(chosen) - EVENT_KINDS
    if unknown:
        raise ValidationError(f"Unknown event kinds: {', '.join(sorted(unknown))}")
    if not chosen:
        raise ValidationError("Choose at least one kind of event.")
    return chosen


def channel_create(
    *,
    user: AnyUser | None,
    name: str,
    kind: str,
    events: Iterable[str],
    webhook_url: str = "",
    email_to: str = "",
    integration: Integration | None = None,
) -> NotificationChannel:
    """A new Slack, Teams or e-mail channel receiving ``events`` (of ``integration``, or all)."""
    _require_manager(user)
    _check_integration(user, integration)
    if kind not in ChannelKind.values:
        raise ValidationError(f"Unknown channel kind {kind!r}: slack, teams or email.")
    now = timezone.now()
    channel = NotificationChannel(
        name=name.strip(),
        kind=kind,
        events=_validate_events(events),
        integration=integration,
        created_at=now,
        updated_at=now,
        updated_by=user if isinstance(user, User) else None,
    )
    _set_target(channel, webhook_url=webhook_url, email_to=email_to)
    with transaction.atomic():
        channel.full_clean()
        with disable_auditlog():
            channel.save()
        audit_record(
            obj=channel,
            actor=user,
            action=AuditAction.CREATE,
            changes=_summary(channel, before=None),
            event="notification_channel_created",
        )
    return channel


def _set_target(channel: NotificationChannel, *, webhook_url: str, email_to: str) -> None:
    if channel.kind == ChannelKind.EMAIL:
        channel.email_to = _validate_addresses(email_to)
        channel.webhook_url, channel.url_hint = "", ""
        return
    if webhook_url:
        _validate_webhook(webhook_url)
        channel.webhook_url, channel.url_hint = encrypt(webhook_url), url_hint(webhook_url)
    if not channel.webhook_url:
        raise ValidationError("A Slack or Teams channel needs its incoming webhook URL.")
    channel.email_to = ""


def _summary(channel: NotificationChannel, before: dict[str, Any] | None) -> dict[str, list[Any]]:
    after = {
        "name": channel.name,
        "kind": channel.kind,
        "events": channel.events,
        "integration": channel.integration.name if channel.integration else "(all)",
        "target": channel.email_to or channel.url_hint,
        "is_active": channel.is_active,
    }
    before = before or {}
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def channel_update(
    *,
    user: AnyUser | None,
    channel: NotificationChannel,
    name: str | None = None,
    events: Iterable[str] | None = None,
    webhook_url: str = "",
    email_to: str | None = None,
    is_active: bool | None = None,
    integration: Integration | None | str = "unchanged",
) -> NotificationChannel:
    """Change a channel (``None``/blank: unchanged; a new webhook URL replaces the stored one)."""
    _require_manager(user)
    _check_integration(user, channel.integration)
    with transaction.atomic():
        channel = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
        before = {key: value[1] for key, value in _summary(channel, before=None).items()}
        if name is not None:
            channel.name = name.strip()
        if events is not None:
            channel.events = _validate_events(events)
        if is_active is not None:
            channel.is_active = is_active
        if not isinstance(integration, str):
            _check_integration(user, integration)
            channel.integration = integration
        _set_target(
            channel,
            webhook_url=webhook_url,
            email_to=channel.email_to if email_to is None else email_to,
        )
        changes = _summary(channel, before=before)
        if webhook_url:
            changes["webhook_url"] = ["(set)", "(new URL)"]
        if not changes:
            return channel
        channel.updated_at = timezone.now()
        channel.updated_by = user if isinstance(user, User) else None
        channel.full_clean()
        with disable_auditlog():
            channel.save()
        audit_record(
            obj=channel,
            actor=user,
            action=AuditAction.UPDATE,
            changes=changes,
            event="notification_channel_changed",
        )
    return channel


def channel_delete(*, user: AnyUser | None, channel: NotificationChannel) -> None:
    """Remove a channel; its past deliveries stay (without it) on the deliveries page."""
    _require_manager(user)
    _check_integration(user, channel.integration)
    with transaction.atomic():
        audit_record(
            obj=channel,
            actor=user,
            action=AuditAction.DELETE,
            changes=_summary(channel, before=None),
            event="notification_channel_deleted",
        )
        with disable_auditlog():
            channel.delete()


@dataclass(frozen=True)
class ChannelTestResult:
    ok: bool
    message: str


def channel_test(*, user: AnyUser | None, channel: NotificationChannel) -> ChannelTestResult:
    """Post a test message to a webhook channel now (not queued, not retried); audited."""
    _require_manager(user)
    _check_integration(user, channel.integration)
    message = Message(
        title="Concord test notification",
        body=f"Channel {channel.name} is set up: Concord's notifications will arrive here.",
        url="",
        label="Test",
    )
    if channel.kind == ChannelKind.EMAIL:
        result = ChannelTestResult(False, "Test e-mail channels with manage.py sendtestemail.")
    else:
        payload = slack_payload(message) if channel.kind == ChannelKind.SLACK else teams_payload(message)
        outcome = _post(channel, payload)
        text = f"Delivered (HTTP {outcome.status_code})." if outcome.ok else f"Not delivered: {outcome.error}"
        result = ChannelTestResult(outcome.ok, text)
    audit_record(
        obj=channel,
        actor=user,
        action=AuditAction.ACCESS,
        event="notification_channel_tested",
        ok=result.ok,
        result=result.message,
    )
    return result


def _post(channel: NotificationChannel, payload: dict[str, Any]) -> Outcome:
    try:
        url = decrypt(channel.webhook_url)
    except SecretUnreadable as exc:
        return Outcome(ok=False, error=f"The webhook URL cannot be read: {exc}")
    return webhook_post(url=url, payload=payload)


def preference_set(
    *,
    user: User,
    event: str,
    console: bool,
    email: bool,
    integration: Integration | None = None,
    now: datetime | None = None,
) -> NotificationPreference:
    """``user``'s own choice for one kind of event (for one integration, or all); audited."""
    if not can_read_notifications(user):
        raise PermissionDenied("Only people with a console role receive notifications.")
    if event not in EVENT_KINDS:
        raise ValidationError(f"Unknown event kind {event!r}.")
    if integration is not None and not integration_scope(user).allows(integration.pk):
        raise PermissionDenied("You are not granted that integration.")
    now = now or timezone.now()
    with transaction.atomic():
        found = (
            NotificationPreference.objects.select_for_update()
            .filter(user=user, event=event, integration=integration)
            .first()
        )
        before = [found.console, found.email] if found else None
        preference = found or NotificationPreference(user=user, event=event, integration=integration)
        preference.console, preference.email, preference.updated_at = console, email, now
        preference.full_clean(validate_constraints=False)
        with disable_auditlog():
            preference.save()
        audit_record(
            obj=preference,
            actor=user,
            action=AuditAction.UPDATE if found else AuditAction.CREATE,
            changes={"console, email": [before, [console, email]]},
            event="notification_preference_set",
        )
    return preference


def preference_reset(*, user: User, preference: NotificationPreference) -> None:
    """Forget one of ``user``'s own choices (back to the default for their role)."""
    if preference.user_id != user.pk:
        raise PermissionDenied("Each person changes only their own notification preferences.")
    with transaction.atomic():
        audit_record(
            obj=preference,
            actor=user,
            action=AuditAction.DELETE,
            changes={"console, email": [[preference.console, preference.email], None]},
            event="notification_preference_reset",
        )
        with disable_auditlog():
            preference.delete()


POLICY_FIELDS = (
    "delay_seconds",
    "failure_rate_percent",
    "failure_rate_min_records",
    "failure_rate_window_minutes",
)
POLICY_LIMITS = {
    "delay_seconds": (0, 24 * 3600),
    "failure_rate_percent": (1, 100),
    "failure_rate_min_records": (1, 1_000_000),
    "failure_rate_window_minutes": (5, 7 * 24 * 60),
}


def policy_set(*, user: AnyUser | None, **values: int | None) -> NotificationPolicy:
    """Change the delay and the failure-rate threshold (``None``: unchanged); audited."""
    _require_manager(user)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown policy settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        notification_policy()
        policy = NotificationPolicy.objects.select_for_update().get(pk=1)
        changes: dict[str, list[Any]] = {}
        for field, value in values.items():
            if value is None:
                continue
            low, high = POLICY_LIMITS[field]
            if not low <= value <= high:
                raise ValidationError(f"{field} must be between {low} and {high}.")
            if getattr(policy, field) != value:
                changes[field] = [getattr(policy, field), value]
                setattr(policy, field, value)
        if changes:
            policy.updated_at = timezone.now()
            policy.updated_by = user if isinstance(user, User) else None
            policy.full_clean()
            with disable_auditlog():
                policy.save()
            audit_record(
                obj=policy,
                actor=user,
                action=AuditAction.UPDATE,
                changes=changes,
                event="notification_policy_changed",
            )
    return policy


def delivery_resend(
    *, user: AnyUser | None, delivery: NotificationDelivery, reason: str = ""
) -> NotificationDelivery:
    """Put a failed delivery back in line (sent by a task after commit); audited with the reason."""
    _require_manager(user)
    with transaction.atomic():
        if not NotificationDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
        ):
            raise ValidationError("Only a delivery that gave up can be sent again.")
        delivery.refresh_from_db()
        audit_record(
            obj=delivery,
            actor=user,
            action=AuditAction.ACCESS,
            event="notification_delivery_resent",
            reason=reason,
        )
        delivery_id = delivery.pk
        transaction.on_commit(
            lambda: async_task(DELIVER_TASK, delivery_id, task_name=f"notification-resend-{delivery_id}")
        )
    return delivery
