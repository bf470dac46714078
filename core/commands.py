"""What management commands share: the person a command acts as."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import CommandError


def command_user(username: str) -> User:
    """The active user named ``username`` (``--user`` / ``--as``), or a CommandError saying there is none."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user
