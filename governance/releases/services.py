"""Writing releases: create, change items, sign off, publish, roll back. Each step checks who may take
it and the state it starts from, and writes one audit entry (who, the event, the reason).

Test runs are in :mod:`governance.releases.testing`; the life cycle is described in
:mod:`governance.releases`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.fields import field_fit
from governance.releases.models import (
    Release,
    ReleaseItem,
    ReleaseSignoff,
    ReleaseStatus,
    SignoffRole,
)
from governance.releases.permissions import can_edit_releases, can_publish_releases, can_sign
from governance.releases.selectors import items_fingerprint, release_configuration, release_evidence
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.mappings.engine import MappingValidationError
from sync.mappings.models import LookupVersion, MappingVersion, VersionStatus
from sync.mappings.services.lookup_versions import (
    lookup_table_release_unpublish,
    lookup_version_release_publish,
)
from sync.mappings.services.versions import flow_release_unpublish, version_release_publish
from sync.rules.models import RuleStatus, RuleVersion
from sync.rules.services import rule_release_unpublish, rule_version_release_publish

RELEASABLE_MAPPING_STATUSES = (VersionStatus.APPROVED, VersionStatus.PUBLISHED)
RELEASABLE_RULE_STATUSES = (RuleStatus.APPROVED, RuleStatus.PUBLISHED)


def status_move(
    release: Release, *, user: User | None, status: str, event: str, reason: str = "", **extra: Any
) -> None:
    """Move ``release`` to ``status`` with one explicit audit entry (the save itself is not logged twice);
    the caller holds the transaction and the row lock."""
    before = release.status
    release.status = status
    with disable_auditlog():
        release.save()
    audit_record(
        obj=release,
        actor=user,
        action=AuditAction.UPDATE,
        changes={"status": [before, status]},
        event=event,
        reason=reason,
        **extra,
    )


# -- items -------------------------------------------------------------------------------------------


AnyVersion = MappingVersion | RuleVersion | LookupVersion


def _target(version: AnyVersion) -> str:
    if isinstance(version, MappingVersion):
        return f"flow:{version.flow.key}"
    if isinstance(version, LookupVersion):
        return f"lookup:{version.table.name}"
    return f"rule:{version.rule.key}"


def version_integration(version: AnyVersion) -> Integration:
    """The integration whose flow, rule or lookup table ``version`` is a version of."""
    if isinstance(version, MappingVersion):
        return version.flow.integration
    if isinstance(version, LookupVersion):
        return version.table.integration
    return version.rule.integration


def _items_integration(chosen: Sequence[AnyVersion], integration: Integration | None) -> Integration:
    """The one integration every chosen version belongs to (``integration`` when given). A release is
    tested on one integration's sandbox pair and published to its production pair: a mix is refused."""
    owners = {version: version_integration(version) for version in chosen}
    expected = integration if integration is not None else next(iter(owners.values()))
    strangers = [f"{version} is {owner.name}'s" for version, owner in owners.items() if owner != expected]
    if strangers:
        raise ValidationError(
            f"A release carries one integration's versions ({expected.name}'s): "
            + "; ".join(strangers)
            + ". Make a release per integration."
        )
    return expected


def _items(
    mapping_versions: Iterable[MappingVersion],
    rule_versions: Iterable[RuleVersion],
    lookup_versions: Iterable[LookupVersion] = (),
    *,
    integration: Integration | None = None,
) -> tuple[Integration, list[ReleaseItem]]:
    """Unsaved items for the chosen versions, and their integration; refuses a version not yet approved,
    two of one target, or versions of another integration than ``integration`` (or than each other)."""
    items: dict[str, ReleaseItem] = {}
    chosen: list[AnyVersion] = [*mapping_versions, *rule_versions, *lookup_versions]
    if not chosen:
        raise ValidationError("Choose at least one mapping, rule or lookup table version.")
    owner = _items_integration(chosen, integration)
    for version in chosen:
        rule = isinstance(version, RuleVersion)
        allowed = RELEASABLE_RULE_STATUSES if rule else RELEASABLE_MAPPING_STATUSES
        if version.status not in allowed:
            raise ValidationError(
                f"{version} is {version.status}: only approved or published versions go in."
            )
        target = _target(version)
        if target in items:
            raise ValidationError(f"Two versions of {target}: a release carries one version of each.")
        items[target] = ReleaseItem(
            target=target,
            mapping_version=version if isinstance(version, MappingVersion) else None,
            rule_version=version if isinstance(version, RuleVersion) else None,
            lookup_version=version if isinstance(version, LookupVersion) else None,
        )
    return owner, list(items.values())


