"""A per-process, short-lived memo of the listener behind a URL token (enabled or not: the view refuses a
disabled one with a 503, so the memo holds the listener's state as read, never a decision).

Every inbound request names its listener by the token in its URL, and on PostgreSQL that lookup is one
of the three round trips a notification costs (bench/ingest.py). Listeners change rarely, so each
process keeps a listener it found for ``SYNC_LISTENER_CACHE_SECONDS`` (default 5; 0 turns the memo
off). A listener saved or deleted in this process is forgotten at once (model signals, connected in
``SyncConfig.ready``; enabling, disabling and rotating all save the row); in another process a listener
disabled or given a new token keeps accepting for at most that many seconds, and one enabled again keeps
answering 503 that long (the sender retries). What it accepts meanwhile is stored like any notification:
de-duplicated on its id and processed under the listener's own connections.

Only hits are kept: a request with an unknown token always asks the database, so tokens sprayed at the
endpoint neither fill the memo nor learn anything from it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings

from sync.pipeline.listener.selectors import listener_by_token_hash
from sync.pipeline.models import Listener
from sync.pipeline.models.inbound import path_token_hash

MAX_ENTRIES = 1000
_memo: dict[tuple[str, str], tuple[float, Listener]] = {}
_lock = threading.Lock()


def listener_for_token(*, token: str, kind: str) -> Listener | None:
    """The listener of ``kind`` behind ``token``, enabled or not (see the module docstring), else None."""
    # Keyed by the hash, as the table is: the memo holds no usable URL either.
    token_hash = path_token_hash(token)
    ttl = float(getattr(settings, "SYNC_LISTENER_CACHE_SECONDS", 5))
    if ttl <= 0:
        return listener_by_token_hash(token_hash=token_hash, kind=kind)
    key = (token_hash, kind)
    now = time.monotonic()
    hit = _memo.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    listener = listener_by_token_hash(token_hash=token_hash, kind=kind)
    with _lock:
        if listener is None:
            _memo.pop(key, None)
        else:
            if len(_memo) >= MAX_ENTRIES:
                _memo.clear()
            _memo[key] = (now + ttl, listener)
    return listener


def listener_cache_clear(**_: Any) -> None:
    """Forget every memoised listener (a signal receiver: a listener changed in this process)."""
    with _lock:
        _memo.clear()
