"""Signing in through the OpenID Connect provider: the account, its link and its roles from the claims."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.audit import audit_actor
from core.roles import ROLES_BY_NAME
from governance.models import AccessEvent, SsoIdentity
from governance.services import access_record, user_create, user_roles_set
from governance.sso.config import role_map_parse

logger = logging.getLogger(__name__)


def sso_roles_from_groups(*, groups: Iterable[str], role_map: Mapping[str, str]) -> list[str]:
    """The Concord roles the provider's groups map to; groups not in the map give nothing."""
    return sorted(
        {role_map[group] for group in groups if group in role_map and role_map[group] in ROLES_BY_NAME}
    )


def _claimed_groups(claims: Mapping[str, Any]) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM, [])
    if isinstance(value, str):  # some providers send one group as a string
        value = [value]
    return [str(group) for group in value or []]


def _username_for(claims: Mapping[str, Any]) -> str:
    base = str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("email") or claims["sub"])
    base = base[:140]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def sso_sign_in(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """The account of the provider's subject, created on its first sign-in, roles set from its groups.

    The account is found by ``(issuer, sub)``, never by username or e-mail (a provider that lets people
    choose their e-mail address would otherwise let them take over a local account). Its role groups are
    made exactly the mapped roles on every sign-in: a group removed at the provider removes the role at
    the next sign-in. Role changes are audited with the person as actor, and flagged when an approving
    role is granted. A deactivated account is refused (PermissionDenied) and the refusal audited.
    """
    subject = str(claims["sub"])
    roles = sso_roles_from_groups(
        groups=_claimed_groups(claims), role_map=role_map_parse(settings.OIDC_ROLE_MAP)
    )
    known = SsoIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if known is not None and not known.user.is_active:
        access_record(event=AccessEvent.LOGIN_REFUSED, user=known.user)
        raise PermissionDenied("This account is deactivated.")
    with transaction.atomic():
        identity = SsoIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        if identity is None:
            user = user_create(
                username=_username_for(claims),
                email=str(claims.get("email") or ""),
                first_name=str(claims.get("given_name") or claims.get("name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150],
                password=None,
            )
            identity = SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        user = identity.user
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
        with audit_actor(user):
            user_roles_set(user=user, roles=roles, reason=f"SSO sign-in: groups claim of {issuer}")
    logger.info("sso sign-in", extra={"user": user.username, "roles": roles})
    return user