def release_integration_check(user: User, integration: Integration) -> None:
    """Refuse a person limited to other integrations (PermissionDenied)."""
    if not integration_scope(user).allows(integration.pk):
        raise PermissionDenied(f"You do not work on integration {integration.name}.")


def release_create(
    *,
    user: User,
    name: str,
    notes: str = "",
    mapping_versions: Sequence[MappingVersion] = (),
    rule_versions: Sequence[RuleVersion] = (),
    lookup_versions: Sequence[LookupVersion] = (),
    integration: Integration | None = None,
) -> Release:
    """A draft release of the chosen versions (each approved or published, one per flow, rule or lookup
    table), all of one integration: ``integration`` when given, else the versions' own. A version of
    another integration is refused (ValidationError), as is an integration the user does not work on."""
    if not can_edit_releases(user):
        raise PermissionDenied("Releases are put together by RevOps (edit_mappings).")
    owner, items = _items(mapping_versions, rule_versions, lookup_versions, integration=integration)
    release_integration_check(user, owner)
    with transaction.atomic():
        release = Release(name=name.strip(), notes=notes, created_by=user, integration=owner)
        release.full_clean()
        release.save()
        for item in items:
            item.release = release
            item.full_clean()
            item.save()
    return release


def release_items_set(
    *,
    release: Release,
    user: User,
    mapping_versions: Sequence[MappingVersion] = (),
    rule_versions: Sequence[RuleVersion] = (),
    lookup_versions: Sequence[LookupVersion] = (),
) -> Release:
    """Change which versions the release carries (all of the release's integration). Any change voids its
    test evidence and sign-offs: the release goes back to draft and must be tested and signed again."""
    if not can_edit_releases(user):
        raise PermissionDenied("Releases are put together by RevOps (edit_mappings).")
    release_integration_check(user, release.integration)
    _, wanted = _items(mapping_versions, rule_versions, lookup_versions, integration=release.integration)
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if not release.is_open:
            raise ValidationError(
                f"{release} is {release.get_status_display().lower()}: its items are final."
            )
        current = list(release.items.all())
        if items_fingerprint(current) == items_fingerprint(wanted):
            return release
        for item in current:
            item.delete()
        for item in wanted:
            item.release = release
            item.full_clean()
            item.save()
        signoffs_invalidate(release=release, reason="the release's items changed after its test run")
        if release.status != ReleaseStatus.DRAFT:
            status_move(
                release,
                user=user,
                status=ReleaseStatus.DRAFT,
                event="release_items_changed",
                reason="items changed: test and sign again",
            )
    return release


def signoffs_invalidate(*, release: Release, reason: str) -> int:
    """Void the standing sign-offs of ``release`` (each save audited by auditlog)."""
    count = 0
    for signoff in release.signoffs.filter(invalidated_at__isnull=True):
        signoff.invalidated_at = timezone.now()
        signoff.invalidated_reason = field_fit(ReleaseSignoff, "invalidated_reason", reason)
        signoff.save(update_fields=["invalidated_at", "invalidated_reason"])
        count += 1
    return count


# -- evidence and sign-off -----------------------------------------------------------------------------


