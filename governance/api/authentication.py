"""API authentication by personal token: ``Authorization: Bearer <token>`` (or ``Token <token>``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from core.audit import audit_actor_set
from governance.models import ApiToken
from governance.services import token_authenticate

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """Refuses a revoked or expired token and a deactivated user's; records the user as the audit actor.

    auditlog's middleware reads ``request.user`` before DRF has authenticated a token, so without this the
    audit entries written by the request would have no actor.
    """

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not a token request: the session may still authenticate it
        if len(parts) != 2:
            raise AuthenticationFailed("Give the token as: Authorization: Bearer <token>.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid, revoked or expired token.") from None
        token = token_authenticate(secret=secret)
        if token is None:
            raise AuthenticationFailed("Invalid, revoked or expired token.")
        audit_actor_set(token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (Governance > API tokens): Authorization: Bearer <token>",
        }
