"""The inbound endpoints: plain Django views, outside the console's login (the URL token authenticates).

Order of checks: unknown token 404, disabled listener 503 (the sender retries: Salesforce for 24 hours),
oversized body 413, unreadable body 400, wrong org or signature 403; nothing is stored in any of those
cases. A 200 is sent only after the inbox rows have committed. A test notification
(:mod:`sync.pipeline.listener.probe`) passes the same checks, is acknowledged, and only sets the
listener's ``last_test_at``: it never reaches the inbox.
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
from sync.integrations.models import Integration
from sync.pipeline.inbox import InboundEvent, inbox_store
from sync.pipeline.listener import soap, webhook
from sync.pipeline.listener.listener_cache import listener_with_integration
from sync.pipeline.listener.services import listener_received_mark, listener_test_mark
from sync.pipeline.models import InboxSource, Listener, ListenerKind

DEFAULT_MAX_BYTES = 1024 * 1024
DISABLED = "listener disabled in Concord; retry later"
RETRY_AFTER_SECONDS = "300"
logger = logging.getLogger(__name__)


def _listener(token: str, kind: str) -> tuple[Listener, Integration]:
    found = listener_with_integration(token=token, kind=kind)
    if found is None:
        raise Http404("no such listener")
    return found


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


def _disabled(kind: str) -> HttpResponse:
    """503, not an acknowledgement: the sender keeps the notification and tries again later."""
    if kind == ListenerKind.OUTBOUND_MESSAGE:
        response = HttpResponse(soap.fault(DISABLED), status=503, content_type="text/xml; charset=utf-8")
    else:
        response = _plain(503, DISABLED)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


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
    listener, integration = _listener(token, ListenerKind.OUTBOUND_MESSAGE)
    if not listener.is_active:
        return _disabled(ListenerKind.OUTBOUND_MESSAGE)
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        message = soap.parse_outbound_message(body)
    except soap.MalformedMessage as exc:
        return _plain(400, f"malformed outbound message: {exc}")
    if not _same_org(listener.allowed_org_id, message.organization_id):
        return _plain(403, "organization id not allowed for this listener")
    real = [item for item in message.notifications if not item.id.startswith(soap.TEST_ID_PREFIX)]
    if len(real) < len(message.notifications):
        listener_test_mark(listener_id=listener.pk)
    if real:
        created = inbox_store(
            listener=listener,
            source=InboxSource.OUTBOUND_MESSAGE,
            events=[InboundEvent(item.id, item.sobject, item.record_id, item.fields) for item in real],
            integration=integration,
        )
        _log_stored(listener, InboxSource.OUTBOUND_MESSAGE, len(real), created)
        listener_received_mark(listener_id=listener.pk)
    return HttpResponse(soap.ACK, content_type="text/xml; charset=utf-8")


@csrf_exempt
@login_not_required
@role_not_required
@require_POST
def webhook_event(request: HttpRequest, token: str) -> HttpResponse:
    listener, integration = _listener(token, ListenerKind.WEBHOOK)
    if not listener.is_active:
        return _disabled(ListenerKind.WEBHOOK)
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
    real = [event for event in events if not event.id.startswith(webhook.TEST_EVENT_PREFIX)]
    if len(real) < len(events):
        listener_test_mark(listener_id=listener.pk)
    created = 0
    if real:
        created = inbox_store(
            listener=listener,
            source=InboxSource.WEBHOOK,
            events=[InboundEvent(f"wh:{listener.pk}:{e.id}", e.sobject, e.record_id, {}) for e in real],
            integration=integration,
        )
        _log_stored(listener, InboxSource.WEBHOOK, len(real), created)
        listener_received_mark(listener_id=listener.pk)
    return HttpResponse(
        f'{{"accepted": {len(events)}, "new": {created}}}', content_type="application/json", status=200
    )
