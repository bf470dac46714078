"""A per-process, short-lived memo of the listener behind a URL token (enabled or not: the view refuses a
disabled one with a 503, so the memo holds the listener's state as read, never a decision).

Every inbound request names its listener by the token in its URL, and that lookup would be a round
trip of its own on PostgreSQL (bench/ingest.py). Listeners change rarely, so each process keeps a
listener it found for ``SYNC_LISTENER_CACHE_SECONDS`` (default 5; 0 turns the memo off). A listener
saved or deleted in this process is forgotten at once (model signals, connected in ``SyncConfig.ready``;
enabling, disabling and rotating all save the row); in another process a listener disabled or given a
new token keeps accepting for at most that many seconds, and one enabled again keeps answering 503 that
long (the sender retries). What it accepts meanwhile is stored like any notification: de-duplicated on
its id and processed under the listener's own connections.

Only hits are kept: a request with an unknown token always asks the database, so tokens sprayed at the
endpoint neither fill the memo nor learn anything from it.

With the listener it keeps the integration its Salesforce connection belongs to (which namespaces the
notification ids and owns the deals' milestones: :func:`sync.pipeline.inbox.inbox_add`), read with it
and kept as long: on PostgreSQL that read was a round trip of every notification too. An integration
saved or deleted in this process empties the memo at once (signals, as for listeners); in another process
a change of which integration names the connection, or of its namespace, reaches the listener within
that many seconds (meanwhile its notifications are stored as before the change: the worker runs each
row under the integration its connections belong to when it runs).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings

from sync.integrations.models import Integration
from sync.integrations.selectors import integration_for_connection
from sync.pipeline.listener.selectors import listener_by_token_hash
from sync.pipeline.models import Listener
from sync.pipeline.models.inbound import path_token_hash

MAX_ENTRIES = 1000
_memo: dict[tuple[str, str], tuple[float, Listener, Integration]] = {}
_lock = threading.Lock()


def listener_for_token(*, token: str, kind: str) -> Listener | None:
    """The listener of ``kind`` behind ``token``, enabled or not (see the module docstring), else None."""
    found = listener_with_integration(token=token, kind=kind)
    return found[0] if found is not None else None


def listener_with_integration(*, token: str, kind: str) -> tuple[Listener, Integration] | None:
    """The listener of ``kind`` behind ``token`` (enabled or not) and the integration of its Salesforce
    connection, else None; memoised together (see the module docstring)."""
    # Keyed by the hash, as the table is: the memo holds no usable URL either.
    token_hash = path_token_hash(token)
    ttl = float(getattr(settings, "SYNC_LISTENER_CACHE_SECONDS", 5))
    key = (token_hash, kind)
    now = time.monotonic()
    if ttl > 0:
        hit = _memo.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
    listener = listener_by_token_hash(token_hash=token_hash, kind=kind)
    if listener is None:
        with _lock:
            _memo.pop(key, None)
        return None
    integration = integration_for_connection(listener.salesforce_connection_id)
    if ttl > 0:
        with _lock:
            if len(_memo) >= MAX_ENTRIES:
                _memo.clear()
            _memo[key] = (now + ttl, listener, integration)
    return listener, integration


def listener_cache_clear(**_: Any) -> None:
    """Forget every memoised listener (a signal receiver: a listener or an integration changed in this
    process)."""
    with _lock:
        _memo.clear()
