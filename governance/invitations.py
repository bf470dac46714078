"""Inviting people to Concord: an admin names them, they choose their own password from an e-mailed link.

The invited user is created at once (active, with the roles the admin chose) but with an unusable
password, so nobody can sign in as them until they accept. The link carries a token from
:class:`InvitationTokenGenerator`: Django's password-reset tokens with their own salt and their own expiry
(``settings.INVITATION_TIMEOUT``). Such a token is bound to the user's password hash, so it is single-use
(accepting sets a password) and every resend or revoke, which draws a new unusable password, kills all
earlier links.

Each service writes exactly one audit entry, on the invited user: the invitation (a create, with the
e-mail and roles), a resend, a revoke, an acceptance. The rows themselves are saved with auditlog off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from core.audit import AuditAction, audit_record
from core.roles import ROLES_BY_NAME
from governance.models import Invitation, InvitationStatus
from governance.services import approving_role_flag, tokens_revoke_all

ACCEPT_URL_NAME = "governance:invitation-accept"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens that only the invitation page accepts, valid for ``INVITATION_TIMEOUT``."""

    key_salt = "governance.invitations.InvitationTokenGenerator"

    def token_state(self, user: User | None, token: str | None) -> str:
        """``"valid"``, ``"expired"`` (genuine but too old) or ``"invalid"`` (forged, used or replaced)."""
        if user is None or not token:
            return "invalid"
        timestamp_b36, _, _ = token.partition("-")
        try:
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return "invalid"
        genuine = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        if not genuine:
            return "invalid"
        if self._num_seconds(self._now()) - timestamp > settings.INVITATION_TIMEOUT:
            return "expired"
        return "valid"

    def check_token(self, user: Any, token: Any) -> bool:
        return self.token_state(user, token) == "valid"


invitation_token_generator = InvitationTokenGenerator()


@dataclass(frozen=True)
class InvitationSent:
    invitation: Invitation
    mailed: bool  # False: the row exists but the mail server refused; resend later


def user_invite(
    *,
    email: str,
    roles: Iterable[str],
    actor: User | None,
    base_url: str,
    first_name: str = "",
    last_name: str = "",
) -> InvitationSent:
    """Create ``email``'s account (unusable password, the given roles) and mail them a set-password link.

    The username is the e-mail address. Refuses an address (or username) that an account already has.
    ``base_url`` is the console's address as the invitee will reach it, e.g. ``https://concord.example``.
    """
    email = User.objects.normalize_email(email.strip())
    wanted_roles = sorted(set(roles))
    if unknown := [name for name in wanted_roles if name not in ROLES_BY_NAME]:
        raise ValidationError(f"Unknown role(s): {', '.join(unknown)}")
    if not email:
        raise ValidationError("Enter the e-mail address of the person to invite.")
    username = email.lower()
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email) | User.objects.filter(username__iexact=username)
        if taken := existing.first():
            raise ValidationError(
                f"{taken.get_username()} already has an account with this e-mail address: "
                "resend their invitation or reactivate them instead."
            )
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.full_clean()
        with disable_auditlog():
            user.save()
            user.groups.add(*Group.objects.filter(name__in=wanted_roles))
            invitation = Invitation.objects.create(
                user=user, invited_by=_person(actor), sent_at=timezone.now()
            )
        audit_record(
            obj=user,
            actor=actor,
            action=AuditAction.CREATE,
            changes={
                "username": [None, username],
                "email": [None, email],
                "first_name": [None, first_name],
                "last_name": [None, last_name],
                "roles": ["none", ", ".join(wanted_roles) or "none"],
            },
            event="invite",
            **(approving_role_flag(wanted_roles) or {}),
        )
    return InvitationSent(invitation=invitation, mailed=_invitation_mail(invitation, base_url=base_url))


def invitation_resend(*, user: User, actor: User | None, base_url: str) -> InvitationSent:
    """Send a new link (earlier links stop working); reopens a revoked or expired invitation."""
    with transaction.atomic():
        invitation = _invitation_for_update(user)
        if invitation.accepted_at is not None:
            raise ValidationError(f"{user.get_username()} accepted their invitation already.")
        before = invitation.status
        account = User.objects.select_for_update().get(pk=user.pk)
        account.set_unusable_password()  # a new hash: every earlier token is void
        account.is_active = True
        invitation.sent_at = timezone.now()
        invitation.send_count += 1
        invitation.revoked_at = None
        invitation.revoked_by = None
        with disable_auditlog():
            account.save(update_fields=["password", "is_active"])
            invitation.save(update_fields=["sent_at", "send_count", "revoked_at", "revoked_by"])
        audit_record(
            obj=account,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={"invitation": [before, str(invitation.status)]},
            event="invitation_resend",
        )
    return InvitationSent(invitation=invitation, mailed=_invitation_mail(invitation, base_url=base_url))


