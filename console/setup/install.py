"""Installing and upgrading Concord with one command (``manage.py setup``, ``concord setup``).

Everything it does is safe to repeat, so an upgrade is the same command as the first install: migrate,
collect the static files, create the schedules that are missing (the ``*_schedules_ensure`` commands:
an operator's retimed or paused schedule stays as it is), apply the shipped defaults (the exception
policy's categories nobody edited, the shipped mappings as version 1 of each flow that has none), and,
while the database has no user at all, make the first administrator from the environment
(``CONCORD_ADMIN_USERNAME``, ``CONCORD_ADMIN_EMAIL``, ``CONCORD_ADMIN_PASSWORD`` or
``CONCORD_ADMIN_PASSWORD_FILE``) or a prompt. Without either, the browser's first-run page and its setup
code remain (governance.first_admin).

This module reads the environment and says what the database still lacks; the command runs the steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# The commands that create or repair the schedules (and, for the exception queue, its shipped policy),
# each the one place that knows its own; setup runs all of them.
SCHEDULE_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("sync_schedules_ensure",),
    ("exceptions_schedules_ensure",),
    ("audit_schedules_ensure",),
    ("reconciliation_schedules_ensure",),
    ("release_test_sweep", "--ensure-schedule"),
)
# The shipped defaults that need no maker: the shipped mappings, published by the system actor as
# version 1 of each flow without versions (the shipped rules wait for a RevOps maker: rules_install_shipped).
DEFAULTS_COMMANDS: tuple[tuple[str, ...], ...] = (("mapping_seed_defaults",),)

ENV_USERNAME = "CONCORD_ADMIN_USERNAME"
ENV_EMAIL = "CONCORD_ADMIN_EMAIL"
ENV_PASSWORD = "CONCORD_ADMIN_PASSWORD"  # noqa: S105 - the variable's name
ENV_PASSWORD_FILE = "CONCORD_ADMIN_PASSWORD_FILE"  # noqa: S105 - the variable's name


class SetupInputError(ValueError):
    """What the operator gave setup cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class AdminRequest:
    """The first administrator setup is asked to make."""

    username: str
    email: str
    password: str

    def __repr__(self) -> str:  # never the password in a traceback or a log
        return f"AdminRequest(username={self.username!r}, email={self.email!r})"


def admin_from_environment(environ: Mapping[str, str]) -> AdminRequest | None:
    """The first administrator the environment asks for, or None when ``CONCORD_ADMIN_USERNAME`` is unset.

    The password comes from ``CONCORD_ADMIN_PASSWORD`` or from the file ``CONCORD_ADMIN_PASSWORD_FILE``
    names (a container secret; one trailing newline is dropped), never both. The password is checked
    against the installation's password rules here, before anything is changed.
    """
    username = environ.get(ENV_USERNAME, "").strip()
    if not username:
        if environ.get(ENV_PASSWORD) or environ.get(ENV_PASSWORD_FILE):
            raise SetupInputError(f"{ENV_USERNAME} is not set: say who the first administrator is")
        return None
    email = environ.get(ENV_EMAIL, "").strip()
    password = _password(environ)
    request = AdminRequest(username=username, email=email, password=password)
    admin_request_check(request)
    return request


def _password(environ: Mapping[str, str]) -> str:
    direct, file_name = environ.get(ENV_PASSWORD, ""), environ.get(ENV_PASSWORD_FILE, "").strip()
    if direct and file_name:
        raise SetupInputError(f"set {ENV_PASSWORD} or {ENV_PASSWORD_FILE}, not both")
    if file_name:
        try:
            text = Path(file_name).read_text()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise SetupInputError(f"{ENV_PASSWORD_FILE}={file_name!r} cannot be read: {reason}") from exc
        direct = text[:-1] if text.endswith("\n") else text
    if not direct:
        raise SetupInputError(
            f"{ENV_USERNAME} is set: give the password in {ENV_PASSWORD} or {ENV_PASSWORD_FILE}"
        )
    return direct


def admin_request_check(request: AdminRequest) -> None:
    """A SetupInputError naming what is wrong with the username, e-mail or password, if anything."""
    candidate = User(username=request.username, email=request.email)
    try:
        candidate.clean_fields(exclude=["password", "last_login", "date_joined"])
        validate_password(request.password, user=candidate)
    except ValidationError as exc:
        raise SetupInputError("the first administrator: " + " ".join(exc.messages)) from exc


def migrations_pending(database: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations ``migrate`` would apply now, as ``app.name``."""
    executor = MigrationExecutor(connections[database])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]
