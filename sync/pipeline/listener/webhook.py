"""The signed JSON webhook: a second real-time entry for senders that are not Outbound Messages.

The sender signs ``<timestamp>.<raw body>`` with HMAC-SHA256 under the listener's key and sends
``X-Concord-Timestamp`` (Unix seconds) and ``X-Concord-Signature: sha256=<hex>``. A timestamp more than
five minutes away from now is refused, so a captured request cannot be replayed later; the body names
its events ``{"events": [{"id": "...", "sobject": "Opportunity", "record_id": "006..."}]}``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from core.json_input import JsonTooDeep, json_loads_bounded

TIMESTAMP_HEADER = "X-Concord-Timestamp"
SIGNATURE_HEADER = "X-Concord-Signature"
TOLERANCE_SECONDS = 300
MAX_EVENTS = 200
# A test event's id starts with this (Concord's own check; a sender should not use the prefix).
TEST_EVENT_PREFIX = "concord-test-"


class SignatureInvalid(ValueError):
    pass


class PayloadInvalid(ValueError):
    pass


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    sobject: str
    record_id: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def verify(secret: str, timestamp: str, signature: str, body: bytes, *, now: float | None = None) -> None:
    """Raise :class:`SignatureInvalid` unless the signature matches and the timestamp is recent."""
    if not secret:
        raise SignatureInvalid("the listener has no signing key")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureInvalid("missing or malformed timestamp") from exc
    if abs((now if now is not None else time.time()) - sent_at) > TOLERANCE_SECONDS:
        raise SignatureInvalid("timestamp outside the five-minute window")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        raise SignatureInvalid("signature mismatch")


def parse_events(body: bytes) -> list[WebhookEvent]:
    try:
        data = json_loads_bounded(body)
    except JsonTooDeep as exc:
        raise PayloadInvalid(str(exc)) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadInvalid("not JSON") from exc
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise PayloadInvalid(f"'events' must be a list of 1 to {MAX_EVENTS} events")
    parsed = []
    for event in events:
        if not isinstance(event, dict):
            raise PayloadInvalid("an event must be an object")
        event_id, sobject, record_id = (str(event.get(k) or "") for k in ("id", "sobject", "record_id"))
        if not event_id or len(event_id) > 100 or not sobject or not record_id.isalnum():
            raise PayloadInvalid("an event needs an id (at most 100 characters), an sobject and a record_id")
        if len(record_id) not in (15, 18):
            raise PayloadInvalid("record_id must be a Salesforce id")
        parsed.append(WebhookEvent(event_id, sobject, record_id))
    return parsed
