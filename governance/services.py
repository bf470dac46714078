"""Writes in governance: roles, users, and access events. Every change leaves exactly one audit entry.

Callers in a web request get the actor and remote address from :class:`governance.middleware.AuditMiddleware`;
commands and tasks wrap their calls in ``core.audit.audit_actor(...)`` when a person is behind them; the
explicit entries are written with ``core.audit.audit_record``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.fields import field_fit
from core.roles import ADMIN, APPROVING_ROLES, ROLES, ROLES_BY_NAME
from governance.models import AccessEvent, ApiToken, AuditEntry, AuditFlag
from governance.permissions import can_manage_users
from governance.personas import Persona


def roles_sync() -> None:
    """Create the role groups and give each exactly the permissions :mod:`core.roles` lists.

    Idempotent; runs after every ``migrate``. Changes to a group's permissions are audited like any other.
    """
    with transaction.atomic():
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role.name)
            wanted = _permissions(role.permissions)
            current = set(group.permissions.all())
            if missing := wanted - current:
                group.permissions.add(*missing)
            if extra := current - wanted:
                group.permissions.remove(*extra)


def _permissions(names: Iterable[str]) -> set[Permission]:
    found: set[Permission] = set()
    for name in sorted(names):
        app_label, _, codename = name.partition(".")
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            raise ImproperlyConfigured(f"role matrix names {name!r}, which is not a permission (migrated?)")
        found.add(permission)
    return found


def user_create(
    *, username: str, email: str = "", first_name: str = "", last_name: str = "", password: str | None = None
) -> User:
    """A new active user with no role (and an unusable password unless one is given)."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    with transaction.atomic():
        user.save()
    return user


def user_update(*, user: User, email: str, first_name: str, last_name: str) -> User:
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.full_clean()
    with transaction.atomic():
        user.save(update_fields=["email", "first_name", "last_name"])
    return user


def user_set_active(*, user: User, is_active: bool, actor: User | None = None) -> User:
    """Deactivate (or reactivate) a user. Users are never deleted: their audit entries keep the actor.

    A deactivated user's sessions stop working at their next request (Django's ModelBackend no longer
    returns an inactive user for a session), and their API tokens are revoked for good: reactivating
    the account does not bring them back (the person creates new ones). Nobody deactivates themselves
    or the last admin.
    """
    if actor is not None and actor.pk == user.pk and not is_active:
        raise ValidationError("You cannot deactivate your own account.")
    if user.is_active == is_active:
        return user
    with transaction.atomic():
        if not is_active:
            _refuse_losing_the_last_admin(user, "deactivate")
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        # An inactive account cannot get a token, so one still open at reactivation predates the
        # deactivation (made before tokens were revoked with it): it is revoked too.
        reason = "account deactivated" if not is_active else "issued before the account was deactivated"
        tokens_revoke_all(user=user, actor=actor, reason=reason)
    return user


def admins_who_can_sign_in() -> QuerySet[User]:
    """Active users holding the Admin role with a password set (an invitee has not chosen one yet)."""
    return (
        User.objects.filter(is_active=True, groups__name=ADMIN.name)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .distinct()
    )


def _refuse_losing_the_last_admin(user: User, verb: str) -> None:
    """Refuse a change that would leave nobody able to manage users (the caller holds a transaction)."""
    if not admins_who_can_sign_in().filter(pk=user.pk).exists():
        return
    # Lock every admin's row (the target's too) so two admins cannot demote each other at once and leave
    # none; is_active is checked again on the locked rows. No DISTINCT beside FOR UPDATE on PostgreSQL,
    # hence the subquery.
    admins = User.objects.filter(is_active=True, pk__in=admins_who_can_sign_in().values("pk"))
    locked = list(admins.select_for_update().values_list("pk", flat=True))
    if not [pk for pk in locked if pk != user.pk]:
        raise ValidationError(
            f"You cannot {verb} {user.get_username()}: they are the last admin. "
            "Make someone else an admin first."
        )


def user_roles_set(
    *, user: User, roles: Iterable[str], actor: User | None = None, reason: str | None = None
) -> User:
    """Give ``user`` exactly the named roles; one audit entry records the before and after.

    Nobody grants a role to themselves (maker-checker: an admin could otherwise make themselves an
    approver), and a person (``actor``) cannot take the Admin role from themselves nor from the last
    admin; commands without an actor (the demo's personas) may. Granting an approving role
    (:data:`core.roles.APPROVING_ROLES`) flags the entry for review
    (``additional_data["flag"] == "approving_role_granted"``).
    """
    wanted = sorted(set(roles))
    unknown = [name for name in wanted if name not in ROLES_BY_NAME]
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(unknown)}")
    if actor is not None and actor.pk == user.pk and ADMIN.name not in wanted and _has_role(user, ADMIN.name):
        raise ValidationError("You cannot remove your own Admin role; ask another admin.")
    with transaction.atomic():
        role_groups = user.groups.filter(name__in=ROLES_BY_NAME)
        before = sorted(role_groups.values_list("name", flat=True))
        if before == wanted:
            return user
        granted = [name for name in wanted if name not in before]
        if granted and actor is not None and actor.pk == user.pk:
            raise ValidationError("You cannot give yourself a role; ask another admin.")
        if ADMIN.name in before and ADMIN.name not in wanted and actor is not None:
            _refuse_losing_the_last_admin(user, "remove the Admin role from")
        # The m2m signals would write one entry per add/remove; this change is one event.
        with disable_auditlog():
            user.groups.remove(*role_groups.exclude(name__in=wanted))
            user.groups.add(*Group.objects.filter(name__in=wanted))
        audit_record(
            obj=user,
            actor=None,  # the request's (or an enclosing audit_actor's) person, as auditlog fills it
            action=AuditAction.UPDATE,
            changes={"roles": [", ".join(before) or "none", ", ".join(wanted) or "none"]},
            reason=reason,
            **(approving_role_flag(granted) or {}),
        )
    # Permission caches on this instance are stale now.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


