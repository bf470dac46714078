"""Helpers for the API's tests: a client that sends a persona's personal API token."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from governance.services import token_create


def token_client(user: User) -> Client:
    """A client whose every request carries a new token of ``user`` (``Authorization: Bearer``)."""
    _, secret = token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}"})
