"""The sync area's API: connections, flows, mapping versions, rules, jobs, records and exceptions.

Reads go through the same selectors (and scoping) as the pages; every write calls the service the page
calls, which checks the role again and writes the audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api.views import ApiReadViewSet
from core.roles import APPROVE_EXCEPTIONS, APPROVE_MAPPINGS, EDIT_MAPPINGS, MANAGE_CONNECTIONS
from sync import selectors
from sync.api import filtersets
from sync.api import serializers as api
from sync.connections import services as connections
from sync.connections.models import Connection
from sync.exceptions import actions as actions
from sync.exceptions.matching import exception_match_decide
from sync.exceptions.models import ExceptionEvent, ExceptionItem, ExceptionOverride
from sync.mappings.models import Flow, LookupVersion, MappingVersion
from sync.mappings.services import lookup_versions as lookup_services
from sync.mappings.services import versions as mapping_services
from sync.pipeline import jobs
from sync.pipeline import preview as mapping_preview
from sync.pipeline.backfills import backfill_resume
from sync.pipeline.listener import services as listeners
from sync.pipeline.models import Backfill, Listener, SyncJob, SyncRecord
from sync.rules import services as rule_services
from sync.rules.models import Rule, RuleVersion

SLUG = r"[-a-zA-Z0-9_]+"
# sync.exceptions.permissions.can_act and sync.pipeline.jobs.can_rerun, as capabilities.
EXCEPTION_ACTORS = (EDIT_MAPPINGS, APPROVE_EXCEPTIONS)
RERUNNERS = (EDIT_MAPPINGS, MANAGE_CONNECTIONS)


class ConnectionViewSet(ApiReadViewSet):
    """Connections: every role reads them (secrets never leave); admins create and change them."""

    queryset = Connection.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = api.ConnectionSerializer
    filterset_class = filtersets.ConnectionFilterSet
    action_permissions = {"create": (MANAGE_CONNECTIONS,), "partial_update": (MANAGE_CONNECTIONS,)}

    def get_queryset(self) -> QuerySet[Connection]:
        return selectors.connections_visible(user=self.user)

    @extend_schema(request=api.ConnectionInputSerializer, responses={201: api.ConnectionSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(api.ConnectionInputSerializer, request)
        connection = connections.connection_create(actor=self.user, secrets=data.pop("secrets", None), **data)
        return Response(api.ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=api.ConnectionInputSerializer, responses=api.ConnectionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        connection = self.get_object()
        serializer = api.ConnectionInputSerializer(connection, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        updated = connections.connection_update(
            actor=self.user, connection=connection, secrets=data.pop("secrets", None), **data
        )
        return Response(api.ConnectionSerializer(updated).data)


class ListenerViewSet(ApiReadViewSet):
    """Inbound listeners: every role reads them; admins create them and rotate their URLs. A URL carries
    the listener's secret token and is shown once, in the answer that made it."""

    queryset = Listener.objects.select_related("salesforce_connection", "netsuite_connection").order_by(
        "name"
    )
    serializer_class = api.ListenerSerializer
    action_permissions = {"create": (MANAGE_CONNECTIONS,), "rotate_token": (MANAGE_CONNECTIONS,)}

    @extend_schema(request=api.ListenerInputSerializer, responses={201: api.ListenerCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(api.ListenerInputSerializer, request)
        base_url = data.pop("base_url", None) or request.build_absolute_uri("/")
        listener, token = listeners.listener_create(user=self.user, **data)
        body = dict(api.ListenerSerializer(listener).data)
        body["url"] = listeners.listener_url(listener=listener, token=token, base_url=base_url)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=api.ListenerBaseUrlSerializer, responses=api.ListenerUrlSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: str) -> Response:
        listener = self.get_object()
        base_url = self.input(api.ListenerBaseUrlSerializer, request).get(
            "base_url"
        ) or request.build_absolute_uri("/")
        token = listeners.listener_token_rotate(listener=listener, user=self.user)
        return Response({"url": listeners.listener_url(listener=listener, token=token, base_url=base_url)})


class FlowViewSet(ApiReadViewSet):
    queryset = Flow.objects.all()
    serializer_class = api.FlowSerializer
    lookup_field = "key"
    lookup_value_regex = SLUG


def _reason(view: ApiReadViewSet, request: Request) -> str:
    reason: str = view.input(api.ReasonInputSerializer, request)["reason"]
    return reason


REASON = extend_schema(request=api.ReasonInputSerializer)


class MappingVersionViewSet(ApiReadViewSet):
    """Mapping versions: draft (RevOps) -> submitted -> approved (someone else) -> published."""

    filterset_class = filtersets.MappingVersionFilterSet
    action_permissions = {
        "create": (EDIT_MAPPINGS,),
        "submit": (EDIT_MAPPINGS,),
        "approve": (APPROVE_MAPPINGS,),
        "reject": (APPROVE_MAPPINGS,),
        "publish": (APPROVE_MAPPINGS,),
        "rollback": (APPROVE_MAPPINGS,),
        # The dry run reads both sandboxes: for the people who make or approve mappings.
        "dry_run": (EDIT_MAPPINGS, APPROVE_MAPPINGS),
        "opportunities": (EDIT_MAPPINGS, APPROVE_MAPPINGS),
    }

    def get_queryset(self) -> QuerySet[MappingVersion]:
        return MappingVersion.objects.select_related(
            "flow", "created_by", "submitted_by", "approved_by", "published_by"
        ).order_by("flow__key", "-number")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return api.MappingVersionSerializer
        return api.MappingVersionDetailSerializer

    @extend_schema(
        request=api.MappingDraftInputSerializer, responses={201: api.MappingVersionDetailSerializer}
    )
    def create(self, request: Request) -> Response:
        """A new draft of a flow: a copy of ``based_on``, or of the published version."""
        data = self.input(api.MappingDraftInputSerializer, request)
        draft = mapping_services.version_create_draft(
            flow=data["flow"], user=self.user, based_on=data.get("based_on"), notes=data["notes"]
        )
        return Response(api.MappingVersionDetailSerializer(draft).data, status=status.HTTP_201_CREATED)

    def _move(self, request: Request, service: Callable[..., MappingVersion], **kwargs: Any) -> Response:
        version = service(user=self.user, reason=_reason(self, request), **kwargs)
        return Response(api.MappingVersionDetailSerializer(version).data)

    @REASON
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_submit, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_approve, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_reject, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_publish, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str) -> Response:
        """Republish this (superseded) version's content as a new version."""
        return self._move(request, mapping_services.version_rollback, to=self.get_object())

    @extend_schema(
        parameters=[api.DryRunQuerySerializer],
        responses={
            200: api.PreviewSerializer,
            400: OpenApiResponse(description="{detail}: why it cannot run"),
        },
    )
    @action(detail=True, methods=["get"], url_path="dry-run")
    def dry_run(self, request: Request, pk: str) -> Response:
        """Map one sandbox opportunity (by id or name) with this version and compare with NetSuite's
        sandbox; writes nothing."""
        version = self.get_object()
        query = api.DryRunQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            preview = mapping_preview.mapping_dry_run(
                version=version, opportunity=query.validated_data["opportunity"]
            )
        except mapping_preview.PreviewUnavailable as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(api.PreviewSerializer(preview).data)

    @extend_schema(
        parameters=[api.OpportunitySearchQuerySerializer],
        responses={200: api.OpportunityChoiceSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def opportunities(self, request: Request) -> Response:
        """Sandbox opportunities to dry-run: those whose name contains ``q``, or whose id it is."""
        query = api.OpportunitySearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            choices = mapping_preview.opportunity_search(term=query.validated_data["q"])
        except mapping_preview.PreviewUnavailable as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(api.OpportunityChoiceSerializer(choices, many=True).data)


class LookupVersionViewSet(ApiReadViewSet):
    """Lookup table versions: draft (RevOps) -> submitted -> approved (someone else) -> published. The
    sync maps with a table's published version only."""

    action_permissions = {
        "create": (EDIT_MAPPINGS,),
        "entries": (EDIT_MAPPINGS,),
        "submit": (EDIT_MAPPINGS,),
        "approve": (APPROVE_MAPPINGS,),
        "reject": (APPROVE_MAPPINGS,),
        "publish": (APPROVE_MAPPINGS,),
    }

    def get_queryset(self) -> QuerySet[LookupVersion]:
        queryset = LookupVersion.objects.select_related(
            "table", "created_by", "submitted_by", "approved_by", "published_by"
        ).order_by("table__name", "-number")
        table = self.request.query_params.get("table")
        return queryset.filter(table__name=table) if table else queryset

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return api.LookupVersionSerializer
        return api.LookupVersionDetailSerializer

    @extend_schema(request=api.LookupDraftInputSerializer, responses={201: api.LookupVersionDetailSerializer})
    def create(self, request: Request) -> Response:
        """A new draft of a table (a copy of its published version), its entries replaced if given."""
        data = self.input(api.LookupDraftInputSerializer, request)
        draft = lookup_services.lookup_version_create_draft(
            table=data["table"], user=self.user, notes=data["notes"], entries=data.get("entries")
        )
        return Response(api.LookupVersionDetailSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=api.LookupEntriesInputSerializer, responses={200: api.LookupVersionDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str) -> Response:
        """Replace a draft's entries."""
        data = self.input(api.LookupEntriesInputSerializer, request)
        version = lookup_services.lookup_version_import(
            version=self.get_object(), entries=data["entries"], user=self.user
        )
        return Response(api.LookupVersionDetailSerializer(version).data)

    def _move(self, request: Request, service: Callable[..., LookupVersion]) -> Response:
        version = service(version=self.get_object(), user=self.user, reason=_reason(self, request))
        return Response(api.LookupVersionDetailSerializer(version).data)

    @REASON
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_submit)

    @REASON
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_approve)

    @REASON
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_reject)

    @REASON
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_publish)


