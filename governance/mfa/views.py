"""The enrolment and verification pages a person meets after signing in, and an admin's reset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from core.access import predicate_required, role_not_required
from core.http import ConsoleRequest
from governance import selectors
from governance.mfa.middleware import mfa_not_required
from governance.mfa.services import (
    mfa_device,
    mfa_enrolment_confirm,
    mfa_enrolment_start,
    mfa_required,
    mfa_reset,
    mfa_verify,
)
from governance.permissions import can_manage_users


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=500, required=False)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def _page(request: HttpRequest, template: str, form: TokenForm, **extra: Any) -> HttpResponse:
    user = request.user
    required = isinstance(user, User) and mfa_required(user=user)
    context = {"form": form, "next": _next(request), "required": required, **extra}
    return render(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_not_required
@mfa_not_required
def mfa_enrol(request: ConsoleRequest) -> HttpResponse:
    """A new device: its secret and URI for the app; the first right code confirms it and this session."""
    user: User = request.user
    if mfa_device(user=user) is not None:
        return redirect("mfa-verify")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa_enrolment_confirm(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is on for your account.")
            return redirect(_next(request))
    device = mfa_enrolment_start(user=user)
    secret = device.config_url.split("secret=")[1].split("&")[0]
    response = _page(request, "governance/mfa_enrol.html", form, secret=secret, uri=device.config_url)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@role_not_required
@mfa_not_required
def mfa_verify_page(request: ConsoleRequest) -> HttpResponse:
    """The code from the enrolled device, once per session."""
    user: User = request.user
    if mfa_device(user=user) is None:
        return redirect("mfa-enrol")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa_verify(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            otp_login(request, device)
            return redirect(_next(request))
    return _page(request, "governance/mfa_verify.html", form)


@require_POST
@predicate_required(can_manage_users)
def user_mfa_reset(request: ConsoleRequest, user_id: int) -> HttpResponse:
    """An admin removes a person's device (a lost phone); they enrol again at their next sign-in."""
    row = selectors.user_detail_get(user=request.user, user_id=user_id)
    if row is None:
        raise Http404("No such user")
    account = row.user
    form = ResetForm(request.POST)
    form.is_valid()
    try:
        removed = mfa_reset(user=account, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Second factor of {account.get_username()} reset." if removed else "No device was enrolled.",
        )
    return redirect("governance:user", account.pk)
