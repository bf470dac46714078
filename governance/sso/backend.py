"""The backend behind "Sign in with SSO" (in AUTHENTICATION_BACKENDS when SSO is set up)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from governance.sso.config import oidc_setting
from governance.sso.services import sso_sign_in


class ConcordOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow; the account and its roles come from :func:`sso_sign_in`.

    Besides the library's checks (signature, algorithm, nonce) it checks what the library leaves out: the
    ID token's issuer and audience, and that the userinfo answer is about the ID token's subject.
    """

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User | None:
        issuer = oidc_setting("OIDC_OP_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token was issued by another provider.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not meant for this client.")
        claims = self.get_userinfo(access_token, id_token, payload)
        if str(claims.get("sub")) != str(payload.get("sub")):
            raise SuspiciousOperation("The userinfo answer is about another subject.")
        try:
            return sso_sign_in(issuer=str(payload.get("iss") or issuer), claims=claims)
        except PermissionDenied:
            return None
