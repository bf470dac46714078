"""Who may see the console: a signed-in user (Django's LoginRequiredMiddleware) who holds a role.

Every role grants ``governance.view_console``; a user with no role gets 403 on every page. Views that
must stay reachable without a role (logout) are marked with :func:`role_not_required`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.deprecation import MiddlewareMixin

from core.roles import VIEW_CONSOLE

V = TypeVar("V", bound=Callable[..., Any])
M = TypeVar("M", bound=Model)


def has_role(user: User | AnonymousUser) -> bool:
    """Signed in and holding a role (every role grants ``view_console``): may see the console at all."""
    return user.is_authenticated and user.has_perm(VIEW_CONSOLE)


def predicate_required(predicate: Callable[[Any], bool]) -> Callable[[V], V]:
    """A view decorator: 403 unless ``predicate(request.user)``; the predicate is the feature's own (its
    ``permissions.py``), the one its API and services ask too."""

    def decorate(view_func: V) -> V:
        @wraps(view_func)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not predicate(request.user):
                raise PermissionDenied
            return view_func(request, *args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


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
        if not has_role(request.user):
            raise PermissionDenied("Your account has no role in Concord.")
        return None


def object_get_for_user(visible: QuerySet[M], *, name: str, **lookup: object) -> M:
    """The object matching ``lookup`` among those a person may see (``visible``, from the feature's
    selector), else 404.

    One shape for every scoped model (as Healthchecks' ``_get_check_for_user``): outside the person's scope
    an object does not exist for them, so the page and the API both answer 404, never 403, and never say
    that it exists.
    """
    obj = visible.filter(**lookup).first()
    if obj is None:
        raise Http404(f"No such {name}")
    return obj


def permission_caches_forget(holder: User | Group) -> None:
    """Drop Django's per-user permission caches, so a grant or revoke shows at the next check."""
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        holder.__dict__.pop(cache, None)
