"""The two SSO pages: the start (a redirect to the provider) and the provider's way back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core.access import role_not_required
from governance.sso.config import oidc_setting


class SsoStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)


class SsoCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)


sso_start = role_not_required(login_not_required(SsoStartView.as_view()))
sso_callback = role_not_required(login_not_required(SsoCallbackView.as_view()))
