"""The first administrator of an empty installation, made through the browser (as Jenkins does it).

While no user exists, the console keeps a one-time setup code in ``VAR_DIR/first-admin-code`` (readable by
the account the server runs as, nobody else) and logs where it is. Whoever can read that file can prove
they run the server: the first-run page (``/setup/first-admin/``) asks for the code and the new admin's
name, e-mail and password, and makes them an Admin (:mod:`core.roles`). Once any user exists the page is
gone (404) and the code file is deleted. ``manage.py createsuperuser`` works as before.

The code is 32 random bytes; comparing it takes constant time, and each wrong code is audited.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.audit import AuditAction, audit_actor, audit_record
from core.roles import ADMIN
from governance.services import user_create, user_roles_set

logger = logging.getLogger(__name__)

CODE_FILE_NAME = "first-admin-code"


def setup_code_path() -> Path:
    return Path(settings.VAR_DIR) / CODE_FILE_NAME


def first_run_open() -> bool:
    """True while the installation has no user at all: the first-admin page is open."""
    return not User.objects.exists()


def setup_code_ensure() -> Path | None:
    """The setup code's file, written (owner-only) if missing, while no user exists; None afterwards.

    Logs the path each time it writes a code, so an operator finds it in the server's log.
    """
    if not first_run_open():
        return None
    path = setup_code_path()
    if path.exists() and path.read_text().strip():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    code = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(code + "\n")
    logger.warning(
        "Concord has no user yet: open /setup/first-admin/ and enter the setup code kept in %s", path
    )
    return path


def _code_matches(given: str) -> bool:
    path = setup_code_path()
    if not path.exists():
        return False
    expected = path.read_text().strip()
    return bool(expected) and hmac.compare_digest(expected.encode(), given.strip().encode())


def first_admin_create(*, code: str, username: str, email: str, password: str) -> User:
    """Make the first user, with the Admin role, if ``code`` is the setup code and no user exists yet.

    Refuses (PermissionDenied) once a user exists or with a wrong code (audited), and a password the
    installation's validators refuse (ValidationError). Serialised on the Admin group's row, so two
    people submitting at once cannot both become the first admin.
    """
    if not first_run_open():
        raise PermissionDenied("Concord already has users: sign in instead.")
    if not _code_matches(code):
        audit_record(
            obj=User,
            actor=None,
            action=AuditAction.ACCESS,
            event="first_admin_refused",
            object_repr=username[:100] or "first admin",
            reason="wrong setup code",
        )
        raise PermissionDenied("That is not the setup code. Read it again from the file the server named.")
    return _first_admin_make(
        username=username,
        email=email,
        password=password,
        reason="first administrator, proven by the setup code",
    )


def first_admin_create_from_shell(*, username: str, email: str, password: str) -> User:
    """Make the first user, with the Admin role, for ``manage.py setup`` (the environment's
    CONCORD_ADMIN_* or its prompt): shell access on the server proves as much as the setup code does.

    Refuses (PermissionDenied) once any user exists, and a password the validators refuse
    (ValidationError); audited as ``first_admin_created`` like the browser's path.
    """
    if not first_run_open():
        raise PermissionDenied("Concord already has users: the first administrator exists.")
    return _first_admin_make(
        username=username,
        email=email,
        password=password,
        reason="first administrator, made by manage.py setup",
    )


def _first_admin_make(*, username: str, email: str, password: str, reason: str) -> User:
    candidate = User(username=username, email=email)
    validate_password(password, user=candidate)
    with transaction.atomic():
        Group.objects.select_for_update().get(name=ADMIN.name)  # one first admin at a time
        if User.objects.exists():
            raise PermissionDenied("Concord already has users: sign in instead.")
        user = user_create(username=username, email=email, password=password)
        with audit_actor(user):
            user_roles_set(user=user, roles=[ADMIN.name], actor=None)
            audit_record(
                obj=user,
                actor=user,
                action=AuditAction.CREATE,
                event="first_admin_created",
                reason=reason,
            )
    setup_code_path().unlink(missing_ok=True)
    logger.info("first administrator %s created; the setup code is deleted", username)
    return user
