"""Mapping versions: draft -> submitted -> approved -> published (-> superseded), with four eyes.

The life cycle is :mod:`sync.mappings.services.lifecycle` (shared with lookup versions); what is the
mappings' own: a flow's editors may make a version, a version must compile to be submitted or published,
and publishing drops the flow's cached compiled mappings. Every transition is one explicit audit entry
(who, the event, the reason). Row edits live in :mod:`sync.mappings.services.rows`; rows <-> spec in
:mod:`sync.mappings.services.specs`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine import MappingValidationError
from sync.mappings.models import Flow, MappingVersion, VersionStatus
from sync.mappings.permissions import can_approve_mappings, flow_edit_allowed
from sync.mappings.selectors import published_mapping_forget
from sync.mappings.services import lifecycle as lifecycle
from sync.mappings.services.lifecycle import actor as _actor
from sync.mappings.services.lifecycle import makers as makers
from sync.mappings.services.lifecycle import require as require
from sync.mappings.services.specs import (
    spec_blocking_problems,
    spec_compile,
    spec_metadata_errors,
    spec_problems,
    spec_rows_replace,
    version_spec,
)


def require_flow_editor(user: Any, flow: Flow) -> None:
    """Refuse unless ``user`` may edit ``flow``'s drafts (``edit_mappings``, or ``operate_flow`` on it)."""
    if user is not None and not flow_edit_allowed(user, flow):
        raise PermissionDenied(f"you may not edit the mappings of the {flow.key} flow")


def _submit_check(version: MappingVersion) -> None:
    problems = spec_blocking_problems(version_spec(version), version.flow.integration)
    if problems:
        raise MappingValidationError(problems)


def _publish_check(version: MappingVersion) -> None:
    """It must still compile (the lookup tables may have changed since approval) and fit the systems'
    metadata: a row reading a field the org lacks would fail every sync, so it is refused here, listed."""
    spec = version_spec(version)
    spec_compile(spec, version.flow.integration)
    errors = spec_metadata_errors(spec, version.flow.integration)
    if errors:
        raise MappingValidationError(errors)


def _forget_compiled(version: MappingVersion) -> None:
    transaction.on_commit(lambda: published_mapping_forget(version.flow.key, version.flow.integration_id))


MAPPING_LIFECYCLE: lifecycle.VersionLifecycle[MappingVersion] = lifecycle.VersionLifecycle(
    model=MappingVersion,
    scope="flow",
    require_maker=lambda user, version: require_flow_editor(user, version.flow),
    may_approve=can_approve_mappings,
    submit_check=_submit_check,
    publish_check=_publish_check,
    after_go_live=_forget_compiled,
    after_take_down=_forget_compiled,
)


def flow_ensure(
    *,
    key: str,
    source: str,
    target_system: str,
    description: str = "",
    integration: Integration | None = None,
) -> Flow:
    """The flow named ``key`` of ``integration`` (the primary one when None), created when missing
    (idempotent)."""
    direction = "NetSuite -> Salesforce" if target_system == "salesforce" else "Salesforce -> NetSuite"
    flow, _ = Flow.objects.get_or_create(
        key=key,
        integration=integration if integration is not None else primary_integration(),
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
    problems = spec_problems(spec, version.flow.integration)
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
    return lifecycle.submit(lifecycle=MAPPING_LIFECYCLE, version=version, user=user, reason=reason)


def version_approve(*, version: MappingVersion, user: Any, reason: str = "") -> MappingVersion:
    """Approve a submitted version. Four eyes: none of its makers may approve it."""
    return lifecycle.approve(lifecycle=MAPPING_LIFECYCLE, version=version, user=user, reason=reason)


def version_reject(*, version: MappingVersion, user: Any, reason: str) -> MappingVersion:
    """Send a submitted version back to draft, saying why."""
    return lifecycle.reject(lifecycle=MAPPING_LIFECYCLE, version=version, user=user, reason=reason)


def version_publish(*, version: MappingVersion, user: Any, reason: str = "") -> MappingVersion:
    """Make an approved version the one the pipeline runs; the previous one becomes superseded."""
    return lifecycle.publish(lifecycle=MAPPING_LIFECYCLE, version=version, user=user, reason=reason)


def version_rollback(*, to: MappingVersion, user: Any, reason: str) -> MappingVersion:
    """Republish the content of an earlier published version, as a new version (``based_on`` = ``to``).

    Only versions that were published once (now superseded) qualify: their content passed four eyes
    then, so the rollback, an emergency tool for approvers, publishes at once.
    """
    require(user, can_approve_mappings, needs="approve_mappings")
    if not reason.strip():
        raise ValidationError("say why you roll back")
    if to.status != VersionStatus.SUPERSEDED:
        raise ValidationError(f"{to} is {to.status}; only a previously published version can be republished")
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=to.flow_id)
        spec = version_spec(to)
        spec_compile(spec, flow.integration)
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
        lifecycle.go_live(
            lifecycle=MAPPING_LIFECYCLE, version=version, user=user, event="rollback", reason=reason
        )
    return version


# -- releases (governance.releases): the release's sign-offs stand in for approve_mappings --------------


def version_release_publish(*, version: MappingVersion, user: Any, reason: str) -> MappingVersion:
    """Publish ``version`` as one item of a release, exactly as it is (same id, same rows).

    An approved version is published; a version published before (now superseded) is published again,
    which is how a release rollback restores the previous one; a published version is left alone. The
    caller (``governance.releases.services``) checks ``approve_releases`` and holds the transaction.
    """
    return lifecycle.release_publish(lifecycle=MAPPING_LIFECYCLE, version=version, user=user, reason=reason)


def flow_release_unpublish(*, flow: Flow, user: Any, reason: str) -> MappingVersion | None:
    """Supersede ``flow``'s published version, leaving none (a rollback to before its first release):
    the pipeline then runs the shipped default again. Returns the version taken down, if any."""
    return lifecycle.release_unpublish(lifecycle=MAPPING_LIFECYCLE, scope=flow, user=user, reason=reason)
