"""An integration's configuration through four eyes in one step each: every draft submitted by its maker,
then every submitted version approved and published by someone else.

A new integration starts as a copy of another's (:func:`sync.onboarding.copying.config_copy`): a dozen
mapping flows, lookup tables and rules, each a draft. Each version still goes through its own life cycle
(the same services the version pages call, with their permission and four-eyes checks); this module only
saves a person from opening each one. All or nothing: when one version is refused (an approver who made
it, a draft that does not compile), nothing moves and the error names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.audit import AuditAction, audit_record
from sync.integrations.models import Integration
from sync.mappings.models import LookupVersion, MappingVersion, VersionStatus
from sync.mappings.services.lookup_versions import (
    lookup_version_approve,
    lookup_version_publish,
    lookup_version_submit,
)
from sync.mappings.services.versions import version_approve, version_publish, version_submit
from sync.rules.models import RuleStatus, RuleVersion
from sync.rules.services import rule_version_approve, rule_version_publish, rule_version_submit


@dataclass
class ReviewReport:
    """What moved: ``"mapping opportunity_to_netsuite v1"``, ``"lookup country_to_subsidiary v1"``..."""

    moved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"moved": self.moved, "count": len(self.moved)}


def _versions(integration: Integration, *, mapping: str, lookup: str, rule: str) -> list[tuple[str, Any]]:
    mappings = MappingVersion.objects.filter(flow__integration=integration, status=mapping).select_related(
        "flow"
    )
    lookups = LookupVersion.objects.filter(table__integration=integration, status=lookup).select_related(
        "table"
    )
    rules = RuleVersion.objects.filter(rule__integration=integration, status=rule).select_related("rule")
    return [
        *((f"mapping {v.flow.key} v{v.number}", v) for v in mappings.order_by("flow__key")),
        *((f"lookup {v.table.name} v{v.number}", v) for v in lookups.order_by("table__name")),
        *((f"rule {v.rule.key} v{v.number}", v) for v in rules.order_by("rule__key")),
    ]


def _each(report: ReviewReport, label: str, step: Any) -> None:
    try:
        step()
    except (ValidationError, PermissionDenied) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        raise ValidationError(f"{label}: {message or 'not allowed'} (nothing was changed)") from error
    report.moved.append(label)


Step = Callable[[Any, Any, str], Any]  # (version, user, reason): moves one version on


@dataclass(frozen=True)
class _Stage:
    """One review step over a whole configuration: the statuses it takes, a step per kind of version."""

    mapping: str
    lookup: str
    rule: str
    steps: dict[type, Step]
    changes: list[str]  # the audit entry's from -> to
    event: str
    nothing: str  # the error when there is nothing to move


def _review_all(integration: Integration, user: Any, reason: str, stage: _Stage) -> ReviewReport:
    """Move every version of ``integration`` in ``stage``'s statuses through ``stage``'s step, all or
    nothing, and audit it once."""
    report = ReviewReport()
    with transaction.atomic():
        for label, version in _versions(
            integration, mapping=stage.mapping, lookup=stage.lookup, rule=stage.rule
        ):
            step = stage.steps[type(version)]
            _each(report, label, lambda v=version, step=step: step(v, user, reason))
        if not report.moved:
            raise ValidationError(f"integration {integration.name} {stage.nothing}")
        audit_record(
            obj=integration,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"configuration": stage.changes},
            event=stage.event,
            reason=reason,
            versions=report.moved,
        )
    return report


def config_submit_all(*, integration: Integration, user: Any, reason: str = "") -> ReviewReport:
    """Submit every draft of ``integration``'s mappings, lookup tables and rules for approval."""
    reason = reason.strip() or f"configuration of integration {integration.name}"
    return _review_all(integration, user, reason, _SUBMIT)


def config_publish_all(*, integration: Integration, user: Any, reason: str = "") -> ReviewReport:
    """Approve and publish every submitted version of ``integration``'s configuration (four eyes: ``user``
    must not have made any of them)."""
    reason = reason.strip() or f"configuration of integration {integration.name} reviewed"
    return _review_all(integration, user, reason, _PUBLISH)


def _mapping_live(version: MappingVersion, user: Any, reason: str) -> None:
    version_publish(
        version=version_approve(version=version, user=user, reason=reason), user=user, reason=reason
    )


def _lookup_live(version: LookupVersion, user: Any, reason: str) -> None:
    approved = lookup_version_approve(version=version, user=user, reason=reason)
    lookup_version_publish(version=approved, user=user, reason=reason)


def _rule_live(version: RuleVersion, user: Any, reason: str) -> None:
    rule_version_publish(
        version=rule_version_approve(version=version, user=user, reason=reason), user=user, reason=reason
    )


_SUBMIT = _Stage(
    mapping=VersionStatus.DRAFT,
    lookup=VersionStatus.DRAFT,
    rule=RuleStatus.DRAFT,
    steps={
        MappingVersion: lambda v, user, reason: version_submit(version=v, user=user, reason=reason),
        LookupVersion: lambda v, user, reason: lookup_version_submit(version=v, user=user, reason=reason),
        RuleVersion: lambda v, user, reason: rule_version_submit(version=v, user=user, reason=reason),
    },
    changes=["drafts", "submitted"],
    event="config_submit_all",
    nothing="has no draft to submit",
)
_PUBLISH = _Stage(
    mapping=VersionStatus.SUBMITTED,
    lookup=VersionStatus.SUBMITTED,
    rule=RuleStatus.SUBMITTED,
    steps={MappingVersion: _mapping_live, LookupVersion: _lookup_live, RuleVersion: _rule_live},
    changes=["submitted", "published"],
    event="config_publish_all",
    nothing="has no submitted version to approve",
)
