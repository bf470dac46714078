"""Reads of releases. Every role reads releases (``view_console``); nobody else reads anything. A person
limited to some integrations reads only those integrations' releases, test runs and versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Model, QuerySet

from core.access import has_role
from governance.releases.models import Release, ReleaseItem, ReleaseSignoff, ReleaseTestRun, ReleaseTestStatus
from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.integrations.sandboxes import sandbox_connection_ids
from sync.mappings.models import LookupVersion, MappingVersion, VersionStatus
from sync.pipeline.sources import ChosenVersions
from sync.rules.models import RuleStatus, RuleVersion

AnyUser = User | AnonymousUser
M = TypeVar("M", bound=Model)


def releases_visible(*, user: AnyUser) -> QuerySet[Release]:
    """The releases of the integrations ``user`` works on."""
    if not has_role(user):
        return Release.objects.none()
    found = Release.objects.select_related("integration", "created_by", "published_by").annotate(
        item_count=Count("items")
    )
    return integration_scope(user).filter(found, integration="integration")


def release_get(*, user: AnyUser, release_id: int) -> Release | None:
    return releases_visible(user=user).filter(pk=release_id).first()


def items_fingerprint(items: Iterable[ReleaseItem]) -> str:
    """The item versions as one comparable string ("flow:key=m12,rule:key=r3")."""
    return ",".join(
        sorted(
            f"{item.target}="
            + (
                f"m{item.mapping_version_id}"
                if item.mapping_version_id
                else f"l{item.lookup_version_id}"
                if item.lookup_version_id
                else f"r{item.rule_version_id}"
            )
            for item in items
        )
    )


def release_evidence(release: Release) -> ReleaseTestRun | None:
    """The latest finished test run of ``release`` if it passed with the release's current items."""
    latest = release.test_runs.exclude(
        status__in=[ReleaseTestStatus.QUEUED, ReleaseTestStatus.RUNNING]
    ).first()
    if latest is None or not latest.passed:
        return None
    if latest.items_fingerprint != items_fingerprint(release.items.all()):
        return None
    return latest


def release_configuration(release: Release) -> tuple[ChosenVersions, dict[str, dict[str, int]]]:
    """What production would run once ``release`` is published: the published versions of the release's
    integration, with the release's items in place of their flow's or rule's. Returned for the pipeline
    and as plain ids."""
    integration = release.integration
    mappings: dict[str, MappingVersion] = {
        v.flow.key: v
        for v in MappingVersion.objects.select_related("flow").filter(
            status=VersionStatus.PUBLISHED, flow__integration=integration
        )
    }
    rules: dict[str, RuleVersion] = {
        v.rule.key: v
        for v in RuleVersion.objects.select_related("rule").filter(
            status=RuleStatus.PUBLISHED, rule__integration=integration
        )
    }
    lookups: dict[str, LookupVersion] = {
        v.table.name: v
        for v in LookupVersion.objects.select_related("table").filter(
            status=VersionStatus.PUBLISHED, table__integration=integration
        )
    }
    items = release.items.select_related(
        "mapping_version__flow", "rule_version__rule", "lookup_version__table"
    )
    for item in items:
        if item.mapping_version is not None:
            mappings[item.mapping_version.flow.key] = item.mapping_version
        elif item.rule_version is not None:
            rules[item.rule_version.rule.key] = item.rule_version
        elif item.lookup_version is not None:
            lookups[item.lookup_version.table.name] = item.lookup_version
    chosen = ChosenVersions(mappings=mappings, rules=[rules[key] for key in sorted(rules)], lookups=lookups)
    plain = {
        "mappings": {key: v.pk for key, v in sorted(mappings.items())},
        "rules": {key: v.pk for key, v in sorted(rules.items())},
        "lookups": {key: v.pk for key, v in sorted(lookups.items())},
    }
    return chosen, plain


@dataclass(frozen=True)
class ReleaseDetail:
    release: Release
    items: list[ReleaseItem]
    test_runs: list[ReleaseTestRun]
    evidence: ReleaseTestRun | None
    signoffs: list[ReleaseSignoff]

    @property
    def latest_run(self) -> ReleaseTestRun | None:
        return self.test_runs[0] if self.test_runs else None

    @property
    def standing_signoffs(self) -> list[ReleaseSignoff]:
        return [s for s in self.signoffs if s.is_valid]

    @property
    def signed_roles(self) -> set[str]:
        return {s.role for s in self.standing_signoffs}


