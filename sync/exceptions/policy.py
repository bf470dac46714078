"""The exception policy: each category's SLA, default severity, owner, automatic ticket, runbook and
escalation path, with the defaults Concord ships.

Life cycle of a category:

1. **Shipped.** :data:`SHIPPED` lists every category the stages raise (the pipeline, the return flows,
   matching before create, go-live, reconciliation, the inbox). :func:`exception_policy_ensure` (run by
   ``manage.py exception_policy ensure``, ``exceptions_schedules_ensure`` and the demo) creates them with
   their defaults and a two-level escalation path to the role groups, so "Escalate" works out of the box.
   A category a stage raises before that (or one not listed) is created the same way on first use
   (:func:`category_for_key`).
2. **Edited.** Finance and admins change any of it from the policy page, the API or the command
   (:func:`category_update`, :func:`escalation_level_add`, :func:`escalation_level_remove`,
   :func:`escalation_level_move`); each change is one audit entry and stamps ``edited_at``.
3. **Ensured again.** A category someone edited is left exactly as they left it (a path they emptied
   stays empty); one nobody touched gets the shipped defaults again.

Keys never change: the stages raise by key. The owner and escalation targets must exist: the shipped
defaults name the role groups of :mod:`core.roles`, created by name if missing (``roles_sync`` gives them
their permissions after ``migrate``, as for every role group).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_duration

from core.audit import AuditAction, audit_record
from sync.exceptions.models import EscalationLevel, ExceptionCategory, Severity
from sync.exceptions.permissions import AnyUser, can_edit_policy
from sync.exceptions.policy_defaults import FALLBACK, SHIPPED, ShippedCategory

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=365)
MAX_LEVELS = 10


def _shipped(key: str) -> ShippedCategory:
    return SHIPPED.get(key, FALLBACK)


def _role_group(name: str) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    return group


def _apply_shipped(category: ExceptionCategory, shipped: ShippedCategory) -> None:
    category.sla = shipped.sla
    category.default_severity = shipped.severity
    category.default_owner_group = _role_group(shipped.owner_group)
    category.default_owner_user = None
    category.auto_ticket = shipped.auto_ticket
    category.runbook = shipped.runbook
    category.save()
    category.levels.all().delete()
    EscalationLevel.objects.bulk_create(
        EscalationLevel(category=category, position=position, group=_role_group(group), duration=duration)
        for position, (group, duration) in enumerate(shipped.path, start=1)
    )


def category_for_key(*, key: str) -> ExceptionCategory:
    """The category ``key``; created on first use with its shipped defaults (name, SLA, path...)."""
    category = ExceptionCategory.objects.filter(key=key).first()
    if category is not None:
        return category
    shipped = _shipped(key)
    with transaction.atomic(), disable_auditlog():  # the system's defaults, not a person's change
        category, created = ExceptionCategory.objects.get_or_create(
            key=key, defaults={"name": shipped.name or key.replace("_", " ").capitalize()}
        )
        if created:
            _apply_shipped(category, shipped)
    return category


def exception_policy_ensure() -> list[str]:
    """Create every shipped category, and give the shipped defaults back to those nobody has edited.

    Returns the keys created or refreshed. Categories a person edited are left alone. Safe to run again.
    """
    touched = []
    with transaction.atomic(), disable_auditlog():
        for key, shipped in SHIPPED.items():
            category, created = ExceptionCategory.objects.select_for_update().get_or_create(
                key=key, defaults={"name": shipped.name}
            )
            if category.edited_at is not None:
                continue
            if created or _differs(category, shipped):
                category.name = shipped.name
                _apply_shipped(category, shipped)
                touched.append(key)
    return touched


def _differs(category: ExceptionCategory, shipped: ShippedCategory) -> bool:
    path = [(level.group.name if level.group else None, level.duration) for level in category.levels.all()]
    return (
        category.sla != shipped.sla
        or category.default_severity != shipped.severity
        or category.default_owner_user_id is not None
        or getattr(category.default_owner_group, "name", None) != shipped.owner_group
        or category.auto_ticket != shipped.auto_ticket
        or category.runbook != shipped.runbook
        or path != list(shipped.path)
    )


# --- Reading what people type ------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def duration_parse(text: str, *, label: str = "duration") -> timedelta:
    """``4h``, ``1d 12h``, ``90m``, ``2w`` or Django's ``1 04:00:00``; at least a minute, at most a
    year. Raises :class:`ValidationError` with a message a person can act on."""
    raw = (text or "").strip()
    if raw.startswith("-"):
        raise ValidationError(f"The {label} cannot be negative ({raw!r}).")
    value: timedelta | None = None
    compact = raw.replace(" ", "")
    if compact and _DURATION_PART.sub("", compact) == "":
        value = timedelta()
        for amount, unit in _DURATION_PART.findall(raw):
            value += timedelta(**{_UNITS[unit.lower()]: int(amount)})
    elif raw:
        value = parse_duration(raw)
    if value is None:
        raise ValidationError(f"The {label} {raw!r} is not a duration: write e.g. 4h, 1d 12h or 30m.")
    return duration_check(value, label=label)


def duration_check(value: timedelta, *, label: str = "duration") -> timedelta:
    if value < timedelta(0):
        raise ValidationError(f"The {label} cannot be negative.")
    if value < MIN_DURATION:
        raise ValidationError(f"The {label} must be at least one minute.")
    if value > MAX_DURATION:
        raise ValidationError(f"The {label} cannot be longer than a year.")
    return value


def duration_text(value: timedelta | None) -> str:
    """The compact form :func:`duration_parse` reads: ``1d 4h``."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(part for part in parts if part) or "0m"


