"""Listeners for tests: Concord keeps only a hash of a listener's URL token, so the tests remember the
token ``listener_create`` handed out, as an operator copies the URL shown once."""

from __future__ import annotations

from typing import Any

from sync.pipeline.listener.services import listener_create
from sync.pipeline.models import Listener

_ISSUED: dict[int, str] = {}


def listener_issue(**options: Any) -> Listener:
    """``listener_create(**options)``, remembering the token for :func:`url_token`."""
    listener, token = listener_create(**options)
    _ISSUED[listener.pk] = token
    return listener


def url_token(listener: Listener) -> str:
    """The URL token ``listener`` was created with in this test."""
    return _ISSUED[listener.pk]
