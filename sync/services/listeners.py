"""Listeners: creating the inbound URLs Salesforce (or a webhook sender) posts to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from governance.secrets import encrypt
from sync.models import Connection, Listener, ListenerKind


def listener_create(
    *,
    name: str,
    salesforce_connection: Connection,
    netsuite_connection: Connection,
    kind: str = ListenerKind.OUTBOUND_MESSAGE,
    allowed_org_id: str = "",
    signing_secret: str = "",
    user: AbstractBaseUser | None = None,
) -> Listener:
    """Create a listener with a fresh secret path token (audited through auditlog's registration)."""
    listener = Listener(
        name=name,
        kind=kind,
        allowed_org_id=allowed_org_id,
        salesforce_connection=salesforce_connection,
        netsuite_connection=netsuite_connection,
        signing_secret=encrypt(signing_secret) if signing_secret else "",
    )
    listener.full_clean(exclude=["signing_secret"])
    with transaction.atomic():
        listener.save()
    return listener
