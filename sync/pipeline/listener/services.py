"""Listeners: creating the inbound URLs Salesforce (or a webhook sender) posts to, rotating them, enabling
and disabling them, and recording what arrives.

A listener's URL carries a random token that is its only credential. Like an API token, it is shown
once (the URL returned at creation and at rotation) and stored only as its SHA-256
(:func:`sync.pipeline.models.inbound.path_token_hash`); the inbound views hash what arrives and look that up.

Life cycle: created enabled; disabled, its endpoint answers 503 (not an acknowledgement), so Salesforce
keeps each notification and retries it for 24 hours; enabled again, the retries land, once each (the
inbox de-duplicates on the notification id). Each change is one audit entry. Sending a test notification
is :mod:`sync.pipeline.listener.probe`.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from auditlog.context import disable_auditlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.secrets import encrypt
from sync.connections.models import Connection
from sync.pipeline.models import Listener, ListenerKind
from sync.pipeline.models.inbound import new_path_token, path_token_hash

# How often a process writes a listener's last_received_at: the listener path is latency critical, so
# at most one conditional UPDATE per listener and process this often.
RECEIVED_EVERY_SECONDS = 60
_received_written: dict[int, float] = {}
_received_lock = threading.Lock()


def listener_create(
    *,
    name: str,
    salesforce_connection: Connection,
    netsuite_connection: Connection,
    kind: str = ListenerKind.OUTBOUND_MESSAGE,
    allowed_org_id: str = "",
    signing_secret: str = "",
    user: AbstractBaseUser | None = None,
) -> tuple[Listener, str]:
    """Create a listener with a fresh URL token; returns it with the token, which is not kept (audited
    through auditlog's registration, which leaves the token's hash out)."""
    token = new_path_token()
    listener = Listener(
        name=name,
        kind=kind,
        allowed_org_id=allowed_org_id,
        salesforce_connection=salesforce_connection,
        netsuite_connection=netsuite_connection,
        signing_secret=encrypt(signing_secret) if signing_secret else "",
        path_token_hash=path_token_hash(token),
    )
    listener.full_clean(exclude=["signing_secret"])
    with transaction.atomic():
        listener.save()
    return listener, token


def listener_token_rotate(*, listener: Listener, user: AbstractBaseUser | None = None) -> str:
    """Give ``listener`` a new URL token and return it (shown this once); the old URL stops at once in
    this process and within ``SYNC_LISTENER_CACHE_SECONDS`` in the others. One audit entry."""
    token = new_path_token()
    with transaction.atomic():
        locked = Listener.objects.select_for_update().get(pk=listener.pk)
        locked.path_token_hash = path_token_hash(token)
        with disable_auditlog():  # the entry below says it, without the hash
            locked.save(update_fields=["path_token_hash"])
        audit_record(
            obj=locked,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"url": ["previous token", "new token"]},
            event="listener_token_rotated",
        )
    listener.path_token_hash = locked.path_token_hash
    return token


def listener_set_active(
    *, listener: Listener, is_active: bool, user: AbstractBaseUser | None = None, reason: str = ""
) -> bool:
    """Enable or disable ``listener``; returns whether anything changed (doing it twice is harmless and
    writes no second entry). Disabled, its endpoint answers 503 and the sender retries; the change
    reaches this process at once and the others within ``SYNC_LISTENER_CACHE_SECONDS``."""
    with transaction.atomic():
        locked = Listener.objects.select_for_update().get(pk=listener.pk)
        changed = locked.is_active != is_active
        if changed:
            locked.is_active = is_active
            with disable_auditlog():  # the entry below says it, with the event and the reason
                locked.save(update_fields=["is_active"])  # post_save clears this process's memo
            audit_record(
                obj=locked,
                actor=user,
                action=AuditAction.UPDATE,
                changes={"is_active": [str(not is_active), str(is_active)]},
                event="listener_enabled" if is_active else "listener_disabled",
                reason=reason or None,
            )
    listener.is_active = locked.is_active
    return changed


def listener_received_mark(*, listener_id: int) -> None:
    """Record that a real notification reached ``listener_id`` now, cheaply: at most one conditional
    UPDATE per listener and process every :data:`RECEIVED_EVERY_SECONDS` (others are skipped in memory,
    and the UPDATE itself skips a row another process touched within that time)."""
    now = time.monotonic()
    with _received_lock:
        last = _received_written.get(listener_id)
        if last is not None and now - last < RECEIVED_EVERY_SECONDS:
            return
        _received_written[listener_id] = now
    moment = timezone.now()
    stale = Q(last_received_at__isnull=True) | Q(
        last_received_at__lt=moment - timedelta(seconds=RECEIVED_EVERY_SECONDS)
    )
    Listener.objects.filter(stale, pk=listener_id).update(last_received_at=moment)


def listener_received_forget() -> None:
    """Forget when this process last wrote ``last_received_at`` (tests; the next arrival writes it)."""
    with _received_lock:
        _received_written.clear()


def listener_test_mark(*, listener_id: int) -> None:
    """Record that a test notification reached ``listener_id`` (rare: written each time)."""
    Listener.objects.filter(pk=listener_id).update(last_test_at=timezone.now())
