"""The life cycle mapping and lookup versions share: draft -> submitted -> approved -> published
(-> superseded), with four eyes.

One :class:`VersionLifecycle` describes a kind of version (:class:`sync.mappings.models.ReviewedVersion`): its
model, the field that groups its versions (``flow``, ``table``), who may make and who may approve one,
and hooks for what differs (checks before submitting or publishing, what follows going live or being
taken down). The public services (:mod:`sync.mappings.services.versions`,
:mod:`sync.mappings.services.lookup_versions`)
are thin calls into the functions here.

Every transition is one explicit audit entry (who, the event, the reason); the status change itself is
saved with auditlog off so the trail does not say it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from auditlog.context import disable_auditlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.mappings.models import ReviewedVersion, VersionStatus

V = TypeVar("V", bound=ReviewedVersion)


def require(user: Any, allowed: Callable[[Any], bool], *, needs: str) -> None:
    """Refuse unless the predicate ``allowed`` (from :mod:`sync.mappings.permissions`, the one the pages and
    the API ask) lets ``user`` through; ``needs`` names the capability in the refusal. ``None`` is the
    system actor: seeding, commands."""
    if user is not None and not allowed(user):
        raise PermissionDenied(f"you need the {needs} capability")


def actor(user: Any) -> Any:
    """``user`` as the audit trail's actor: ``None`` for the system or an anonymous user."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def makers(version: ReviewedVersion) -> set[int]:
    """Everyone who made the version's content: its creator, each editor, whoever submitted it."""
    return version.makers()


def _nothing(version: Any) -> None:
    return None


def _no_extra(version: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, kw_only=True)
class VersionLifecycle(Generic[V]):
    """What one kind of version needs from the shared life cycle."""

    model: type[V]
    #: The foreign key grouping the versions (one published per value): ``flow``, ``table``.
    scope: str
    #: Refuses ``user`` unless they may make (edit and submit) ``version``.
    require_maker: Callable[[Any, V], None]
    #: May this person approve, reject and publish (a predicate of :mod:`sync.mappings.permissions`)?
    may_approve: Callable[[Any], bool]
    #: Extra ``additional_data`` of each transition's audit entry.
    audit_extra: Callable[[V], dict[str, Any]] = field(default=_no_extra)
    #: Refuses a draft that may not be submitted (after the status check).
    submit_check: Callable[[V], None] = field(default=_nothing)
    #: Refuses an approved version that may not go live (publish and release publish).
    publish_check: Callable[[V], None] = field(default=_nothing)
    #: Runs once the version is published (inside the transaction).
    after_go_live: Callable[[V], None] = field(default=_nothing)
    #: Runs once a release took the scope's published version down, leaving none.
    after_take_down: Callable[[V], None] = field(default=_nothing)
    #: Related objects to load with the locked row.
    select_related: tuple[str, ...] = ()

    def locked(self) -> QuerySet[V]:
        versions = self.model._default_manager.select_for_update()
        return versions.select_related(*self.select_related) if self.select_related else versions

    def lock(self, version: V) -> V:
        """``version`` read again and locked for this transaction (checks use this row, not the caller's)."""
        return self.locked().get(pk=version.pk)


def transition(
    version: V,
    *,
    lifecycle: VersionLifecycle[V],
    user: Any,
    event: str,
    status: str,
    reason: str,
    fields: dict[str, Any],
) -> V:
    """Move ``version`` to ``status``, setting ``fields``, and write one audit entry."""
    before = version.status
    version.status = status
    for name, value in fields.items():
        setattr(version, name, value)
    with disable_auditlog():
        version.save(update_fields=["status", *fields])
    audit_record(
        obj=version,
        actor=user,
        action=AuditAction.UPDATE,
        changes={"status": [before, version.status]},
        event=event,
        reason=reason,
        **lifecycle.audit_extra(version),
    )
    return version


@dataclass(frozen=True, kw_only=True)
class _Step:
    """One move of the review: from which status to which, and the timestamp it sets (or clears)."""

    event: str
    expected: str
    to: str
    refusal: str
    stamp: str
    clear: bool = False

    def fields(self, user: Any) -> dict[str, Any]:
        if self.clear:
            return {f"{self.stamp}_by": None, f"{self.stamp}_at": None}
        return {f"{self.stamp}_by": actor(user), f"{self.stamp}_at": timezone.now()}


_SUBMIT = _Step(
    event="submit",
    expected=VersionStatus.DRAFT,
    to=VersionStatus.SUBMITTED,
    refusal="only a draft can be submitted",
    stamp="submitted",
)
_APPROVE = _Step(
    event="approve",
    expected=VersionStatus.SUBMITTED,
    to=VersionStatus.APPROVED,
    refusal="only a submitted version can be approved",
    stamp="approved",
)
_REJECT = _Step(  # back to draft: it is no longer submitted
    event="reject",
    expected=VersionStatus.SUBMITTED,
    to=VersionStatus.DRAFT,
    refusal="only a submitted version can be sent back",
    stamp="submitted",
    clear=True,
)
_PUBLISH = _Step(
    event="publish",
    expected=VersionStatus.APPROVED,
    to=VersionStatus.PUBLISHED,
    refusal="only an approved version can be published",
    stamp="published",
)


def _locked_for(step: _Step, *, lifecycle: VersionLifecycle[V], version: V) -> V:
    """The locked ``version``, refused unless it is in the status ``step`` starts from."""
    version = lifecycle.lock(version)
    if version.status != step.expected:
        raise ValidationError(f"{version} is {version.status}; {step.refusal}")
    return version


