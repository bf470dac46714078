"""The retention policy: read it, change it (admins; audited with the reason)."""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.roles import MANAGE_CONNECTIONS
from sync.retention.models import RetentionPolicy

# The fewest days each kind may be kept, and why (docs/retention.md):
# - jobs and records: the dashboard's longest window (quote to cash, DSO: 90 days) reads them;
# - inbox messages: Salesforce redelivers an unacknowledged outbound message for up to 24 hours and the
#   catch-up poll re-reads an overlap; the unique notification id is what makes those no-ops;
# - exceptions: a problem that recurs soon after it was resolved is reopened, with its history.
MINIMUM_DAYS: dict[str, int] = {"jobs_days": 90, "inbox_days": 7, "exceptions_days": 30}
FIELDS = tuple(MINIMUM_DAYS)
# The most days any kind may be kept: a hundred years (leave the field empty to keep for ever). A cutoff
# further back than the calendar goes cannot be computed at all.
MAXIMUM_DAYS = 36_500


def retention_policy() -> RetentionPolicy:
    """The one policy row (created with the shipped defaults on first use)."""
    policy = RetentionPolicy.objects.order_by("pk").first()
    return policy if policy is not None else RetentionPolicy.objects.create()


def retention_policy_locked() -> RetentionPolicy:
    """The policy row, locked to the end of the caller's transaction: the rollup and every prune batch
    take it, so two of them at once take turns."""
    return RetentionPolicy.objects.select_for_update().get(pk=retention_policy().pk)


def can_change_retention(user: User | AnonymousUser | Any) -> bool:
    """Admins, who run the installation."""
    return bool(user.has_perm(MANAGE_CONNECTIONS))


def _checked(field: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field}: give a whole number of days, or nothing to keep for ever.")
    if value > MAXIMUM_DAYS:
        raise ValidationError(
            f"{field}: keep at most {MAXIMUM_DAYS:,} days; leave it empty to keep for ever."
        )
    if value < MINIMUM_DAYS[field]:
        raise ValidationError(
            f"{field}: keep at least {MINIMUM_DAYS[field]} days (docs/retention.md says why)."
        )
    return value


def retention_policy_set(*, user: User | None, reason: str = "", **days: int | None) -> RetentionPolicy:
    """Set any of ``jobs_days``, ``inbox_days``, ``exceptions_days`` (``None``: keep for ever).

    One audit entry with the before and after of what changed; nothing is written when nothing changes.
    """
    if user is not None and not can_change_retention(user):
        raise PermissionDenied("Changing the retention policy needs the Admin role.")
    unknown = set(days) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown setting: {', '.join(sorted(unknown))}.")
    wanted = {field: _checked(field, value) for field, value in days.items()}
    with transaction.atomic():
        policy = retention_policy_locked()
        changes = {
            field: [getattr(policy, field), value]
            for field, value in wanted.items()
            if getattr(policy, field) != value
        }
        if not changes:
            return policy
        for field, (_, value) in changes.items():
            setattr(policy, field, value)
        policy.updated_at, policy.updated_by = timezone.now(), user
        with disable_auditlog():
            policy.save(update_fields=[*changes, "updated_at", "updated_by"])
        audit_record(
            obj=policy,
            actor=user,
            action=AuditAction.UPDATE,
            changes=changes,
            event="retention_policy_changed",
            reason=reason,
        )
    return policy