def approving_role_flag(granted: Iterable[str]) -> dict[str, Any] | None:
    """The audit entry's ``additional_data`` when ``granted`` includes an approving role, else None."""
    approving = sorted(name for name in granted if name in APPROVING_ROLES)
    if not approving:
        return None
    return {"flag": AuditFlag.APPROVING_ROLE_GRANTED.value, "approving_roles": approving}


def _has_role(user: User, role_name: str) -> bool:
    return user.groups.filter(name=role_name).exists()


def persona_ensure(*, persona: Persona, password: str) -> User:
    """Create or refresh a demo persona: its role, its name and the given password (idempotent)."""
    with transaction.atomic():
        user = User.objects.filter(username=persona.username).first()
        if user is None:
            user = user_create(
                username=persona.username,
                email=persona.email,
                first_name=persona.first_name,
                last_name=persona.last_name,
                password=password,
            )
        else:
            if not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            user_set_active(user=user, is_active=True)
        user_roles_set(user=user, roles=[persona.role.name] if persona.role else [])
    return user


def access_record(*, event: AccessEvent, user: User | None = None, username: str = "") -> AuditEntry:
    """Record a login, logout or failed login. Never given a password.

    A failed login names the attempted username (and the account, when one has that name) but no actor:
    whoever typed it is unknown.
    """
    username = field_fit(User, "username", username or (user.get_username() if user else ""))
    account = user or User.objects.filter(username=username).first()
    entry: AuditEntry = audit_record(
        obj=account or User,
        actor=None if event == AccessEvent.LOGIN_FAILED else user,
        action=AuditAction.ACCESS,
        object_repr=username,
        event=event.value,
        username=username,
    )
    return entry


# -- API tokens ------------------------------------------------------------------------------------

TOKEN_PREFIX = "concord_"  # noqa: S105 - a marker every token starts with, not a secret
# last_used_at is written at most this often per token: an API client's every request is not a write.
TOKEN_LAST_USED_EVERY = dt.timedelta(minutes=1)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token of ``user`` and its secret, which is returned here once and stored only hashed.

    People create their own tokens; the audit entry names the token, never its secret or hash.
    """
    if not user.is_active:
        raise ValidationError("A deactivated account cannot have API tokens.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip(), prefix=secret[:16], key_hash=token_hash(secret), expires_at=expires_at
    )
    token.full_clean()
    with transaction.atomic():
        with disable_auditlog():  # the entry below says it once, without the hash
            token.save()
        audit_record(
            obj=token,
            actor=user,
            action=AuditAction.CREATE,
            changes={
                "name": [None, token.name],
                "prefix": [None, token.prefix],
                "expires_at": [None, str(expires_at) if expires_at else None],
            },
            event="api_token_created",
            user=user.get_username(),
        )
    return token, secret


def can_revoke_token(*, token: ApiToken, actor: User) -> bool:
    """A person revokes their own tokens; whoever manages users revokes anyone's."""
    return token.user_id == actor.pk or can_manage_users(actor)


def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Refuse ``token`` from now on (idempotent). Audited with who revoked it."""
    if not can_revoke_token(token=token, actor=actor):
        raise PermissionDenied("Only the token's owner or an admin who manages users can revoke it.")
    with transaction.atomic():
        # Only the token's row: locking its user too (select_related would) made a concurrent audit writer
        # acting as that user wait for this transaction while it waited for the chain's lock.
        token = ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at, token.revoked_by = timezone.now(), actor
        with disable_auditlog():
            token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            obj=token,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
            event="api_token_revoked",
            user=token.user.get_username(),
        )
    return token


def tokens_revoke_all(*, user: User, actor: User | None, reason: str) -> list[ApiToken]:
    """Revoke every token of ``user`` not yet revoked (one audit entry each, with ``reason``).

    Called when the account is deactivated, so a later reactivation does not revive them."""
    revoked = []
    with transaction.atomic():
        open_tokens = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        for token in open_tokens.order_by("pk"):
            token.revoked_at = timezone.now()
            token.revoked_by = actor if actor is not None and actor.is_authenticated else None
            with disable_auditlog():
                token.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                obj=token,
                actor=token.revoked_by,
                action=AuditAction.UPDATE,
                changes={"revoked_at": [None, token.revoked_at.isoformat()]},
                event="api_token_revoked",
                user=user.get_username(),
                reason=reason,
            )
            revoked.append(token)
    return revoked


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The usable token whose secret is ``secret`` (its last use recorded), or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(secret)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_EVERY:
        # A plain UPDATE: not a change a person made, so not in the audit trail.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
