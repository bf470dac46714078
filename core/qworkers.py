"""What a django-q2 worker process sets up for itself when it starts (the ``post_spawn`` signal).

The GIL hand-over interval. A worker runs a batch's NetSuite writes on a pool of threads while its main
thread stores outcomes and maps the next payloads. When a request's answer arrives, or the limiter hands a
freed NetSuite slot to a waiting thread, that thread needs the GIL; CPython makes it wait until the
running thread's switch interval is over (5 ms by default), and meanwhile the slot, the scarce resource,
is held with nothing in flight. ``Q_WORKER_SWITCH_INTERVAL_MS`` (default 1) shortens that wait in the
workers only: the web server and the commands keep CPython's default.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings


def worker_switch_interval() -> float:
    """The workers' GIL switch interval in seconds (``Q_WORKER_SWITCH_INTERVAL_MS``)."""
    return float(settings.Q_WORKER_SWITCH_INTERVAL_MS) / 1000


def worker_spawned(sender: Any = None, **kwargs: Any) -> None:
    """django-q2's ``post_spawn`` receiver: runs in each new worker process before its first task."""
    sys.setswitchinterval(worker_switch_interval())


def worker_setup_connect() -> None:
    from django_q.signals import post_spawn

    post_spawn.connect(worker_spawned, dispatch_uid="core.qworkers.worker_spawned")