def release_sign(*, release: Release, user: User, role: str, note: str = "") -> ReleaseSignoff:
    """Sign off the release's passing test evidence as RevOps or Finance.

    RevOps needs ``edit_mappings``, Finance ``approve_releases``; the two sign-offs are two different
    people, and the Finance sign-off is never the release creator's. With both, the release is signed off.
    """
    if role not in SignoffRole.values:
        raise ValidationError("Sign as RevOps or as Finance.")
    if not can_sign(user, role):
        needed = "edit_mappings" if role == SignoffRole.REVOPS else "approve_releases"
        raise PermissionDenied(f"Signing as {SignoffRole(role).label} needs {needed}.")
    release_integration_check(user, release.integration)
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status != ReleaseStatus.TESTED:
            raise ValidationError(
                f"{release} is {release.get_status_display().lower()}: only a tested release is signed off."
            )
        evidence = release_evidence(release)
        if evidence is None:
            raise ValidationError("There is no passing test run of the release's current items to sign.")
        if role == SignoffRole.FINANCE and user.pk == release.created_by_id:
            raise PermissionDenied("You made this release: Finance's sign-off must come from someone else.")
        standing = {s.role: s for s in release.signoffs.filter(invalidated_at__isnull=True)}
        if role in standing:
            raise ValidationError(f"{SignoffRole(role).label} has already signed ({standing[role].user}).")
        if any(s.user_id == user.pk for s in standing.values()):
            raise PermissionDenied(
                "You have signed this release already: the other sign-off needs another person."
            )
        signoff = ReleaseSignoff(release=release, test_run=evidence, role=role, user=user, note=note)
        signoff.full_clean()
        signoff.save()
        if len(standing) + 1 == len(SignoffRole.values):
            status_move(release, user=user, status=ReleaseStatus.SIGNED_OFF, event="release_signed_off")
    return signoff


# -- publish and roll back ---------------------------------------------------------------------------


def _published_mapping(flow_id: int) -> MappingVersion | None:
    return MappingVersion.objects.filter(flow_id=flow_id, status=VersionStatus.PUBLISHED).first()


def _published_rule(rule_id: int) -> RuleVersion | None:
    return RuleVersion.objects.filter(rule_id=rule_id, status=RuleStatus.PUBLISHED).first()


def _published_lookup(table_id: int) -> LookupVersion | None:
    return LookupVersion.objects.filter(table_id=table_id, status=VersionStatus.PUBLISHED).first()


def _mapping_publish(version: MappingVersion, *, user: User, reason: str) -> None:
    try:
        version_release_publish(version=version, user=user, reason=reason)
    except MappingValidationError as error:  # a lookup table it names changed since it was approved
        raise ValidationError(f"{version} no longer compiles ({error}): nothing was changed.") from error


def _publish_item(item: ReleaseItem, *, user: User, reason: str) -> None:
    """Record what ``item`` replaces in production, then publish its version."""
    if item.mapping_version is not None:
        item.replaced_mapping_version = _published_mapping(item.mapping_version.flow_id)
        _mapping_publish(item.mapping_version, user=user, reason=reason)
    elif item.rule_version is not None:
        item.replaced_rule_version = _published_rule(item.rule_version.rule_id)
        rule_version_release_publish(version=item.rule_version, user=user, reason=reason)
    elif item.lookup_version is not None:
        item.replaced_lookup_version = _published_lookup(item.lookup_version.table_id)
        lookup_version_release_publish(version=item.lookup_version, user=user, reason=reason)
    item.save(update_fields=["replaced_mapping_version", "replaced_rule_version", "replaced_lookup_version"])


def _lookups_first(items: Iterable[ReleaseItem]) -> list[ReleaseItem]:
    """Lookup tables before mappings: a mapping's publish compiles against the tables it names."""
    return sorted(items, key=lambda item: (item.lookup_version_id is None, item.target))


def release_publish(*, release: Release, user: User, reason: str = "") -> Release:
    """Publish every item of a signed-off release to production, all or nothing.

    Refused unless the release's latest test run passed with its current items, RevOps and Finance
    have signed that run, and the integration's production still runs what the test ran beside the
    items. The integration's live release before it becomes superseded and is recorded as this one's
    ``previous_release`` (another integration's live release is not touched).
    """
    if not can_publish_releases(user):
        raise PermissionDenied("Publishing a release needs approve_releases (Finance).")
    release_integration_check(user, release.integration)
    label = f"release {release.name}" + (f": {reason}" if reason else "")
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status != ReleaseStatus.SIGNED_OFF:
            raise ValidationError(
                f"{release} is {release.get_status_display().lower()}: "
                "only a signed-off release is published."
            )
        evidence = release_evidence(release)
        if evidence is None:
            raise ValidationError("The release has no passing test run of its current items.")
        signed = {s.role for s in release.signoffs.filter(invalidated_at__isnull=True, test_run=evidence)}
        if signed != set(SignoffRole.values):
            raise ValidationError("Both RevOps and Finance must sign the latest test run before publishing.")
        _, configuration = release_configuration(release)
        if configuration != evidence.configuration:
            raise ValidationError(
                "Production changed since the test run (a mapping or rule was published outside this "
                "release): run the test again."
            )
        previous = (
            Release.objects.select_for_update()
            .filter(status=ReleaseStatus.LIVE, integration=release.integration)
            .first()
        )
        for item in _lookups_first(
            release.items.select_related("mapping_version", "rule_version", "lookup_version")
        ):
            _publish_item(item, user=user, reason=label)
        if previous is not None:
            status_move(
                previous,
                user=user,
                status=ReleaseStatus.SUPERSEDED,
                event="release_superseded",
                reason=f"replaced by {release.name}",
            )
        release.previous_release = previous
        release.published_by = user
        release.published_at = timezone.now()
        status_move(release, user=user, status=ReleaseStatus.LIVE, event="release_publish", reason=reason)
    return release


