"""One correlation id per request or background job, stamped on every audit entry written meanwhile.

auditlog reads it through ``AUDITLOG_CID_GETTER`` into ``AuditEntry.cid``. The web middleware opens a
correlation per request (reusing a well-formed ``X-Correlation-ID`` from the caller); a task or command
opens its own with :func:`correlation` so its entries can be found together.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Correlation-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("concord_correlation_id", default=None)


def current_correlation_id() -> str | None:
    return _current.get()


def new_correlation_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def correlation(correlation_id: str | None = None) -> Iterator[str]:
    """Run the block under ``correlation_id`` (a new id when none or a malformed one is given)."""
    value = (
        correlation_id if correlation_id and _WELL_FORMED.fullmatch(correlation_id) else new_correlation_id()
    )
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