def _take(
    step: _Step,
    *,
    lifecycle: VersionLifecycle[V],
    version: V,
    user: Any,
    reason: str,
    check: Callable[[V], None],
) -> V:
    with transaction.atomic():
        version = _locked_for(step, lifecycle=lifecycle, version=version)
        check(version)
        return transition(
            version,
            lifecycle=lifecycle,
            user=user,
            event=step.event,
            status=step.to,
            reason=reason,
            fields=step.fields(user),
        )


def submit(*, lifecycle: VersionLifecycle[V], version: V, user: Any, reason: str) -> V:
    """Send a draft for approval."""
    lifecycle.require_maker(user, version)
    return _take(
        _SUBMIT, lifecycle=lifecycle, version=version, user=user, reason=reason, check=lifecycle.submit_check
    )


def approve(*, lifecycle: VersionLifecycle[V], version: V, user: Any, reason: str) -> V:
    """Approve a submitted version. Four eyes: none of its makers may approve it."""

    def four_eyes(locked: V) -> None:
        if user is not None and user.pk in locked.makers():
            raise PermissionDenied("you made or edited this version: someone else must approve it")

    require(user, lifecycle.may_approve, needs="approve_mappings")
    return _take(_APPROVE, lifecycle=lifecycle, version=version, user=user, reason=reason, check=four_eyes)


def reject(*, lifecycle: VersionLifecycle[V], version: V, user: Any, reason: str) -> V:
    """Send a submitted version back to draft, saying why."""
    require(user, lifecycle.may_approve, needs="approve_mappings")
    if not reason.strip():
        raise ValidationError("say why the version goes back to its maker")
    return _take(_REJECT, lifecycle=lifecycle, version=version, user=user, reason=reason, check=_nothing)


def _supersede(version: V, *, lifecycle: VersionLifecycle[V], user: Any, reason: str) -> None:
    scope_id = getattr(version, f"{lifecycle.scope}_id")
    current = (
        lifecycle.model._default_manager.select_for_update()
        .filter(**{f"{lifecycle.scope}_id": scope_id, "status": VersionStatus.PUBLISHED})
        .exclude(pk=version.pk)
        .first()
    )
    if current is not None:
        transition(
            current,
            lifecycle=lifecycle,
            user=user,
            event="supersede",
            status=VersionStatus.SUPERSEDED,
            reason=f"replaced by v{version.number}" + (f": {reason}" if reason else ""),
            fields={},
        )


def go_live(*, lifecycle: VersionLifecycle[V], version: V, user: Any, event: str, reason: str) -> V:
    """Publish the locked ``version`` now: the scope's published version becomes superseded."""
    _supersede(version, lifecycle=lifecycle, user=user, reason=reason)
    transition(
        version,
        lifecycle=lifecycle,
        user=user,
        event=event,
        status=VersionStatus.PUBLISHED,
        reason=reason,
        fields=_PUBLISH.fields(user),
    )
    lifecycle.after_go_live(version)
    return version


def publish(*, lifecycle: VersionLifecycle[V], version: V, user: Any, reason: str) -> V:
    """Make an approved version the published one; the previous one becomes superseded."""
    require(user, lifecycle.may_approve, needs="approve_mappings")
    with transaction.atomic():
        version = _locked_for(_PUBLISH, lifecycle=lifecycle, version=version)
        lifecycle.publish_check(version)
        return go_live(lifecycle=lifecycle, version=version, user=user, event="publish", reason=reason)


# -- releases (governance.releases): the release's sign-offs stand in for the approve permission -------


def release_publish(*, lifecycle: VersionLifecycle[V], version: V, user: Any, reason: str) -> V:
    """Publish ``version`` as one item of a release, exactly as it is (same id, same content).

    An approved version is published; one published before (now superseded) is published again, which
    is how a release rollback restores the previous one; a published version is left alone. The caller
    (``governance.releases.services``) checks ``approve_releases`` and holds the transaction.
    """
    with transaction.atomic():
        version = lifecycle.locked().select_related(lifecycle.scope).get(pk=version.pk)
        if version.status == VersionStatus.PUBLISHED:
            return version
        if version.status not in (VersionStatus.APPROVED, VersionStatus.SUPERSEDED):
            raise ValidationError(f"{version} is {version.status}; only an approved version can be released")
        lifecycle.publish_check(version)
        republished = version.status == VersionStatus.SUPERSEDED
        return go_live(
            lifecycle=lifecycle,
            version=version,
            user=user,
            event="release_republish" if republished else "release_publish",
            reason=reason,
        )


def release_unpublish(*, lifecycle: VersionLifecycle[V], scope: Model, user: Any, reason: str) -> V | None:
    """Supersede the published version of ``scope`` (a flow, a table), leaving none: a release rollback
    to before its first release. Returns the version taken down, if any."""
    with transaction.atomic():
        current = (
            lifecycle.locked().filter(**{lifecycle.scope: scope, "status": VersionStatus.PUBLISHED}).first()
        )
        if current is None:
            return None
        transition(
            current,
            lifecycle=lifecycle,
            user=user,
            event="release_unpublish",
            status=VersionStatus.SUPERSEDED,
            reason=reason,
            fields={},
        )
        lifecycle.after_take_down(current)
    return current
