"""Enrolling, verifying and resetting TOTP devices; each person has at most one confirmed device."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import AuditAction, audit_record
from governance.models import AccessEvent
from governance.permissions import can_manage_users
from governance.services import access_record

DEVICE_NAME = "Authenticator app"


def mfa_required(*, user: User) -> bool:
    """Whether ``user`` holds a role that needs a second factor (``MFA_REQUIRED_ROLES``)."""
    required = set(settings.MFA_REQUIRED_ROLES)
    return bool(required) and user.groups.filter(name__in=required).exists()


def mfa_device(*, user: User) -> TOTPDevice | None:
    """The person's confirmed device, if they have enrolled."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device


def mfa_enrolment_start(*, user: User) -> TOTPDevice:
    """The person's unconfirmed device, created with a new secret unless one is waiting already.

    Refused when a confirmed device exists: replacing it goes through a reset by an admin, so that a
    session left open cannot swap the factor.
    """
    if mfa_device(user=user) is not None:
        raise ValidationError("A device is enrolled already; an admin can reset it.")
    pending: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return pending or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def mfa_enrolment_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the waiting device with its first code; ValidationError when the code is wrong."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if pending is None:
        raise ValidationError("Start the enrolment again: no device is waiting.")
    if not pending.verify_token(token.strip()):
        access_record(event=AccessEvent.MFA_FAILED, user=user)
        raise ValidationError("That code is not right; check the clock of your device and try again.")
    with transaction.atomic():
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        audit_record(
            obj=user,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"second_factor": ["none", "TOTP device"]},
        )
    return pending


def mfa_verify(*, user: User, token: str) -> TOTPDevice:
    """Check a code against the confirmed device (django-otp throttles repeated failures); audited."""
    device = mfa_device(user=user)
    if device is None:
        raise ValidationError("No device is enrolled.")
    if not device.verify_token(token.strip()):
        access_record(event=AccessEvent.MFA_FAILED, user=user)
        raise ValidationError("That code is not right. After several wrong codes, wait before the next try.")
    access_record(event=AccessEvent.MFA_VERIFIED, user=user)
    return device


def mfa_reset(*, user: User, actor: User | None, reason: str = "") -> int:
    """Remove every TOTP device of ``user`` (a lost phone); they enrol again at their next sign-in.

    ``actor`` must manage users and cannot reset their own device (another admin checks who asks);
    commands run without an actor. Returns the number of devices removed; audited even when none.
    """
    if actor is not None:
        if not can_manage_users(actor):
            raise PermissionDenied("Only admins reset a second factor.")
        if actor.pk == user.pk:
            raise ValidationError("You cannot reset your own second factor; ask another admin.")
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            obj=user,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={"second_factor": ["TOTP device" if removed else "none", "none"]},
            reason=reason.strip() or None,
            event="mfa_reset",
        )
    return int(removed)
