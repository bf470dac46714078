"""What management commands share: the person a command acts as, and reading the file it is given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from core.json_input import JsonTooDeep, json_loads_bounded


def command_user(username: str) -> User:
    """The active user named ``username`` (``--user`` / ``--as``), or a CommandError saying there is none."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user


def command_actor(username: str | None) -> User:
    """The ``--user`` a changing step is taken as: required, active (a CommandError says what is wrong)."""
    if not username:
        raise CommandError("say who takes this step: --user NAME")
    return command_user(username)


def command_file_text(path: Path) -> str:
    """The text of a file a command was given, or a CommandError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}") from error


def command_json(path: Path, text: str, *, hint: str = "") -> Any:
    """``text`` (read from ``path``) as bounded JSON, or a CommandError naming the file (and ``hint``)."""
    try:
        return json_loads_bounded(text)
    except JsonTooDeep as error:
        raise CommandError(f"{path}: {error}") from error
    except json.JSONDecodeError as error:
        raise CommandError(f"{path} is not JSON ({error}){'; ' + hint if hint else ''}") from error
