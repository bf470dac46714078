"""Mapping versions: draft -> submitted -> approved -> published (-> superseded), with four eyes.

Every transition is one explicit audit entry (who, the event, the reason); the status change itself is
saved with auditlog off so the trail does not say it twice. Row edits live in
:mod:`sync.services.mapping_rows`; rows <-> spec in :mod:`sync.services.mapping_specs`.
"""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from governance.models import AuditEntry
from governance.roles import APPROVE_MAPPINGS
from sync.mapping import MappingValidationError
from sync.models import Flow, LookupVersion, MappingVersion, VersionStatus
from sync.permissions import flow_edit_allowed
from sync.services.mapping_specs import spec_compile, spec_problems, spec_rows_replace, version_spec


def require(user: Any, permission: str) -> None:
    """Refuse unless ``user`` holds ``permission`` (``None`` is the system actor: seeding, commands)."""
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(f"you need the {permission.split('.')[-1]} capability")


def require_flow_editor(user: Any, flow: Flow) -> None:
    """Refuse unless ``user`` may edit ``flow``'s drafts (``edit_mappings``, or ``operate_flow`` on it)."""
    if user is not None and not flow_edit_allowed(user, flow):
        raise PermissionDenied(f"you may not edit the mappings of the {flow.key} flow")


def makers(version: MappingVersion | LookupVersion) -> set[int]:
    """Everyone who made the version's content: its creator, each editor, whoever submitted it."""
    ids = set(version.editors.values_list("pk", flat=True))
    ids.update(pk for pk in (version.created_by_id, version.submitted_by_id) if pk is not None)
    return ids


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _audit(version: MappingVersion, *, user: Any, event: str, before: str, reason: str, **extra: Any) -> None:
    AuditEntry.objects.log_create(
        version,
        force_log=True,
        action=AuditEntry.Action.UPDATE,
        actor=_actor(user),
        changes={"status": [before, version.status]},
        additional_data={"event": event, "reason": reason, **extra},
    )


def _transition(
    version: MappingVersion, *, user: Any, event: str, status: str, reason: str, fields: dict[str, Any]
) -> MappingVersion:
    before = version.status
    version.status = status
    for name, value in fields.items():
        setattr(version, name, value)
    with disable_auditlog():
        version.save(update_fields=["status", *fields])
    _audit(version, user=user, event=event, before=before, reason=reason)
    return version


def flow_ensure(*, key: str, source: str, target_system: str, description: str = "") -> Flow:
    """The flow named ``key``, created when missing (idempotent)."""
    direction = "NetSuite -> Salesforce" if target_system == "salesforce" else "Salesforce -> NetSuite"
    flow, _ = Flow.objects.get_or_create(
        key=key,
        defaults={
            "source": source,
            "target_system": target_system,
            "direction": direction,
            "description": description,
        },
    )
    return flow


def _next_number(flow: Flow) -> int:
    return int(flow.versions.aggregate(top=Max("number"))["top"] or 0) + 1


def version_create_draft(
    *, flow: Flow, user: Any, based_on: MappingVersion | None = None, notes: str = ""
) -> MappingVersion:
    """A new draft of ``flow``: a copy of ``based_on``, or of the published version, or empty."""
    require_flow_editor(user, flow)
    with transaction.atomic():
        Flow.objects.select_for_update().get(pk=flow.pk)  # serialises version numbers per flow
        source = based_on or flow.versions.filter(status=VersionStatus.PUBLISHED).first()
        if source is not None and source.flow_id != flow.pk:
            raise ValidationError(f"{source} belongs to another flow")
        version = MappingVersion.objects.create(
            flow=flow,
            number=_next_number(flow),
            notes=notes,
            based_on=source,
            created_by=_actor(user),
            description=source.description if source else flow.description,
        )
        if source is not None:
            spec_rows_replace(
                version=version, spec=version_spec(source), user=user, event=f"copy of v{source.number}"
            )
    return version


def version_import(*, version: MappingVersion, spec: Any, user: Any) -> MappingVersion:
    """Replace the draft's rows with ``spec`` after the engine validated it.

    Raises :class:`MappingValidationError` whose problems name the object and field mapping.
    """
    require_flow_editor(user, version.flow)
    problems = spec_problems(spec)
    if problems:
        raise MappingValidationError(problems)
    if spec.get("flow") != version.flow.key:
        raise ValidationError(f"this JSON maps flow {spec.get('flow')!r}, not {version.flow.key!r}")
    with transaction.atomic():
        spec_rows_replace(version=version, spec=spec, user=user)
        version_touched(version=version, user=user)
    return version


def version_touched(*, version: MappingVersion, user: Any) -> None:
    """Record ``user`` as one of the version's makers (they may no longer approve it)."""
    if _actor(user) is not None:
        version.editors.add(user)


def version_submit(*, version: MappingVersion, user: Any, reason: str = "") -> MappingVersion:
    """Send a draft for approval; it must compile."""
    require_flow_editor(user, version.flow)
    with transaction.atomic():
        version = MappingVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise ValidationError(f"{version} is {version.status}; only a draft can be submitted")
        problems = spec_problems(version_spec(version))
        if problems:
            raise MappingValidationError(problems)
        return _transition(
            version,
            user=user,
            event="submit",
            status=VersionStatus.SUBMITTED,
            reason=reason,
            fields={"submitted_by": _actor(user), "submitted_at": timezone.now()},
        )


