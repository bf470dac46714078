"""The ticket endpoint: where tickets are delivered (URL and signing secret), set by admins.

A saved value wins; a blank one falls back to the environment (``EXCEPTION_TICKET_WEBHOOK_URL``,
``EXCEPTION_TICKET_WEBHOOK_SECRET``), see :func:`sync.exceptions.tickets.ticket_endpoint`. The secret is
stored encrypted (:class:`core.secrets.EncryptedTextField`) and never shown back: pages, the API and the
command only say whether one is set and where it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.secrets import encrypt
from sync.exceptions.models import TicketEndpoint
from sync.exceptions.permissions import AnyUser, can_edit_ticket_endpoint
from sync.exceptions.tickets import NO_ENDPOINT, ticket_endpoint, webhook_post

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def ticket_endpoint_set(
    *, user: AnyUser | None, url: str | None = None, secret: str | None = None, clear_secret: bool = False
) -> TicketEndpoint:
    """Save the ticket endpoint's URL and/or secret (``None``: unchanged; ``url=""`` goes back to the
    environment's). The secret is stored encrypted; the audit entry says it changed, never what it is."""
    if user is not None and not can_edit_ticket_endpoint(user):
        raise PermissionDenied("Only admins change the ticket endpoint.")
    if url:
        URLValidator(schemes=["https", "http"])(url)
        # The signing secret protects the receiver, not the ticket's content: plain http only on loopback
        # (a relay on the same machine).
        if url.startswith("http://") and urlsplit(url).hostname not in LOOPBACK:
            raise ValidationError("The ticket endpoint must be an https:// address (http only on loopback).")
    if secret is not None and clear_secret:
        raise ValidationError("Give a new secret or clear it, not both.")
    with transaction.atomic():
        endpoint, _ = TicketEndpoint.objects.select_for_update().get_or_create(pk=1)
        changes: dict[str, list[Any]] = {}
        now = timezone.now()
        if url is not None and url != endpoint.url:
            changes["url"] = [endpoint.url, url]
            endpoint.url = url
        if secret:
            changes["secret"] = ["(set)" if endpoint.secret else "(none)", "(new secret)"]
            endpoint.secret = encrypt(secret)
            endpoint.secret_changed_at = now
        elif clear_secret and endpoint.secret:
            changes["secret"] = ["(set)", "(none)"]
            endpoint.secret = ""
            endpoint.secret_changed_at = now
        if changes:
            endpoint.updated_at = now
            endpoint.updated_by = user if isinstance(user, User) else None
            endpoint.full_clean()
            with disable_auditlog():
                endpoint.save()
            audit_record(
                obj=endpoint,
                actor=user,
                action=AuditAction.UPDATE,
                changes=changes,
                event="ticket_endpoint_changed",
            )
    return endpoint


@dataclass(frozen=True)
class TicketTestResult:
    ok: bool
    message: str


def ticket_endpoint_test(*, user: AnyUser | None) -> TicketTestResult:
    """Send a signed test ticket (``"test": true``, no exception) to the endpoint now; audited."""
    if user is not None and not can_edit_ticket_endpoint(user):
        raise PermissionDenied("Only admins test the ticket endpoint.")
    endpoint = ticket_endpoint()
    if not endpoint.url:
        result = TicketTestResult(False, NO_ENDPOINT)
    else:
        payload = {"test": True, "title": "Concord test ticket", "sent_at": timezone.now().isoformat()}
        try:
            answer = webhook_post(endpoint=endpoint, payload=payload, ticket_ref="test")
        except requests.RequestException as exc:
            result = TicketTestResult(False, f"{type(exc).__name__}: {exc}")
        else:
            if 200 <= answer.status_code < 300:
                result = TicketTestResult(
                    True, f"Delivered: {endpoint.url} answered HTTP {answer.status_code}."
                )
            else:
                result = TicketTestResult(
                    False, f"{endpoint.url} answered HTTP {answer.status_code}: {answer.text[:200]}"
                )
    stored = TicketEndpoint.objects.get_or_create(pk=1)[0]
    audit_record(
        obj=stored,
        actor=user,
        action=AuditAction.ACCESS,
        event="ticket_endpoint_tested",
        ok=result.ok,
        result=result.message,
    )
    return result
