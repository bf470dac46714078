from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from governance.selectors import user_role_names
from sync.exceptions.selectors import notifications_unread_count


def console(request: HttpRequest) -> dict[str, Any]:
    """What the base layout shows on every page: the signed-in user's roles and unread notifications."""
    return {
        "console_roles": user_role_names(user=request.user),
        "console_unread_notifications": notifications_unread_count(user=request.user),
    }
