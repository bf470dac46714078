"""Listeners: creating the inbound URLs Salesforce (or a webhook sender) posts to, and rotating them.

A listener's URL carries a random token that is its only credential. Like an API token, it is shown
once (the URL returned at creation and at rotation) and stored only as its SHA-256
(:func:`sync.pipeline.models.inbound.path_token_hash`); the inbound views hash what arrives and look that up.
"""

from __future__ import annotations

from auditlog.context import disable_auditlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse

from core.audit import AuditAction, audit_record
from core.secrets import encrypt
from sync.connections.models import Connection
from sync.pipeline.models import Listener, ListenerKind
from sync.pipeline.models.inbound import new_path_token, path_token_hash

URL_NAMES = {
    ListenerKind.OUTBOUND_MESSAGE: "sync:inbound-outbound",
    ListenerKind.WEBHOOK: "sync:inbound-webhook",
}


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


def listener_url(*, listener: Listener, token: str, base_url: str) -> str:
    """The full URL to give Salesforce (or the webhook sender): ``base_url`` is the console's address as
    the sender reaches it, e.g. ``https://concord.example``."""
    return base_url.rstrip("/") + reverse(URL_NAMES[ListenerKind(listener.kind)], args=[token])