class RuleViewSet(ApiReadViewSet):
    serializer_class = api.RuleSerializer
    lookup_field = "key"
    lookup_value_regex = SLUG
    action_permissions = {"create": (EDIT_MAPPINGS,), "new_draft": (EDIT_MAPPINGS,)}

    def get_queryset(self) -> QuerySet[Rule]:
        versions = RuleVersion.objects.select_related(
            "rule", "created_by", "updated_by", "submitted_by", "approved_by", "published_by"
        ).order_by("-number")
        return Rule.objects.select_related("created_by").prefetch_related(Prefetch("versions", versions))

    @extend_schema(request=api.RuleCreateInputSerializer, responses={201: api.RuleVersionSerializer})
    def create(self, request: Request) -> Response:
        """A new rule with its first version, a draft."""
        data = self.input(api.RuleCreateInputSerializer, request)
        version = rule_services.rule_create(user=self.user, **data)
        return Response(api.RuleVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: api.RuleVersionSerializer})
    @action(detail=True, methods=["post"], url_path="new-draft")
    def new_draft(self, request: Request, key: str) -> Response:
        """A new draft copying the rule's latest version."""
        draft = rule_services.rule_draft_start(rule=self.get_object(), user=self.user)
        return Response(api.RuleVersionSerializer(draft).data, status=status.HTTP_201_CREATED)


