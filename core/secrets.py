"""Secrets at rest: a model field encrypted with Fernet keys of its own, not derived from SECRET_KEY.

``FIELD_ENCRYPTION_KEYS`` (settings, from the environment) lists Fernet keys, newest first. Values are
encrypted with the first and decrypted with any (MultiFernet), so keys rotate without downtime: add a new
key in front, run ``manage.py rotate_field_keys``, then drop the old key. A value that no configured key
opens raises :class:`SecretUnreadable` rather than handing ciphertext to a connector.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (wrong or removed key)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds a malformed Fernet key: {exc}") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("stored value is not an encrypted secret")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("no configured FIELD_ENCRYPTION_KEYS key opens this secret") from exc


def rotate(stored: str) -> str:
    """Re-encrypt with the newest key (raises :class:`SecretUnreadable` if no key opens it)."""
    try:
        return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("no configured FIELD_ENCRYPTION_KEYS key opens this secret") from exc


class EncryptedTextField(models.TextField):
    """Holds a secret as Fernet ciphertext, in the database and in Python alike.

    Set it with :func:`encrypt` and read it with :func:`decrypt` where the plaintext is needed (a
    connector building its auth), so a page listing records never needs the key and a wrong key fails
    only the call that needs the secret. Storing anything that is not ciphertext is refused, which keeps a
    careless ``obj.secret = "hunter2"`` from reaching the database. Keep these fields out of audit logs
    (``exclude_fields``), serializers and form initial values.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value and not str(value).startswith(PREFIX):
            raise ValueError(f"{self.name}: refusing to store a secret that is not encrypted")
        return value

    def value_to_string(self, obj: Any) -> str:
        # dumpdata and fixtures never carry secrets.
        return ""
