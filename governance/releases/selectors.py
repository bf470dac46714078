"""Reads of releases. Every role reads releases (``view_console``); nobody else reads anything."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet

from governance.releases.models import Release, ReleaseItem, ReleaseSignoff, ReleaseTestRun
from governance.releases.services import release_evidence
from governance.roles import VIEW_CONSOLE
from sync.models import (
    Connection,
    ConnectionEnvironment,
    ConnectionKind,
    MappingVersion,
    RuleStatus,
    RuleVersion,
    VersionStatus,
)

AnyUser = User | AnonymousUser


def releases_visible(*, user: AnyUser) -> QuerySet[Release]:
    if not user.has_perm(VIEW_CONSOLE):
        return Release.objects.none()
    return Release.objects.select_related("created_by", "published_by").annotate(item_count=Count("items"))


def release_get(*, user: AnyUser, release_id: int) -> Release | None:
    return releases_visible(user=user).filter(pk=release_id).first()


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


def release_detail(release: Release) -> ReleaseDetail:
    items = list(
        release.items.select_related(
            "mapping_version__flow",
            "rule_version__rule",
            "replaced_mapping_version",
            "replaced_rule_version",
        )
    )
    runs = list(
        release.test_runs.select_related("requested_by", "salesforce_connection", "netsuite_connection")[:10]
    )
    signoffs = list(release.signoffs.select_related("user", "test_run"))
    return ReleaseDetail(release, items, runs, release_evidence(release), signoffs)


def releasable_mapping_versions() -> QuerySet[MappingVersion]:
    """Mapping versions a release may carry: approved, or the published one."""
    return (
        MappingVersion.objects.filter(status__in=[VersionStatus.APPROVED, VersionStatus.PUBLISHED])
        .select_related("flow", "approved_by")
        .order_by("flow__key", "-number")
    )


def releasable_rule_versions() -> QuerySet[RuleVersion]:
    return (
        RuleVersion.objects.filter(status__in=[RuleStatus.APPROVED, RuleStatus.PUBLISHED])
        .select_related("rule", "approved_by")
        .order_by("rule__key", "-number")
    )


def sandbox_connections(kind: str) -> QuerySet[Connection]:
    """Active sandbox connections of ``kind``: the only ones a release is tested against."""
    return Connection.objects.filter(kind=kind, environment=ConnectionEnvironment.SANDBOX, is_active=True)


SALESFORCE = ConnectionKind.SALESFORCE
NETSUITE = ConnectionKind.NETSUITE