def owner_find(*, group: str | None = None, user: str | None = None) -> tuple[Group | None, User | None]:
    """A group by name or an active user by username; a clear error when there is no such one."""
    if group and user:
        raise ValidationError("Give a group or a user, not both.")
    if group:
        found_group = Group.objects.filter(name=group).first()
        if found_group is None:
            raise ValidationError(f"There is no group called {group!r}.")
        return found_group, None
    if user:
        found_user = User.objects.filter(username=user, is_active=True).first()
        if found_user is None:
            raise ValidationError(f"There is no active user called {user!r}.")
        return None, found_user
    return None, None


# --- Changes people make -------------------------------------------------------------------------

_UNSET: Any = object()


def _check(user: AnyUser | None) -> None:
    """``None`` is the system: a management command run without ``--as`` at the server's shell."""
    if user is not None and not can_edit_policy(user):
        raise PermissionDenied("Only Finance and admins edit the exception policy.")


def _snapshot(category: ExceptionCategory) -> dict[str, Any]:
    return {
        "name": category.name,
        "sla": duration_text(category.sla),
        "default_severity": category.default_severity,
        "default_owner_group": category.default_owner_group.name if category.default_owner_group else None,
        "default_owner_user": category.default_owner_user.get_username()
        if category.default_owner_user
        else None,
        "auto_ticket": category.auto_ticket,
        "runbook": category.runbook,
    }


def escalation_path(category: ExceptionCategory) -> list[str]:
    """The path as the audit trail writes it: ``["1: Finance for 8h", ...]``."""
    return [
        f"{level.position}: {level.group.name if level.group else level.user.get_username()} "  # type: ignore[union-attr]
        f"for {duration_text(level.duration)}"
        for level in category.levels.select_related("group", "user").order_by("position")
    ]


def category_update(
    *,
    category: ExceptionCategory,
    user: AnyUser | None,
    name: str = _UNSET,
    sla: timedelta = _UNSET,
    default_severity: str = _UNSET,
    default_owner_group: Group | None = _UNSET,
    default_owner_user: User | None = _UNSET,
    auto_ticket: bool = _UNSET,
    runbook: str = _UNSET,
) -> ExceptionCategory:
    """Change some of a category's settings (only those given). One audit entry with before/after.

    Giving an owner group clears the owner user and the reverse (one owner at a time). Applies to
    exceptions raised from now on; open ones keep their owner and due time.
    """
    _check(user)
    given = {
        "name": name,
        "sla": sla,
        "default_severity": default_severity,
        "default_owner_group": default_owner_group,
        "default_owner_user": default_owner_user,
        "auto_ticket": auto_ticket,
        "runbook": runbook,
    }
    with transaction.atomic():
        locked = ExceptionCategory.objects.select_for_update().get(pk=category.pk)
        before = _snapshot(locked)
        for field, value in given.items():
            if value is not _UNSET:
                _assign(locked, field, value)
        locked.full_clean()
        after = _snapshot(locked)
        changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
        if changes:
            locked.edited_at = timezone.now()
            with disable_auditlog():
                locked.save()
            audit_record(
                obj=locked,
                actor=user,
                action=AuditAction.UPDATE,
                changes=changes,
                event="exception_category_changed",
            )
    category.refresh_from_db()
    return category


def _assign(category: ExceptionCategory, field: str, value: Any) -> None:
    if field == "name":
        if not value.strip():
            raise ValidationError("The name cannot be empty.")
        value = value.strip()
    elif field == "sla":
        value = duration_check(value, label="SLA")
    elif field == "default_severity" and value not in Severity.values:
        raise ValidationError(f"Unknown severity {value!r}: one of {', '.join(Severity.values)}.")
    elif field == "runbook":
        value = value.replace("\r\n", "\n").strip()
    elif field == "auto_ticket":
        value = bool(value)
    # One owner at a time: a group clears the user and the reverse.
    elif field == "default_owner_group" and value is not None:
        category.default_owner_user = None
    elif field == "default_owner_user" and value is not None:
        category.default_owner_group = None
    setattr(category, field, value)


