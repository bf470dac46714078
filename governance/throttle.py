"""Login throttling: too many failed sign-ins refuse further attempts for a while, counted three ways.

- per username and address (``LOGIN_THROTTLE_FAILURES``, 5): one person mistyping, or one machine guessing
  one account's password;
- per username alone (``LOGIN_THROTTLE_USERNAME_FAILURES``, 20): one account guessed from many addresses
  (a botnet); it also locks the owner out of password sign-in until the window ends, which is why it is
  higher than the first (SSO sign-in is not affected);
- per address alone (``LOGIN_THROTTLE_ADDRESS_FAILURES``, 50): one address trying many usernames
  (password spraying). Behind a proxy set BEHIND_PROXY, or every visitor shares the proxy's address.

Counters live in the cache (``default``), each for ``LOGIN_THROTTLE_WINDOW`` seconds from its first failure.
A successful sign-in clears its username's counters, never its address's: someone holding one valid
account cannot reset the count of their other guesses. With several web processes the cache must be shared
(REDIS_URL); the per-process memory cache of the demo counts per process. A refusal is audited like a
failed login.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()
    return f"concord:login-failures:{digest}"


def _keys(*, username: str, address: str) -> dict[str, tuple[str, int]]:
    """Each counter's cache key and the number of failures that blocks it."""
    name = username.casefold()
    return {
        "pair": (_key("pair", f"{name}\0{address}"), settings.LOGIN_THROTTLE_FAILURES),
        "username": (_key("username", name), settings.LOGIN_THROTTLE_USERNAME_FAILURES),
        "address": (_key("address", address), settings.LOGIN_THROTTLE_ADDRESS_FAILURES),
    }


def login_blocked(*, username: str, address: str) -> bool:
    """Whether any of the three counters has reached its limit."""
    keys = _keys(username=username, address=address)
    counts = cache.get_many([key for key, _limit in keys.values()])
    return any(int(counts.get(key, 0)) >= limit for key, limit in keys.values())


def _count(key: str) -> int:
    if cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW)
        return 1


def login_failure_count(*, username: str, address: str) -> int:
    """Count one failure on every counter; each window starts at its first failure and is not extended.

    Returns the username+address count.
    """
    counts = {kind: _count(key) for kind, (key, _limit) in _keys(username=username, address=address).items()}
    return counts["pair"]


def login_failures_clear(*, username: str, address: str) -> None:
    keys = _keys(username=username, address=address)
    cache.delete_many([keys["pair"][0], keys["username"][0]])