def invitation_revoke(*, user: User, actor: User | None) -> Invitation:
    """Withdraw an open invitation: its links stop working and the account is deactivated."""
    with transaction.atomic():
        invitation = _invitation_for_update(user)
        if not invitation.is_open:
            raise ValidationError(f"{user.get_username()}'s invitation is {invitation.status.label.lower()}.")
        before = invitation.status
        account = User.objects.select_for_update().get(pk=user.pk)
        account.set_unusable_password()
        account.is_active = False
        invitation.revoked_at = timezone.now()
        invitation.revoked_by = _person(actor)
        with disable_auditlog():
            account.save(update_fields=["password", "is_active"])
            invitation.save(update_fields=["revoked_at", "revoked_by"])
        tokens_revoke_all(user=account, actor=_person(actor), reason="invitation revoked")
        audit_record(
            obj=account,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={
                "invitation": [before, str(invitation.status)],
                "is_active": [str(user.is_active), "False"],
            },
            event="invitation_revoke",
        )
    user.refresh_from_db()
    return invitation


def invitation_accept(*, user: User, password: str) -> User:
    """Set the invitee's chosen password (already validated) and close the invitation. The invitee acts."""
    with transaction.atomic():
        invitation = _invitation_for_update(user)
        if invitation.status != InvitationStatus.PENDING:
            raise ValidationError(f"This invitation is {invitation.status.label.lower()}.")
        before = invitation.status
        account = User.objects.select_for_update().get(pk=user.pk)
        if not account.is_active:
            raise ValidationError("This account is deactivated.")
        account.set_password(password)
        invitation.accepted_at = timezone.now()
        with disable_auditlog():
            account.save(update_fields=["password"])
            invitation.save(update_fields=["accepted_at"])
        audit_record(
            obj=account,
            actor=account,
            action=AuditAction.UPDATE,
            changes={"invitation": [before, str(invitation.status)]},
            event="invitation_accept",
        )
    return account


def invitation_link_problem(*, user: User | None, token: str | None) -> str:
    """Why a link does not work, in words for the person holding it ("" when it works)."""
    invitation = Invitation.objects.filter(user=user).first() if user is not None else None
    if invitation is None:
        return "This invitation link is not valid. Check that you copied the whole link."
    if invitation.status == InvitationStatus.ACCEPTED:
        return "This invitation has been used already. Sign in with the password you chose."
    if invitation.status == InvitationStatus.REVOKED:
        return "This invitation was withdrawn. Ask an administrator to invite you again."
    if user is not None and not user.is_active:
        return "This account is deactivated. Ask an administrator to invite you again."
    state = invitation_token_generator.token_state(user, token)
    if state == "expired" or invitation.status == InvitationStatus.EXPIRED:
        return "This invitation has expired. Ask an administrator to send you a new one."
    if state == "invalid":
        return "This invitation link is not valid, or a newer invitation replaced it: use the newest e-mail."
    return ""


def invitation_url(*, user: User, base_url: str) -> str:
    """The absolute set-password link for ``user``'s invitation, with a fresh token."""
    path = reverse(
        ACCEPT_URL_NAME,
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


def _invitation_mail(invitation: Invitation, *, base_url: str) -> bool:
    """Mail the link; False (the invitation stays, an admin resends) when the mail server refuses."""
    user = invitation.user
    context = {
        "user": user,
        "invited_by": invitation.invited_by,
        "url": invitation_url(user=user, base_url=base_url),
        "expires_at": invitation.expires_at,
    }
    subject = render_to_string("governance/email/invitation_subject.txt", context).strip()
    body = render_to_string("governance/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except OSError:  # smtplib's errors are OSErrors, as are refused connections
        return False
    return True


def _invitation_for_update(user: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(user=user).first()
    if invitation is None:
        raise ValidationError(f"{user.get_username()} was not invited through the console.")
    return invitation


def _person(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None