class RuleVersionViewSet(ApiReadViewSet):
    serializer_class = api.RuleVersionSerializer
    filterset_class = filtersets.RuleVersionFilterSet
    action_permissions = {
        "partial_update": (EDIT_MAPPINGS,),
        "submit": (EDIT_MAPPINGS,),
        "approve": (APPROVE_MAPPINGS,),
        "send_back": (APPROVE_MAPPINGS,),
        "publish": (APPROVE_MAPPINGS,),
    }

    def get_queryset(self) -> QuerySet[RuleVersion]:
        return RuleVersion.objects.select_related(
            "rule", "created_by", "updated_by", "submitted_by", "approved_by", "published_by"
        ).order_by("rule__key", "-number")

    @extend_schema(request=api.RuleContentInputSerializer, responses=api.RuleVersionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a draft's text; fields left out keep their value."""
        data = self.input(api.RuleContentInputSerializer, request, partial=True)
        version = rule_services.rule_version_update(version=self.get_object(), user=self.user, **data)
        return Response(api.RuleVersionSerializer(version).data)

    def _move(self, request: Request, service: Callable[..., RuleVersion]) -> Response:
        version = service(version=self.get_object(), user=self.user, reason=_reason(self, request))
        return Response(api.RuleVersionSerializer(version).data)

    @REASON
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_submit)

    @REASON
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_approve)

    @REASON
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_send_back)

    @REASON
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_publish)


