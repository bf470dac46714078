"""Who may see the console: a signed-in user (Django's LoginRequiredMiddleware) who holds a role.

Every role grants ``governance.view_console``; a user with no role gets 403 on every page. Views that
must stay reachable without a role (logout) are marked with :func:`role_not_required`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin

from core.roles import VIEW_CONSOLE

V = TypeVar("V", bound=Callable[..., Any])


def role_not_required(view_func: V) -> V:
    view_func.role_required = False  # type: ignore[attr-defined]
    return view_func


class RoleRequiredMiddleware(MiddlewareMixin):
    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if not getattr(view_func, "login_required", True) or not getattr(view_func, "role_required", True):
            return None
        if not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware has already sent the visitor to the login page
        if not request.user.has_perm(VIEW_CONSOLE):
            raise PermissionDenied("Your account has no role in Concord.")
        return None