def _restore_item(item: ReleaseItem, *, user: User, reason: str) -> None:
    """Put back what ``item`` replaced; refuse if production no longer runs the item's version."""
    if item.mapping_version is not None:
        current = _published_mapping(item.mapping_version.flow_id)
        if current is None or current.pk != item.mapping_version_id:
            raise ValidationError(
                f"{item.target} no longer runs {item.mapping_version} (it was changed outside this "
                "release): roll that back by hand first."
            )
        if item.replaced_mapping_version is not None:
            _mapping_publish(item.replaced_mapping_version, user=user, reason=reason)
        else:
            flow_release_unpublish(flow=item.mapping_version.flow, user=user, reason=reason)
    elif item.lookup_version is not None:
        current_lookup = _published_lookup(item.lookup_version.table_id)
        if current_lookup is None or current_lookup.pk != item.lookup_version_id:
            raise ValidationError(
                f"{item.target} no longer maps with {item.lookup_version} (it was changed outside this "
                "release): roll that back by hand first."
            )
        if item.replaced_lookup_version is not None:
            lookup_version_release_publish(version=item.replaced_lookup_version, user=user, reason=reason)
        else:
            lookup_table_release_unpublish(table=item.lookup_version.table, user=user, reason=reason)
    elif item.rule_version is not None:
        current_rule = _published_rule(item.rule_version.rule_id)
        if current_rule is None or current_rule.pk != item.rule_version_id:
            raise ValidationError(
                f"{item.target} no longer runs {item.rule_version} (it was changed outside this "
                "release): roll that back by hand first."
            )
        if item.replaced_rule_version is not None:
            rule_version_release_publish(version=item.replaced_rule_version, user=user, reason=reason)
        else:
            rule_release_unpublish(rule=item.rule_version.rule, user=user, reason=reason)


def release_rollback(*, release: Release, user: User, reason: str) -> Release:
    """Return production to the previous release in one step, all or nothing.

    Every item's flow or rule gets back exactly the version it replaced (the same version row, published
    again; nothing if none was published before), the release is rolled back and the previous live
    release is live again.
    """
    if not can_publish_releases(user):
        raise PermissionDenied("Rolling back a release needs approve_releases (Finance).")
    release_integration_check(user, release.integration)
    if not reason.strip():
        raise ValidationError("Say why you roll back.")
    label = f"rollback of release {release.name}: {reason}"
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status != ReleaseStatus.LIVE:
            raise ValidationError(
                f"{release} is {release.get_status_display().lower()}: only the live release is rolled back."
            )
        items = release.items.select_related(
            "mapping_version__flow",
            "rule_version__rule",
            "lookup_version__table",
            "replaced_mapping_version",
            "replaced_rule_version",
            "replaced_lookup_version",
        )
        for item in items:
            _restore_item(item, user=user, reason=label)
        release.rolled_back_by = user
        release.rolled_back_at = timezone.now()
        release.rollback_reason = reason
        status_move(
            release, user=user, status=ReleaseStatus.ROLLED_BACK, event="release_rollback", reason=reason
        )
        previous = release.previous_release
        if previous is not None:
            previous = Release.objects.select_for_update().get(pk=previous.pk)
            status_move(
                previous,
                user=user,
                status=ReleaseStatus.LIVE,
                event="release_restored",
                reason=f"{release.name} rolled back: {reason}",
            )
    return release
