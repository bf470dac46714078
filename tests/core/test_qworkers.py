"""A qcluster worker shortens its GIL hand-over when django-q2 spawns it (core/qworkers.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django_q.signals import post_spawn


@pytest.fixture
def interval_kept() -> Iterator[float]:
    before = sys.getswitchinterval()
    yield before
    sys.setswitchinterval(before)


def test_a_spawned_worker_takes_the_configured_interval(interval_kept: float) -> None:
    sys.setswitchinterval(0.005)
    with override_settings(Q_WORKER_SWITCH_INTERVAL_MS=2.5):
        post_spawn.send(sender="django_q", proc_name="Process-1:1")  # what django_q.worker sends
    assert sys.getswitchinterval() == pytest.approx(0.0025)


def test_the_default_is_one_millisecond(interval_kept: float) -> None:
    from django.conf import settings

    assert settings.Q_WORKER_SWITCH_INTERVAL_MS == 1.0
    sys.setswitchinterval(0.005)
    post_spawn.send(sender="django_q", proc_name="Process-1:1")
    assert sys.getswitchinterval() == pytest.approx(0.001)


def test_nothing_changes_without_a_spawn(interval_kept: float) -> None:
    """The web server and the commands keep CPython's interval: only the signal sets it."""
    sys.setswitchinterval(0.005)
    with override_settings(Q_WORKER_SWITCH_INTERVAL_MS=1.0):
        pass
    assert sys.getswitchinterval() == pytest.approx(0.005)
