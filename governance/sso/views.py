"""The two SSO pages: the start (a redirect to the provider) and the provider's way back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponseBase
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core.access import role_not_required
from governance.mfa.middleware import mfa_not_required
from governance.sso.config import oidc_setting, sso_enabled


class SsoStartView(OIDCAuthenticationRequestView):
    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)


_start = SsoStartView.as_view()
_callback = SsoCallbackView.as_view()


@login_not_required
@role_not_required
@mfa_not_required
def sso_start(request: HttpRequest) -> HttpResponseBase:
    """To the provider's sign-in (404 while SSO is not set up)."""
    if not sso_enabled():
        raise Http404("Single sign-on is not set up.")
    response: HttpResponseBase = _start(request)
    return response


@login_not_required
@role_not_required
@mfa_not_required
def sso_callback(request: HttpRequest) -> HttpResponseBase:
    """The provider's way back: the code is exchanged, the account signed in (then its second factor)."""
    if not sso_enabled():
        raise Http404("Single sign-on is not set up.")
    response: HttpResponseBase = _callback(request)
    return response