def release_test_runs_visible(*, user: AnyUser) -> QuerySet[ReleaseTestRun]:
    """Test runs of the releases ``user`` reads, in the sandboxes of their integrations (a test run names
    the deals it synced)."""
    runs = ReleaseTestRun.objects.filter(release__in=releases_visible(user=user).values("pk"))
    return integration_scope(user).filter(runs, salesforce="salesforce_connection")


def release_detail(release: Release, *, user: AnyUser | None = None) -> ReleaseDetail:
    """The release's page; with ``user``, only the test runs (and evidence) of their integrations."""
    items = list(
        release.items.select_related(
            "mapping_version__flow",
            "rule_version__rule",
            "lookup_version__table",
            "replaced_mapping_version",
            "replaced_rule_version",
            "replaced_lookup_version",
        )
    )
    runs_shown = release.test_runs.all()
    if user is not None:
        runs_shown = integration_scope(user).filter(runs_shown, salesforce="salesforce_connection")
    runs = list(
        runs_shown.select_related("requested_by", "salesforce_connection", "netsuite_connection")[:10]
    )
    evidence = release_evidence(release)
    if evidence is not None and user is not None and not runs_shown.filter(pk=evidence.pk).exists():
        evidence = None
    signoffs = list(release.signoffs.select_related("user", "test_run"))
    return ReleaseDetail(release, items, runs, evidence, signoffs)


def _releasable(
    versions: QuerySet[M], *, parent: str, key: str, user: AnyUser, integration: Integration | None
) -> QuerySet[M]:
    """``versions`` of the ``parent`` (flow, rule, table) of the integrations ``user`` works on (of
    ``integration`` only, when given), by integration, ``parent``'s ``key`` and newest first."""
    owner = f"{parent}__integration"
    found = versions.select_related(owner, "approved_by").order_by(
        f"{owner}__name", f"{parent}__{key}", "-number"
    )
    if integration is not None:
        found = found.filter(**{owner: integration})
    return integration_scope(user).filter(found, integration=owner)


def releasable_mapping_versions(
    *, user: AnyUser, integration: Integration | None = None
) -> QuerySet[MappingVersion]:
    """Mapping versions a release may carry: approved, or the published one; of the integrations ``user``
    works on (of ``integration`` only, when given)."""
    ready = MappingVersion.objects.filter(status__in=[VersionStatus.APPROVED, VersionStatus.PUBLISHED])
    return _releasable(ready, parent="flow", key="key", user=user, integration=integration)


def releasable_rule_versions(
    *, user: AnyUser, integration: Integration | None = None
) -> QuerySet[RuleVersion]:
    """Rule versions a release may carry: approved, or the published one."""
    ready = RuleVersion.objects.filter(status__in=[RuleStatus.APPROVED, RuleStatus.PUBLISHED])
    return _releasable(ready, parent="rule", key="key", user=user, integration=integration)


def releasable_lookup_versions(
    *, user: AnyUser, integration: Integration | None = None
) -> QuerySet[LookupVersion]:
    """Lookup table versions a release may carry: approved, or the published one."""
    ready = LookupVersion.objects.filter(status__in=[VersionStatus.APPROVED, VersionStatus.PUBLISHED])
    return _releasable(ready, parent="table", key="name", user=user, integration=integration)


def sandbox_connections(kind: str, integration: Integration | None = None) -> QuerySet[Connection]:
    """Active sandbox connections of ``kind``: the only ones a release is tested against. With
    ``integration``, the ones its releases may be tested on
    (:func:`sync.integrations.sandboxes.sandbox_connection_ids`)."""
    found = Connection.objects.filter(kind=kind, environment=ConnectionEnvironment.SANDBOX, is_active=True)
    if integration is not None:
        found = found.filter(pk__in=sandbox_connection_ids(integration, kind))
    return found


SALESFORCE = ConnectionKind.SALESFORCE
NETSUITE = ConnectionKind.NETSUITE