class SyncJobViewSet(ApiReadViewSet):
    serializer_class = api.SyncJobSerializer
    filterset_class = filtersets.SyncJobFilterSet
    queryset = SyncJob.objects.order_by("-started_at", "-id")
    action_permissions = {"requeue": RERUNNERS}

    @extend_schema(
        request=api.ReasonInputSerializer,
        responses={
            202: inline_serializer(
                "JobRequeued", {"inbox_messages": serializers.ListField(child=serializers.CharField())}
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def requeue(self, request: Request, pk: str) -> Response:
        """Queue an interrupted job's unfinished opportunities again (new inbox events)."""
        job = self.get_object()
        queued = jobs.job_requeue_unfinished(job=job, user=self.user, reason=_reason(self, request))
        names = [message.notification_id for message in queued]
        return Response({"inbox_messages": names}, status=status.HTTP_202_ACCEPTED)


class BackfillViewSet(ApiReadViewSet):
    """Backfills and their progress; an interrupted or failed one can be resumed from its cursor."""

    serializer_class = api.BackfillSerializer
    queryset = Backfill.objects.order_by("-created_at", "-id")
    action_permissions = {"resume": RERUNNERS}

    @extend_schema(request=api.ReasonInputSerializer, responses={202: api.BackfillSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """Queue the backfill's next batch again, from its cursor."""
        backfill = backfill_resume(backfill=self.get_object(), actor=self.user, reason=_reason(self, request))
        return Response(api.BackfillSerializer(backfill).data, status=status.HTTP_202_ACCEPTED)


class SyncRecordViewSet(ApiReadViewSet):
    filterset_class = filtersets.SyncRecordFilterSet
    action_permissions = {"rerun": RERUNNERS}

    def get_queryset(self) -> QuerySet[SyncRecord]:
        records = SyncRecord.objects.select_related("job").order_by("-id")
        return records.prefetch_related("failures") if self.action == "retrieve" else records

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return api.SyncRecordDetailSerializer if self.action == "retrieve" else api.SyncRecordSerializer

    @extend_schema(
        request=api.ReasonInputSerializer,
        responses={
            202: inline_serializer("RerunQueued", {"inbox_message": serializers.CharField()}),
        },
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str) -> Response:
        """Queue the record's opportunity again (a new inbox event; the pipeline is idempotent)."""
        message = jobs.record_rerun(record=self.get_object(), user=self.user, reason=_reason(self, request))
        return Response({"inbox_message": message.notification_id}, status=status.HTTP_202_ACCEPTED)


DETAIL = OpenApiResponse(api.ExceptionDetailSerializer, description="The exception after the action")


class ExceptionViewSet(ApiReadViewSet):
    """The exception queue, scoped by subsidiary as on the pages (outside the scope: 404)."""

    queryset = ExceptionItem.objects.none()  # for the schema generator; get_queryset reads
    filterset_class = filtersets.ExceptionFilterSet
    action_permissions = {
        **dict.fromkeys(
            ("retry", "edit", "accept", "resolve", "ignore", "assign", "escalate", "comment", "match"),
            EXCEPTION_ACTORS,
        ),
        "override_approve": (APPROVE_EXCEPTIONS,),
        "override_reject": EXCEPTION_ACTORS,
    }

    def get_queryset(self) -> QuerySet[ExceptionItem]:
        items = selectors.exceptions_for_user(self.user)
        if self.action == "list":
            return items
        return items.prefetch_related(
            Prefetch("events", ExceptionEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch(
                "overrides",
                ExceptionOverride.objects.select_related("proposed_by", "approved_by").order_by(
                    "proposed_at", "id"
                ),
            ),
        )

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The queue's filters (status "active" by default) are for the list, not for one exception.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return api.ExceptionItemSerializer if self.action == "list" else api.ExceptionDetailSerializer

    def _done(self, item: ExceptionItem) -> Response:
        return Response(api.ExceptionDetailSerializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(request=api.ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_retry(item=item, user=self.user, reason=_reason(self, request))
        return self._done(item)

    @extend_schema(request=api.OverrideInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def edit(self, request: Request, pk: str) -> Response:
        """Propose a new value of a field; a financial field waits for a finance approver."""
        item = self.get_object()
        data = self.input(api.OverrideInputSerializer, request)
        actions.exception_value_edit(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=api.AcceptOtherInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Take the other system's value of a field."""
        item = self.get_object()
        data = self.input(api.AcceptOtherInputSerializer, request)
        actions.exception_accept_other_value(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=api.ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_resolve(item=item, user=self.user, reason=_reason(self, request))
        return self._done(item)

    @extend_schema(request=api.ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_ignore(item=item, user=self.user, reason=_reason(self, request))
        return self._done(item)

    @extend_schema(request=api.AssignInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Give the exception to one person or one group."""
        item = self.get_object()
        data = self.input(api.AssignInputSerializer, request)
        actions.exception_assign(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=api.ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_escalate(item=item, user=self.user, reason=_reason(self, request))
        return self._done(item)

    @extend_schema(request=api.CommentInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        text = self.input(api.CommentInputSerializer, request)["text"]
        actions.exception_comment(item=item, user=self.user, text=text)
        return self._done(item)

    @extend_schema(request=api.MatchDecisionInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: str) -> Response:
        """Answer a duplicate suspect: link one listed NetSuite candidate, or create a new record."""
        item = self.get_object()
        data = self.input(api.MatchDecisionInputSerializer, request)
        exception_match_decide(item=item, user=self.user, **data)
        return self._done(item)

    def _override(self, override_id: str) -> ExceptionOverride:
        return get_object_or_404(self.get_object().overrides.all(), pk=override_id)

    @extend_schema(request=api.ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"], url_path=r"overrides/(?P<override_id>[0-9]+)/approve")
    def override_approve(self, request: Request, pk: str, override_id: str) -> Response:
        """Approve a proposed change of a financial field (not the proposer's own)."""
        override = self._override(override_id)
        actions.exception_override_approve(override=override, user=self.user, reason=_reason(self, request))
        return self._done(override.item)

    @extend_schema(request=api.ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"], url_path=r"overrides/(?P<override_id>[0-9]+)/reject")
    def override_reject(self, request: Request, pk: str, override_id: str) -> Response:
        override = self._override(override_id)
        actions.exception_override_reject(override=override, user=self.user, reason=_reason(self, request))
        return self._done(override.item)
