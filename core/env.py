"""Typed readers for settings that come from the environment.

Each helper fails loudly on a value it cannot read, so a typo in a deployment never turns silently into
a default.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no or on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number")
    return value


def env_list(name: str, default: Iterable[str] = ()) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """A secret from ``NAME`` or from the file ``NAME_FILE`` names (Docker and systemd credentials).

    Setting both is refused (which one wins would be a guess). One trailing newline, the one an editor or
    ``echo`` leaves, is dropped from the file; any other whitespace is the secret's own. A named file that
    cannot be read is an error, never a silent default.
    """
    file_name = f"{name}_FILE"
    path = os.environ.get(file_name)
    direct = os.environ.get(name)
    if path is not None and direct is not None:
        raise ImproperlyConfigured(f"set {name} or {file_name}, not both")
    if path is None:
        return default if direct is None else direct
    if not path.strip():
        raise ImproperlyConfigured(f"{file_name} is empty: give the path of the file holding {name}")
    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.read()
    except OSError as exc:
        raise ImproperlyConfigured(f"{file_name}={path!r} cannot be read: {exc.strerror}") from exc
    if value.endswith("\r\n"):
        return value[:-2]
    return value[:-1] if value.endswith("\n") else value


def env_secret_list(name: str, default: Iterable[str] = ()) -> list[str]:
    """A comma-separated list of secrets (keys, newest first) from ``NAME`` or ``NAME_FILE``."""
    raw = env_secret(name, "\0")
    if raw == "\0":
        return list(default)
    return [item.strip() for item in raw.replace("\n", ",").split(",") if item.strip()]
