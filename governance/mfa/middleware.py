"""Sends an unverified console session of someone who needs a second factor to enrol or verify first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import urlencode

from governance.mfa.services import mfa_device, mfa_required

V = TypeVar("V", bound=Callable[..., Any])


def mfa_not_required(view_func: V) -> V:
    """Mark a view a signed-in person may open before their second factor (the MFA pages, sign-out)."""
    view_func.mfa_required = False  # type: ignore[attr-defined]
    return view_func


class MfaRequiredMiddleware(MiddlewareMixin):
    """Runs after django-otp's OTPMiddleware, which tells whether this session passed a code.

    Only sessions: an API request with a token is anonymous here (DRF authenticates it in the view) and
    passes untouched; the same API through a session that has not passed its code is refused (403).
    """

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        user: Any = request.user
        if not user.is_authenticated or not getattr(view_func, "mfa_required", True):
            return None
        if user.is_verified() or not mfa_required(user=user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Pass your second factor in the console first."}, status=403)
        target = "mfa-verify" if mfa_device(user=user) is not None else "mfa-enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
