"""Login throttling: after too many failed sign-ins for one username from one address, refuse for a while.

Counters live in the cache (``default``), keyed by username and address, each for ``LOGIN_THROTTLE_WINDOW``
seconds from its first failure. With several web processes the cache must be shared (REDIS_URL); the
per-process memory cache of the demo counts per process. A refusal is audited like a failed login.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.casefold()}\0{address}".encode()).hexdigest()
    return f"concord:login-failures:{digest}"


def login_blocked(*, username: str, address: str) -> bool:
    failures = cache.get(_key(username, address), 0)
    return int(failures) >= settings.LOGIN_THROTTLE_FAILURES


def login_failure_count(*, username: str, address: str) -> int:
    """Count one failure; the window starts at the first one and is not extended by later ones."""
    key = _key(username, address)
    if cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW)
        return 1


def login_failures_clear(*, username: str, address: str) -> None:
    cache.delete(_key(username, address))