def _path_change(category: ExceptionCategory, user: AnyUser | None, before: list[str], event: str) -> None:
    after = escalation_path(category)
    ExceptionCategory.objects.filter(pk=category.pk).update(edited_at=timezone.now())
    audit_record(
        obj=category,
        actor=user,
        action=AuditAction.UPDATE,
        changes={"escalation_path": [before, after]},
        event=event,
    )


def escalation_level_add(
    *,
    category: ExceptionCategory,
    user: AnyUser | None,
    duration: timedelta,
    group: Group | None = None,
    owner_user: User | None = None,
    position: int | None = None,
) -> EscalationLevel:
    """Add a level owned by ``group`` or ``owner_user`` (one of them) at ``position`` (default: last);
    the levels after it move down one."""
    _check(user)
    if (group is None) == (owner_user is None):
        raise ValidationError("A level is owned by one group or one user.")
    duration_check(duration, label="level's duration")
    with transaction.atomic():
        ExceptionCategory.objects.select_for_update().get(pk=category.pk)
        before = escalation_path(category)
        count = len(before)
        if count >= MAX_LEVELS:
            raise ValidationError(f"A path has at most {MAX_LEVELS} levels.")
        at = count + 1 if position is None else position
        if not 1 <= at <= count + 1:
            raise ValidationError(f"Position {at} is outside the path (1 to {count + 1}).")
        with disable_auditlog():
            _renumber(category, [level.pk for level in category.levels.order_by("position")], insert_at=at)
            level = EscalationLevel.objects.create(
                category=category, position=at, group=group, user=owner_user, duration=duration
            )
        _path_change(category, user, before, "escalation_level_added")
    return level


def escalation_level_remove(*, category: ExceptionCategory, user: AnyUser | None, position: int) -> None:
    """Remove level ``position``; the levels after it move up one. Open exceptions at a higher level
    keep their owner until they escalate again."""
    _check(user)
    with transaction.atomic():
        ExceptionCategory.objects.select_for_update().get(pk=category.pk)
        level = category.levels.filter(position=position).first()
        if level is None:
            raise ValidationError(f"{category.key} has no level {position}.")
        before = escalation_path(category)
        with disable_auditlog():
            level.delete()
            _renumber(category, [lv.pk for lv in category.levels.order_by("position")])
        _path_change(category, user, before, "escalation_level_removed")


def escalation_level_move(
    *, category: ExceptionCategory, user: AnyUser | None, position: int, to: int
) -> None:
    """Move level ``position`` to ``to`` (1 = first); the others keep their order."""
    _check(user)
    with transaction.atomic():
        ExceptionCategory.objects.select_for_update().get(pk=category.pk)
        ids = list(category.levels.order_by("position").values_list("pk", flat=True))
        if not 1 <= position <= len(ids):
            raise ValidationError(f"{category.key} has no level {position}.")
        if not 1 <= to <= len(ids):
            raise ValidationError(f"Position {to} is outside the path (1 to {len(ids)}).")
        if position == to:
            return
        before = escalation_path(category)
        moving = ids.pop(position - 1)
        ids.insert(to - 1, moving)
        with disable_auditlog():
            _renumber(category, ids)
        _path_change(category, user, before, "escalation_level_moved")


def escalation_level_update(
    *,
    category: ExceptionCategory,
    user: AnyUser | None,
    position: int,
    duration: timedelta | None = None,
    group: Group | None = None,
    owner_user: User | None = None,
) -> EscalationLevel:
    """Change a level's duration and/or owner (a group or a user)."""
    _check(user)
    if group is not None and owner_user is not None:
        raise ValidationError("A level is owned by one group or one user.")
    with transaction.atomic():
        ExceptionCategory.objects.select_for_update().get(pk=category.pk)
        level = category.levels.filter(position=position).first()
        if level is None:
            raise ValidationError(f"{category.key} has no level {position}.")
        before = escalation_path(category)
        if duration is not None:
            level.duration = duration_check(duration, label="level's duration")
        if group is not None or owner_user is not None:
            level.group, level.user = group, owner_user
        with disable_auditlog():
            level.save()
        if escalation_path(category) != before:
            _path_change(category, user, before, "escalation_level_changed")
    return level


def _renumber(category: ExceptionCategory, ordered_ids: list[int], *, insert_at: int | None = None) -> None:
    """Give the levels ``ordered_ids`` positions 1, 2, ... (skipping ``insert_at``), in two passes so
    the unique (category, position) constraint never sees two levels at once in one place."""
    offset = 1000
    for index, pk in enumerate(ordered_ids):
        EscalationLevel.objects.filter(pk=pk).update(position=offset + index)
    position = 1
    for pk in ordered_ids:
        if position == insert_at:
            position += 1
        EscalationLevel.objects.filter(pk=pk).update(position=position)
        position += 1
