"""The inbound endpoints: plain Django views, outside the console's login (the URL token authenticates).

Order of checks: unknown token 404, oversized body 413, unreadable body 400, wrong org or signature 403;
nothing is stored in any of those cases. A 200 is sent only after the inbox rows have committed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.access import role_not_required
from core.secrets import decrypt
from sync.pipeline.inbox import InboundEvent, inbox_store
from sync.pipeline.listener import soap, webhook
from sync.pipeline.listener.listener_cache import listener_for_token
from sync.pipeline.models import InboxSource, Listener, ListenerKind

DEFAULT_MAX_BYTES = 1024 * 1024
logger = logging.getLogger(__name__)


def _listener(token: str, kind: str) -> Listener:
    listener = listener_for_token(token=token, kind=kind)
    if listener is None:
        raise Http404("no such listener")
    return listener


def _body(request: HttpRequest) -> bytes | HttpResponse:
    """The raw body, or a 413 when it is larger than ``SYNC_INBOUND_MAX_BYTES``."""
    limit = int(getattr(settings, "SYNC_INBOUND_MAX_BYTES", DEFAULT_MAX_BYTES))
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        return HttpResponse(
            f"request body larger than {limit} bytes\n", status=413, content_type="text/plain"
        )
    # Read at most limit + 1 bytes whatever the header said, so a lying Content-Length cannot get more in.
    body = request.read(limit + 1)
    if len(body) > limit:
        return HttpResponse(
            f"request body larger than {limit} bytes\n", status=413, content_type="text/plain"
        )
    return body


def _plain(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain")


def _log_stored(listener: Listener, source: str, received: int, created: int) -> None:
    logger.info(
        "listener %s stored %d of %d notification(s)",
        listener.name,
        created,
        received,
        extra={"event": "inbound_stored", "listener": listener.name, "source": source, "new": created},
    )


def _same_org(allowed: str, sent: str) -> bool:
    # Salesforce ids come in 15- and 18-character forms; the first 15 characters identify the org.
    return bool(allowed) and allowed[:15] == sent[:15]


@csrf_exempt
@login_not_required
@role_not_required
@require_POST
def outbound_message(request: HttpRequest, token: str) -> HttpResponse:
    listener = _listener(token, ListenerKind.OUTBOUND_MESSAGE)
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        message = soap.parse_outbound_message(body)
    except soap.MalformedMessage as exc:
        return _plain(400, f"malformed outbound message: {exc}")
    if not _same_org(listener.allowed_org_id, message.organization_id):
        return _plain(403, "organization id not allowed for this listener")
    created = inbox_store(
        listener=listener,
        source=InboxSource.OUTBOUND_MESSAGE,
        events=[
            InboundEvent(item.id, item.sobject, item.record_id, item.fields) for item in message.notifications
        ],
    )
    _log_stored(listener, InboxSource.OUTBOUND_MESSAGE, len(message.notifications), created)
    return HttpResponse(soap.ACK, content_type="text/xml; charset=utf-8")


@csrf_exempt
@login_not_required
@role_not_required
@require_POST
def webhook_event(request: HttpRequest, token: str) -> HttpResponse:
    listener = _listener(token, ListenerKind.WEBHOOK)
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        webhook.verify(
            decrypt(listener.signing_secret) if listener.signing_secret else "",
            request.headers.get(webhook.TIMESTAMP_HEADER, ""),
            request.headers.get(webhook.SIGNATURE_HEADER, ""),
            body,
        )
    except webhook.SignatureInvalid as exc:
        return _plain(403, f"signature refused: {exc}")
    try:
        events = webhook.parse_events(body)
    except webhook.PayloadInvalid as exc:
        return _plain(400, f"malformed webhook: {exc}")
    created = inbox_store(
        listener=listener,
        source=InboxSource.WEBHOOK,
        events=[InboundEvent(f"wh:{listener.pk}:{e.id}", e.sobject, e.record_id, {}) for e in events],
    )
    _log_stored(listener, InboxSource.WEBHOOK, len(events), created)
    return HttpResponse(
        f'{{"accepted": {len(events)}, "new": {created}}}', content_type="application/json", status=200
    )
