"""Sending a test notification: proof that the path from the sender to the listener works, end to end.

Concord keeps only a hash of a listener's token, so the test starts from the URL the admin configured in
Salesforce (or the one just shown at creation or rotation). It must hash to this listener's current
token; then Concord POSTs, over real HTTP(S) to that very URL, what the sender would: a well-formed
Outbound Message with one notification whose Id starts with :data:`soap.TEST_ID_PREFIX` (a webhook
listener: an event whose id starts with :data:`webhook.TEST_EVENT_PREFIX`, signed with the stored key).
The endpoint acknowledges it as any notification, records ``last_test_at`` and stores nothing in the
inbox. The result says how far it got: not reached (and why), the HTTP status, acknowledged or not, and
how long it took.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.audit import AuditAction, audit_record
from core.secrets import decrypt
from sync.pipeline.listener import soap, webhook
from sync.pipeline.listener.setup import MASK, URL_NAMES
from sync.pipeline.models import Listener, ListenerKind
from sync.pipeline.models.inbound import path_token_hash

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
NOT_CURRENT = "not this listener's current URL: was it rotated? Paste the URL configured in the sender."


@dataclass(frozen=True)
class ProbeResult:
    url: str  # with the token masked: the result may be shown and logged
    reached: bool
    status: int | None
    acknowledged: bool
    elapsed_ms: int
    error: str  # the exact failure; empty when acknowledged

    @property
    def ok(self) -> bool:
        return self.acknowledged

    @property
    def summary(self) -> str:
        if self.ok:
            return f"Reached, HTTP {self.status}, acknowledged in {self.elapsed_ms} ms."
        return f"Failed after {self.elapsed_ms} ms: {self.error}"

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "url": self.url,
            "reached": self.reached,
            "status": self.status,
            "acknowledged": self.acknowledged,
            "elapsed_ms": self.elapsed_ms,
            "error": self.error,
            "summary": self.summary,
        }


def listener_url_token(*, listener: Listener, url: str) -> str:
    """The token in ``url`` when it is ``listener``'s current URL; else a ValidationError saying why."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("Give the full URL, starting with https:// (or http://).")
    token = parts.path.rstrip("/").rsplit("/", 1)[-1]
    expected = reverse(URL_NAMES[ListenerKind(listener.kind)], args=[token])
    if not token or token == MASK or not parts.path.endswith(expected):
        kind_path = reverse(URL_NAMES[ListenerKind(listener.kind)], args=["TOKEN"])
        raise ValidationError(f"Not a URL of this kind of listener (its path ends with {kind_path}).")
    if path_token_hash(token) != listener.path_token_hash:
        raise ValidationError(NOT_CURRENT)
    return token


def listener_test_send(
    *, listener: Listener, url: str, user: AbstractBaseUser | None = None, timeout: float = TIMEOUT_SECONDS
) -> ProbeResult:
    """POST a test notification to ``url`` (``listener``'s current URL, else ValidationError) and say
    how far it got. Writes nothing but the listener's ``last_test_at`` (the endpoint does) and one audit
    entry with the outcome."""
    token = listener_url_token(listener=listener, url=url)
    if listener.kind == ListenerKind.WEBHOOK:
        body, headers = _webhook_request(listener)
    else:
        body = soap.probe_envelope(
            organization_id=listener.allowed_org_id or "(none set)",
            notification_id=soap.TEST_ID_PREFIX + secrets.token_hex(8),
        )
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    result = _post(
        url.strip(), token, body, headers, timeout, webhook_kind=listener.kind == ListenerKind.WEBHOOK
    )
    audit_record(
        obj=listener,
        actor=user,
        action=AuditAction.ACCESS,
        event="listener_test_sent",
        outcome=result.summary,
    )
    logger.info("listener %s test notification: %s", listener.name, result.summary)
    return result


def _webhook_request(listener: Listener) -> tuple[bytes, dict[str, str]]:
    event = {
        "id": webhook.TEST_EVENT_PREFIX + secrets.token_hex(8),
        "sobject": "Opportunity",
        "record_id": soap.TEST_RECORD_ID,
    }
    body = json.dumps({"events": [event]}).encode()
    timestamp = str(int(time.time()))
    key = decrypt(listener.signing_secret) if listener.signing_secret else ""
    headers = {
        "Content-Type": "application/json",
        webhook.TIMESTAMP_HEADER: timestamp,
        webhook.SIGNATURE_HEADER: webhook.sign(key, timestamp, body),
    }
    return body, headers


def _post(
    url: str, token: str, body: bytes, headers: dict[str, str], timeout: float, *, webhook_kind: bool
) -> ProbeResult:
    started = time.perf_counter()

    def result(reached: bool, status: int | None, acknowledged: bool, error: str) -> ProbeResult:
        elapsed = int((time.perf_counter() - started) * 1000)
        # The URL's token never leaves in a result (shown on the page, logged, audited).
        shown, error = url.replace(token, MASK), error.replace(token, MASK)
        return ProbeResult(shown, reached, status, acknowledged, elapsed, error)

    try:
        # The system's trust store (or REQUESTS_CA_BUNDLE), as a sender would check the certificate.
        answer = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        return result(False, None, False, f"TLS error: {exc}")
    except requests.exceptions.ConnectTimeout:
        return result(False, None, False, f"connection timed out after {timeout:g} s")
    except requests.exceptions.ConnectionError as exc:
        return result(False, None, False, f"could not connect (refused, or no such host): {exc}")
    except requests.exceptions.Timeout:
        return result(True, None, False, f"no answer within {timeout:g} s")
    except requests.exceptions.RequestException as exc:
        return result(False, None, False, f"{type(exc).__name__}: {exc}")
    if answer.status_code != 200:
        excerpt = answer.text[:300].strip()
        return result(True, answer.status_code, False, f"HTTP {answer.status_code}: {excerpt}")
    if webhook_kind:
        accepted = _json_accepted(answer.content)
        return result(True, 200, accepted, "" if accepted else "HTTP 200 but not the listener's answer")
    if not soap.is_acknowledged(answer.content):
        return result(True, 200, False, "HTTP 200 but no <Ack>true</Ack> in the answer: not acknowledged")
    return result(True, 200, True, "")


def _json_accepted(content: bytes) -> bool:
    try:
        data = json.loads(content)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("accepted"), int) and data["accepted"] >= 1
