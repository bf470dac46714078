"""Where the OpenID Connect provider's endpoints come from: the settings, or its discovery document.

``OIDC_OP_DISCOVERY`` (the issuer's ``/.well-known/openid-configuration`` URL) is read once per process, on
the first sign-in, not when Django starts: a provider down at deploy time does not stop the console (password
sign-in, where allowed, and the API keep working). Explicit ``OIDC_OP_*_ENDPOINT`` settings win.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# setting -> the discovery document's key
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
_documents: dict[str, dict[str, Any]] = {}


def sso_enabled() -> bool:
    """Whether the console offers "Sign in with SSO": a client id is set."""
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def _discovery_document(url: str) -> dict[str, Any]:
    if url not in _documents:
        try:
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ImproperlyConfigured(f"Could not read the OIDC discovery document at {url}: {exc}") from exc
        _documents[url] = document
    return _documents[url]


def oidc_setting(attr: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting, an endpoint filled from discovery when the settings leave it empty."""
    value = getattr(settings, attr, None)
    if value not in (None, ""):
        return value
    discovery = getattr(settings, "OIDC_OP_DISCOVERY", "")
    if attr in DISCOVERED and discovery:
        found = _discovery_document(discovery).get(DISCOVERED[attr])
        if found:
            return found
    if default:
        return default[0]
    raise ImproperlyConfigured(f"Setting {attr} not found (nor in OIDC_OP_DISCOVERY)")


def role_map_parse(text: str) -> dict[str, str]:
    """``"concord-admins=Admin,concord-finance=Finance"`` -> {group: role}; groups may share a role."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        group, sep, role = item.rpartition("=")
        if not sep or not group.strip() or not role.strip():
            raise ImproperlyConfigured(f"OIDC_ROLE_MAP: {item!r} is not group=Role")
        mapping[group.strip()] = role.strip()
    return mapping


def local_password_allowed(*, username: str) -> bool:
    """Password sign-in is on (``LOCAL_PASSWORDS``), or ``username`` is a break-glass account."""
    if settings.LOCAL_PASSWORDS:
        return True
    return username.casefold() in {name.casefold() for name in settings.LOCAL_PASSWORDS_BREAK_GLASS}
