"""The Salesforce API usage of a connection, kept from the ``Sforce-Limit-Info`` header of its responses.

Written by the connector's response hook (see :func:`sync.connections.services.salesforce_connector`);
a worker writes it, no person does, so nothing is audited.
"""

from __future__ import annotations

import logging
import threading
import time

from django.utils import timezone

from sync.connections.models import ApiUsage

logger = logging.getLogger(__name__)
# A busy worker sees the header on every call: the row is rewritten at most this often per connection.
API_USAGE_EVERY = 15.0
_last_recorded: dict[int, float] = {}
_lock = threading.Lock()


def api_usage_record(*, connection_id: int, used: int, limit: int, force: bool = False) -> bool:
    """Keep the latest API usage Salesforce reported for a connection; True when the row was written.

    Called from the connector's response hook, so it never raises: a failed write costs a figure on the
    dashboard, never a Salesforce call.
    """
    now = time.monotonic()
    with _lock:
        if not force and now - _last_recorded.get(connection_id, -API_USAGE_EVERY) < API_USAGE_EVERY:
            return False
        _last_recorded[connection_id] = now
    try:
        ApiUsage.objects.update_or_create(
            connection_id=connection_id, defaults={"used": used, "limit": limit, "seen_at": timezone.now()}
        )
    except Exception:  # a locked SQLite database, a closed connection: the next response tries again
        logger.warning("could not record Salesforce API usage", exc_info=True)
        with _lock:
            _last_recorded.pop(connection_id, None)
        return False
    return True
