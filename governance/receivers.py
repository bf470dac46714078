"""Signal adapters: they translate Django's signals into service calls and hold no logic of their own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from governance import services
from governance.models import AccessEvent


def on_logged_in(sender: Any, user: User, **kwargs: Any) -> None:
    services.access_record(event=AccessEvent.LOGIN, user=user)


def on_logged_out(sender: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        services.access_record(event=AccessEvent.LOGOUT, user=user)


def on_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # Django has already replaced the password in `credentials`; only the username is read.
    services.access_record(event=AccessEvent.LOGIN_FAILED, username=str(credentials.get("username") or ""))


def sync_roles_after_migrate(**kwargs: Any) -> None:
    services.roles_sync()


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="governance-access-login")
    user_logged_out.connect(on_logged_out, dispatch_uid="governance-access-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="governance-access-login-failed")
