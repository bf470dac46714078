"""Releases over the API (/api/v1/releases/, /api/v1/release-test-runs/): every role reads the releases
of the integrations it works on; RevOps creates them, changes their items and tests them in the sandbox;
RevOps and Finance sign the passing run off; Finance publishes (promotes to production) and rolls back.

Each write is one call to the service the console's buttons call (:mod:`governance.releases.services`,
:mod:`governance.releases.testing`): the same permission, four-eyes and state checks, the same audit
entry. A release of an integration outside the caller's scope is a 404; a version or an integration
outside it is "does not exist" (400), as if it were not there. A refusal is a 400 with the service's
words and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import ApiReadViewSet
from governance.api import serializers as api
from governance.releases import services, testing
from governance.releases.models import Release, ReleaseTestRun, SignoffRole
from governance.releases.permissions import can_edit_releases, can_publish_releases, signing_roles
from governance.releases.selectors import release_test_runs_visible, releases_visible
from sync.connections.models import Connection
from sync.integrations.access import connections_in_scope, integration_scope
from sync.integrations.choice import PARAMETER, integration_chosen
from sync.integrations.models import Integration
from sync.mappings.models import LookupVersion, MappingVersion
from sync.rules.models import RuleVersion

VersionModel = type[MappingVersion] | type[RuleVersion] | type[LookupVersion]
VERSION_FIELDS: dict[str, tuple[VersionModel, str]] = {
    "mapping_versions": (MappingVersion, "flow__integration"),
    "rule_versions": (RuleVersion, "rule__integration"),
    "lookup_versions": (LookupVersion, "table__integration"),
}


def can_sign_releases(user: User | AnonymousUser) -> bool:
    """Sign off in at least one role (the service checks the role asked for)."""
    return bool(signing_roles(user))


def _versions(data: dict[str, Any]) -> dict[str, list[Any]]:
    """The chosen versions, as the services' keyword arguments (none chosen: empty lists)."""
    return {name: list(data.get(name, [])) for name in VERSION_FIELDS}


def _caller(serializer: serializers.Serializer[Any]) -> User | AnonymousUser:
    request = serializer.context.get("request")
    return request.user if request is not None else AnonymousUser()


class ReleaseItemsInputSerializer(serializers.Serializer[Any]):
    """The versions a release carries, by id: the whole list (to add one, send the current ones and it;
    to remove one, leave it out). Versions of the integrations the caller works on; the service refuses a
    version not approved, two of one flow, rule or table, or another integration's."""

    mapping_versions = serializers.PrimaryKeyRelatedField(
        many=True, queryset=MappingVersion.objects.none(), required=False
    )
    rule_versions = serializers.PrimaryKeyRelatedField(
        many=True, queryset=RuleVersion.objects.none(), required=False
    )
    lookup_versions = serializers.PrimaryKeyRelatedField(
        many=True, queryset=LookupVersion.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = integration_scope(_caller(self))
        for name, (model, owner) in VERSION_FIELDS.items():
            field: Any = self.fields[name]
            field.child_relation.queryset = scope.filter(model.objects.all(), integration=owner)


class ReleaseCreateInputSerializer(ReleaseItemsInputSerializer):
    """A new draft release: its name, notes, integration (by name; default: the versions' own) and
    versions."""

    name = serializers.CharField(max_length=120)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Integration.objects.none(), required=False, allow_null=True, default=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["integration"]
        field.queryset = integration_scope(_caller(self)).integrations()


class ReleaseTestInputSerializer(serializers.Serializer[Any]):
    """The sandbox pair (by connection name; default: the release's integration's first active sandbox of
    each kind) and the Salesforce opportunities to sync (at most 50)."""

    salesforce: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Connection.objects.none(), required=False, allow_null=True, default=None
    )
    netsuite: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Connection.objects.none(), required=False, allow_null=True, default=None
    )
    opportunity_ids = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=testing.MAX_RECORDS
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("salesforce", "netsuite"):
            field: Any = self.fields[name]
            field.queryset = connections_in_scope(_caller(self), Connection.objects.all())


class ReleaseSignInputSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=SignoffRole.choices, help_text="the role you sign in")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReleaseRollbackInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, help_text="why production goes back (required)")


class ReleasePublishInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReleaseViewSet(ApiReadViewSet):
    """Releases of the integrations the caller works on (every role reads); ``?integration=<name>``
    narrows to one (404 for one outside their scope). RevOps creates them, sets their items and tests
    them; RevOps and Finance sign off; Finance publishes and rolls back, as on the console."""

    queryset = Release.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = api.ReleaseSerializer
    action_permissions = {
        "create": can_edit_releases,
        "items": can_edit_releases,
        "test": can_edit_releases,
        "sign": can_sign_releases,
        "publish": can_publish_releases,
        "rollback": can_publish_releases,
    }

    def get_queryset(self) -> QuerySet[Release]:
        found = releases_visible(user=self.user).prefetch_related(
            "items__mapping_version", "items__rule_version", "items__lookup_version", "signoffs__user"
        )
        name = self.request.query_params.get(PARAMETER)
        if name:
            found = found.filter(integration=integration_chosen(self.user, name))
        return found.order_by("-created_at", "-id")

    def _answer(self, release: Release, code: int = status.HTTP_200_OK) -> Response:
        """The release as it stands now (re-read through the caller's scope)."""
        return Response(api.ReleaseSerializer(self.get_queryset().get(pk=release.pk)).data, status=code)

    @extend_schema(request=ReleaseCreateInputSerializer, responses={201: api.ReleaseSerializer})
    def create(self, request: Request) -> Response:
        """A draft release of the chosen versions, all of one integration."""
        data = self.input(ReleaseCreateInputSerializer, request)
        release = services.release_create(
            user=self.user,
            name=data["name"],
            notes=data["notes"],
            integration=data["integration"],
            **_versions(data),
        )
        return self._answer(release, status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseItemsInputSerializer, responses=api.ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str) -> Response:
        """Replace the versions the release carries; a change voids its test evidence and sign-offs (the
        release is a draft again)."""
        release = self.get_object()
        data = self.input(ReleaseItemsInputSerializer, request)
        services.release_items_set(release=release, user=self.user, **_versions(data))
        return self._answer(release)

    @extend_schema(request=ReleaseTestInputSerializer, responses={202: api.ReleaseTestRunSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Queue a sandbox test run (a worker runs it; follow it under release-test-runs)."""
        release = self.get_object()
        data = self.input(ReleaseTestInputSerializer, request)
        salesforce, netsuite = testing.release_test_connections(
            release, salesforce=data["salesforce"], netsuite=data["netsuite"]
        )
        run = testing.release_test_run_start(
            release=release,
            user=self.user,
            salesforce=salesforce,
            netsuite=netsuite,
            opportunity_ids=data["opportunity_ids"],
        )
        return Response(api.ReleaseTestRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ReleaseSignInputSerializer, responses=api.ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str) -> Response:
        """Sign the passing test run off as RevOps or Finance (two people; Finance never the creator)."""
        release = self.get_object()
        data = self.input(ReleaseSignInputSerializer, request)
        services.release_sign(release=release, user=self.user, role=data["role"], note=data["note"])
        return self._answer(release)

    @extend_schema(request=ReleasePublishInputSerializer, responses=api.ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Publish the signed-off release to production, all or nothing (the integration's live release
        before it is superseded)."""
        release = self.get_object()
        reason = self.input(ReleasePublishInputSerializer, request)["reason"]
        services.release_publish(release=release, user=self.user, reason=reason)
        return self._answer(release)

    @extend_schema(request=ReleaseRollbackInputSerializer, responses=api.ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str) -> Response:
        """Put back what the live release replaced, in one step; the previous release is live again."""
        release = self.get_object()
        reason = self.input(ReleaseRollbackInputSerializer, request)["reason"]
        services.release_rollback(release=release, user=self.user, reason=reason)
        return self._answer(release)


class ReleaseTestRunViewSet(ApiReadViewSet):
    """Releases' sandbox test runs (every role reads); RevOps retries an interrupted or failed one."""

    queryset = ReleaseTestRun.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = api.ReleaseTestRunSerializer
    action_permissions = {"retry": can_edit_releases}

    def get_queryset(self) -> QuerySet[ReleaseTestRun]:
        return (
            release_test_runs_visible(user=self.user)
            .select_related("requested_by")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=api.ReleaseTestRetryInputSerializer, responses={202: api.ReleaseTestRunSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Start the run again with the same sandbox pair and records (audited); returns the new run."""
        reason = self.input(api.ReleaseTestRetryInputSerializer, request)["reason"]
        run = testing.release_test_run_retry(run=self.get_object(), user=self.user, reason=reason)
        return Response(api.ReleaseTestRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


__all__ = ["ReleaseTestRunViewSet", "ReleaseViewSet"]
