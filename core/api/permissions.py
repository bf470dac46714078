"""API permission classes (DRF)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from core.roles import VIEW_CONSOLE

if TYPE_CHECKING:  # DRF's settings import this module; importing its views here would be circular
    from rest_framework.request import Request
    from rest_framework.views import APIView


class HasConsoleRole(BasePermission):
    """The API's default: the same rule as the pages (signed in and holding a role)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(VIEW_CONSOLE))


class HasActionCapability(BasePermission):
    """The predicate a view declares for the action at hand (``action_permissions``), e.g.
    ``sync.exceptions.permissions.can_act``: the same function the pages and the services ask.

    Checked before the request body is read, so a role that may not act gets 403, not a 400 about its
    input; the service called afterwards checks again (and the object-level rules, e.g. four eyes).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        allowed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        return allowed is None or bool(allowed(request.user))