def version_approve(*, version: MappingVersion, user: Any, reason: str = "") -> MappingVersion:
    """Approve a submitted version. Four eyes: none of its makers may approve it."""
    require(user, APPROVE_MAPPINGS)
    with transaction.atomic():
        version = MappingVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.SUBMITTED:
            raise ValidationError(f"{version} is {version.status}; only a submitted version can be approved")
        if user is not None and user.pk in makers(version):
            raise PermissionDenied("you made or edited this version: someone else must approve it")
        return _transition(
            version,
            user=user,
            event="approve",
            status=VersionStatus.APPROVED,
            reason=reason,
            fields={"approved_by": _actor(user), "approved_at": timezone.now()},
        )


def version_reject(*, version: MappingVersion, user: Any, reason: str) -> MappingVersion:
    """Send a submitted version back to draft, saying why."""
    require(user, APPROVE_MAPPINGS)
    if not reason.strip():
        raise ValidationError("say why the version goes back to its maker")
    with transaction.atomic():
        version = MappingVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.SUBMITTED:
            raise ValidationError(f"{version} is {version.status}; only a submitted version can be sent back")
        return _transition(
            version,
            user=user,
            event="reject",
            status=VersionStatus.DRAFT,
            reason=reason,
            fields={"submitted_by": None, "submitted_at": None},
        )


def version_publish(*, version: MappingVersion, user: Any, reason: str = "") -> MappingVersion:
    """Make an approved version the one the pipeline runs; the previous one becomes superseded."""
    require(user, APPROVE_MAPPINGS)
    with transaction.atomic():
        version = MappingVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.APPROVED:
            raise ValidationError(f"{version} is {version.status}; only an approved version can be published")
        spec_compile(version_spec(version))  # the lookup tables may have changed since approval
        _supersede(version, user=user, reason=reason)
        return _transition(
            version,
            user=user,
            event="publish",
            status=VersionStatus.PUBLISHED,
            reason=reason,
            fields={"published_by": _actor(user), "published_at": timezone.now()},
        )


def _supersede(version: MappingVersion, *, user: Any, reason: str) -> None:
    from sync.mapping_selectors import published_mapping_forget

    current = (
        MappingVersion.objects.select_for_update()
        .filter(flow_id=version.flow_id, status=VersionStatus.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )
    if current is not None:
        _transition(
            current,
            user=user,
            event="supersede",
            status=VersionStatus.SUPERSEDED,
            reason=f"replaced by v{version.number}" + (f": {reason}" if reason else ""),
            fields={},
        )
    transaction.on_commit(lambda: published_mapping_forget(version.flow.key))


def version_rollback(*, to: MappingVersion, user: Any, reason: str) -> MappingVersion:
    """Republish the content of an earlier published version, as a new version (``based_on`` = ``to``).

    Only versions that were published once (now superseded) qualify: their content passed four eyes
    then, so the rollback, an emergency tool for approvers, publishes at once.
    """
    require(user, APPROVE_MAPPINGS)
    if not reason.strip():
        raise ValidationError("say why you roll back")
    if to.status != VersionStatus.SUPERSEDED:
        raise ValidationError(f"{to} is {to.status}; only a previously published version can be republished")
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=to.flow_id)
        spec = version_spec(to)
        spec_compile(spec)
        version = MappingVersion.objects.create(
            flow=flow,
            number=_next_number(flow),
            notes=f"Rollback to v{to.number}: {reason}",
            based_on=to,
            created_by=_actor(user),
            approved_by=to.approved_by,
            approved_at=to.approved_at,
        )
        spec_rows_replace(version=version, spec=spec, user=user, event=f"rollback copy of v{to.number}")
        _supersede(version, user=user, reason=reason)
        _transition(
            version,
            user=user,
            event="rollback",
            status=VersionStatus.PUBLISHED,
            reason=reason,
            fields={"published_by": _actor(user), "published_at": timezone.now()},
        )
    return version


# -- releases (governance.releases): the release's sign-offs stand in for approve_mappings --------------


def version_release_publish(*, version: MappingVersion, user: Any, reason: str) -> MappingVersion:
    """Publish ``version`` as one item of a release, exactly as it is (same id, same rows).

    An approved version is published; a version published before (now superseded) is published again,
    which is how a release rollback restores the previous one; a published version is left alone. The
    caller (``governance.releases.services``) checks ``approve_releases`` and holds the transaction.
    """
    with transaction.atomic():
        version = MappingVersion.objects.select_for_update().select_related("flow").get(pk=version.pk)
        if version.status == VersionStatus.PUBLISHED:
            return version
        if version.status not in (VersionStatus.APPROVED, VersionStatus.SUPERSEDED):
            raise ValidationError(f"{version} is {version.status}; only an approved version can be released")
        spec_compile(version_spec(version))
        _supersede(version, user=user, reason=reason)
        republished = version.status == VersionStatus.SUPERSEDED
        return _transition(
            version,
            user=user,
            event="release_republish" if republished else "release_publish",
            status=VersionStatus.PUBLISHED,
            reason=reason,
            fields={"published_by": _actor(user), "published_at": timezone.now()},
        )


def flow_release_unpublish(*, flow: Flow, user: Any, reason: str) -> MappingVersion | None:
    """Supersede ``flow``'s published version, leaving none (a rollback to before its first release):
    the pipeline then runs the shipped default again. Returns the version taken down, if any."""
    from sync.mapping_selectors import published_mapping_forget

    with transaction.atomic():
        current = (
            MappingVersion.objects.select_for_update()
            .filter(flow=flow, status=VersionStatus.PUBLISHED)
            .first()
        )
        if current is None:
            return None
        _transition(
            current,
            user=user,
            event="release_unpublish",
            status=VersionStatus.SUPERSEDED,
            reason=reason,
            fields={},
        )
        transaction.on_commit(lambda: published_mapping_forget(flow.key))
    return current
