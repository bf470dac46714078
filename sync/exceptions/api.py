"""The exception queue's API (/api/v1/exceptions/), scoped by subsidiary as on the pages (outside the
scope: 404). Actions call the services the pages call, which check the role again and audit."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import django_filters
from django.contrib.auth.models import Group, User
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import BaseSerializer

from core.api.filtering import SelectorFilterSet
from core.api.paging import ApiPagination
from core.api.serializers import ReasonInputSerializer, username_field
from core.api.views import ApiReadViewSet
from core.csv_export import csv_response
from sync.exceptions import actions as actions
from sync.exceptions import detail, tags
from sync.exceptions import payload as retry_payload
from sync.exceptions.bulk import BULK_ACTIONS, BULK_MAX, MAX_ID, exceptions_bulk
from sync.exceptions.export import queue_csv_rows
from sync.exceptions.forms import STATUS_CHOICES, SYSTEM_NAMES, value_choice_label
from sync.exceptions.group_api import urlpatterns as group_urlpatterns
from sync.exceptions.matching import exception_match_decide
from sync.exceptions.models import (
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    ExceptionRetry,
    ExceptionTag,
    Severity,
)
from sync.exceptions.permissions import can_act, can_approve
from sync.exceptions.policy_api import (
    ExceptionCategoryViewSet,
    NetSuiteListValueViewSet,
    SubsidiaryViewSet,
    policy_urlpatterns,
)
from sync.exceptions.queue import (
    COUNT_CAP,
    DEFAULT_SORT,
    MAX_OFFSET,
    SEARCH_MAX,
    SORTS,
    QueueFilters,
    exception_queue_search,
    flow_choices,
    queue_count,
)
from sync.exceptions.selectors import AGE_BUCKETS, exception_get_for_user, exceptions_for_user
from sync.matching.models import MatchChoice


class ExceptionItemSerializer(serializers.ModelSerializer[ExceptionItem]):
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    subsidiary: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, help_text="The integration whose records it is about"
    )
    owner_user = username_field()
    owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = ExceptionItem
        exclude = ["retry_kwargs"]


class ExceptionEventSerializer(serializers.ModelSerializer[ExceptionEvent]):
    actor = username_field()
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = ExceptionEvent
        exclude = ["item"]


class ExceptionOverrideSerializer(serializers.ModelSerializer[ExceptionOverride]):
    proposed_by = username_field()
    approved_by = username_field()

    class Meta:
        model = ExceptionOverride
        exclude = ["item"]


class ExceptionRetrySerializer(serializers.ModelSerializer[ExceptionRetry]):
    requested_by = username_field()
    cancelled_by = username_field()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ExceptionRetry
        exclude = ["item"]


class PayloadFieldSerializer(serializers.Serializer[Any]):
    """One field of the next retry's payload (:func:`sync.exceptions.payload.next_retry_payload`)."""

    field = serializers.CharField()
    sent = serializers.JSONField(help_text="What the failing write sent (null: not known)")
    next = serializers.JSONField(help_text="What the next retry sends")
    state = serializers.CharField(help_text='"as sent", "changed" or "waiting for approval"')
    financial = serializers.BooleanField(help_text="A change waits for a finance approver (four eyes)")
    override_id = serializers.IntegerField(allow_null=True)


class RecordLinkSerializer(serializers.Serializer[Any]):
    system = serializers.CharField()
    object_type = serializers.CharField()
    id = serializers.CharField()
    url = serializers.CharField(help_text="The record in its own system; empty when no link can be made")


class ExceptionDetailSerializer(ExceptionItemSerializer):
    events = ExceptionEventSerializer(many=True, read_only=True)
    overrides = ExceptionOverrideSerializer(many=True, read_only=True)
    tags: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    retries = ExceptionRetrySerializer(many=True, read_only=True)
    next_payload = serializers.SerializerMethodField(help_text="The next retry's payload, field by field")
    record_links = serializers.SerializerMethodField(help_text="Its records, linked in their systems")

    @extend_schema_field(PayloadFieldSerializer(many=True))
    def get_next_payload(self, item: ExceptionItem) -> list[dict[str, Any]]:
        return [asdict(row) for row in retry_payload.next_retry_payload(item=item)]

    @extend_schema_field(RecordLinkSerializer(many=True))
    def get_record_links(self, item: ExceptionItem) -> list[dict[str, Any]]:
        return [asdict(link) for link in detail.record_links(item=item)]


class TagInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=40, help_text='A short tag, e.g. "waiting on customer"')


class PayloadEditInputSerializer(ReasonInputSerializer):
    """Values for the next retry, ``{field: value}`` (JSON values); financial fields wait for approval."""

    changes = serializers.DictField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class OverrideInputSerializer(ReasonInputSerializer):
    field = serializers.CharField(max_length=200)
    new_value = serializers.JSONField(required=False, allow_null=True, default=None)


class AcceptOtherInputSerializer(ReasonInputSerializer):
    """Take one system's value of ``field``: ``salesforce`` (keep Salesforce's value) or ``netsuite``
    (accept NetSuite's value)."""

    field = serializers.CharField(max_length=200)
    system = serializers.ChoiceField(choices=[(key, value_choice_label(key)) for key in SYSTEM_NAMES])


class AssignInputSerializer(ReasonInputSerializer):
    """One person (a username) or one group (a name)."""

    owner_user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )


class CommentInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=4000)


class MatchDecisionInputSerializer(ReasonInputSerializer):
    """A duplicate suspect's answer: ``link`` one listed candidate (``netsuite_id``) or ``create_new``."""

    choice = serializers.ChoiceField(choices=MatchChoice.choices)
    netsuite_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class ExceptionFilterSet(SelectorFilterSet):
    """The console's queue filters (:class:`sync.exceptions.queue.QueueFilters`), read by the same
    selector as the page, the export and the command.

    ``status`` defaults to "active" as on the page; ``status=`` (empty) lists every status.
    """

    status = django_filters.ChoiceFilter(
        choices=[choice for choice in STATUS_CHOICES if choice[0]], method="skip"
    )
    category = django_filters.CharFilter(method="skip", help_text="Category key")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, method="skip")
    owner = django_filters.CharFilter(method="skip", help_text='"me", a username or a group name')
    overdue = django_filters.BooleanFilter(method="skip")
    integration = django_filters.CharFilter(method="skip", help_text="An integration's name")
    flow = django_filters.ChoiceFilter(choices=flow_choices, method="skip", help_text="A flow's key")
    subsidiary = django_filters.CharFilter(method="skip", help_text="A subsidiary's key")
    tag = django_filters.CharFilter(method="skip", max_length=60, help_text="A tag on the exceptions")
    age = django_filters.ChoiceFilter(
        choices=[(bucket.key, bucket.label) for bucket in AGE_BUCKETS], method="skip", help_text="Open for"
    )
    since = django_filters.DateFilter(method="skip", help_text="First seen on or after (YYYY-MM-DD)")
    search = django_filters.CharFilter(
        method="skip",
        max_length=SEARCH_MAX,
        help_text="A record id (Salesforce or NetSuite), a name or a message",
    )
    sort = django_filters.ChoiceFilter(
        choices=[
            (f"{prefix}{key}", f"{sort.label}{prefix}") for key, sort in SORTS.items() for prefix in ("", "-")
        ],
        method="skip",
        help_text=f'A column ({", ".join(SORTS)}); "-" first reverses',
    )

    class Meta:
        model = ExceptionItem
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[ExceptionItem]) -> QuerySet[ExceptionItem]:
        if self.request is None:  # only ever used by the API's filter backend, which passes it
            return queryset.none()
        # The selector starts again from what the user may see: the same rows as ``queryset``.
        return exception_queue_search(user=self.request.user, filters=self.queue_filters())

    def queue_filters(self) -> QueueFilters:
        data = self.form.cleaned_data
        return QueueFilters(
            status=data.get("status") or ("" if "status" in (self.data or {}) else "active"),
            category=data.get("category") or "",
            severity=data.get("severity") or "",
            owner=(data.get("owner") or "").strip(),
            overdue=bool(data.get("overdue")),
            integration=(data.get("integration") or "").strip(),
            age=data.get("age") or "",
            since=data.get("since"),
            flow=data.get("flow") or "",
            subsidiary=(data.get("subsidiary") or "").strip(),
            tag=(data.get("tag") or "").strip(),
            search=(data.get("search") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
        )


class QueuePagination(ApiPagination):
    """Limit/offset with the queue's capped count: ``count`` stops at COUNT_CAP + 1 and
    ``count_capped`` says so (no COUNT(*) over the whole backlog on every page)."""

    def get_count(self, queryset: Any) -> int:
        return queue_count(queryset)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        # As on the page: an offset scan grows with the offset, so the deepest pages are refused.
        if self.get_offset(request) > MAX_OFFSET:
            raise ValidationError(
                {"offset": [f"At most {MAX_OFFSET}: narrow the filters or search instead."]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = (self.count or 0) > COUNT_CAP
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paged = super().get_paginated_response_schema(schema)
        paged["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when more than {COUNT_CAP} match: count is then {COUNT_CAP + 1}",
        }
        return paged


class BulkInputSerializer(ReasonInputSerializer):
    """One action on many exceptions under one (required) reason; ``owner_user`` or ``owner_group`` for
    ``assign``."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=BULK_MAX
    )
    action = serializers.ChoiceField(choices=list(BULK_ACTIONS.items()))
    owner_user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )


class BulkRefusalSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="item_id")
    error = serializers.CharField()


class BulkResultSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    done = serializers.ListField(child=serializers.IntegerField())
    refused = BulkRefusalSerializer(many=True)


def _detail_prefetches() -> tuple[Prefetch, ...]:
    """An exception's history, proposed changes, tags and retries, in order, as its detail shows them."""
    return (
        Prefetch("events", ExceptionEvent.objects.select_related("actor").order_by("at", "id")),
        Prefetch(
            "overrides",
            ExceptionOverride.objects.select_related("proposed_by", "approved_by").order_by(
                "proposed_at", "id"
            ),
        ),
        Prefetch("tags", ExceptionTag.objects.order_by("name")),
        Prefetch(
            "retries",
            ExceptionRetry.objects.select_related("requested_by", "cancelled_by").order_by(
                "-requested_at", "-id"
            ),
        ),
    )


DETAIL = OpenApiResponse(ExceptionDetailSerializer, description="The exception after the action")


class ExceptionViewSet(ApiReadViewSet):
    """The exception queue, scoped by subsidiary as on the pages (outside the scope: 404)."""

    queryset = ExceptionItem.objects.none()  # for the schema generator; get_queryset reads
    filterset_class = ExceptionFilterSet
    pagination_class = QueuePagination
    action_permissions = {
        "bulk": can_act,
        **dict.fromkeys(
            (
                "retry",
                "edit",
                "accept",
                "resolve",
                "ignore",
                "assign",
                "escalate",
                "comment",
                "match",
                "tag",
                "untag",
                "payload_edit",
                "cancel_retry",
            ),
            can_act,
        ),
        "override_approve": can_approve,
        "override_reject": can_act,
        "approve": can_approve,
    }

    def get_queryset(self) -> QuerySet[ExceptionItem]:
        items = exceptions_for_user(self.user)
        return items if self.action == "list" else items.prefetch_related(*_detail_prefetches())

    def get_object(self) -> ExceptionItem:
        """The same fetch as the exception's page (:func:`exception_get_for_user`: outside the scope, 404)."""
        item = exception_get_for_user(user=self.user, item_id=self.kwargs["pk"])
        prefetch_related_objects([item], *_detail_prefetches())
        self.check_object_permissions(self.request, item)
        return item

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The queue's filters (status "active" by default) are for the list and its export.
        return super().filter_queryset(queryset) if self.action in ("list", "export") else queryset

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(description="Every matching exception, streamed")}
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> StreamingHttpResponse:
        """The filtered queue as CSV (every match, not one page): the list's filters and sort."""
        filterset = ExceptionFilterSet(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        rows = queue_csv_rows(user=self.user, filters=filterset.queue_filters())
        return csv_response(rows, filename="exceptions.csv")

    @extend_schema(request=BulkInputSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Retry, assign, resolve or ignore many exceptions under one reason. Each is done on its own:
        ``done`` lists those done, ``refused`` the others with why (an id outside your scope: "No such
        exception"); a financial change still waiting for its second approver refuses its exception."""
        data = self.input(BulkInputSerializer, request)
        result = exceptions_bulk(
            user=self.user,
            item_ids=data["ids"],
            action=data["action"],
            reason=data["reason"],
            owner_user=data.get("owner_user"),
            owner_group=data.get("owner_group"),
        )
        return Response(BulkResultSerializer(result).data)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return ExceptionItemSerializer if self.action == "list" else ExceptionDetailSerializer

    def _done(self, item: ExceptionItem) -> Response:
        return Response(ExceptionDetailSerializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_retry(item=item, user=self.user, reason=self.reason(request))
        return self._done(item)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve what the exception asks (a cancellation): its retry runs in a worker."""
        item = self.get_object()
        actions.exception_approve(item=item, user=self.user, reason=self.reason(request))
        return self._done(item)

    @extend_schema(request=OverrideInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def edit(self, request: Request, pk: str) -> Response:
        """Propose a new value of a field; a financial field waits for a finance approver."""
        item = self.get_object()
        data = self.input(OverrideInputSerializer, request)
        actions.exception_value_edit(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=AcceptOtherInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Take the other system's value of a field."""
        item = self.get_object()
        data = self.input(AcceptOtherInputSerializer, request)
        actions.exception_accept_other_value(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_resolve(item=item, user=self.user, reason=self.reason(request))
        return self._done(item)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_ignore(item=item, user=self.user, reason=self.reason(request))
        return self._done(item)

    @extend_schema(request=AssignInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Give the exception to one person or one group."""
        item = self.get_object()
        data = self.input(AssignInputSerializer, request)
        actions.exception_assign(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        actions.exception_escalate(item=item, user=self.user, reason=self.reason(request))
        return self._done(item)

    @extend_schema(request=CommentInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        text = self.input(CommentInputSerializer, request)["text"]
        actions.exception_comment(item=item, user=self.user, text=text)
        return self._done(item)

    @extend_schema(request=MatchDecisionInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: str) -> Response:
        """Answer a duplicate suspect: link one listed NetSuite candidate, or create a new record."""
        item = self.get_object()
        data = self.input(MatchDecisionInputSerializer, request)
        exception_match_decide(item=item, user=self.user, **data)
        return self._done(item)

    @extend_schema(request=TagInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def tag(self, request: Request, pk: str) -> Response:
        """Put a tag on the exception (made on first use)."""
        item = self.get_object()
        tags.exception_tag_add(
            item=item, user=self.user, name=self.input(TagInputSerializer, request)["name"]
        )
        return self._done(item)

    @extend_schema(request=TagInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"])
    def untag(self, request: Request, pk: str) -> Response:
        """Take a tag off the exception."""
        item = self.get_object()
        name = self.input(TagInputSerializer, request)["name"]
        tags.exception_tag_remove(item=item, user=self.user, name=name)
        return self._done(item)

    @extend_schema(responses=PayloadFieldSerializer(many=True))
    @action(detail=True, methods=["get"])
    def payload(self, request: Request, pk: str) -> Response:
        """The next retry's payload, field by field: sent, next, and whether a change waits for approval."""
        item = self.get_object()
        return Response([asdict(row) for row in retry_payload.next_retry_payload(item=item)])

    @extend_schema(request=PayloadEditInputSerializer, responses=DETAIL)
    @payload.mapping.post
    def payload_edit(self, request: Request, pk: str) -> Response:
        """Set values the next retry sends, without retrying; a financial field waits for a finance
        approver who is not you. All or nothing."""
        item = self.get_object()
        data = self.input(PayloadEditInputSerializer, request)
        retry_payload.exception_payload_edit(
            item=item, user=self.user, changes=data["changes"], reason=data["reason"]
        )
        return self._done(item)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"], url_path="cancel-retry")
    def cancel_retry(self, request: Request, pk: str) -> Response:
        """Cancel the retry waiting for a worker (one already started cannot be)."""
        item = self.get_object()
        retry_payload.exception_retry_cancel(item=item, user=self.user, reason=self.reason(request))
        return self._done(item)

    def _override(self, override_id: str) -> ExceptionOverride:
        return get_object_or_404(self.get_object().overrides.all(), pk=override_id)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"], url_path=r"overrides/(?P<override_id>[0-9]+)/approve")
    def override_approve(self, request: Request, pk: str, override_id: str) -> Response:
        """Approve a proposed change of a financial field (not the proposer's own)."""
        override = self._override(override_id)
        actions.exception_override_approve(override=override, user=self.user, reason=self.reason(request))
        return self._done(override.item)

    @extend_schema(request=ReasonInputSerializer, responses=DETAIL)
    @action(detail=True, methods=["post"], url_path=r"overrides/(?P<override_id>[0-9]+)/reject")
    def override_reject(self, request: Request, pk: str, override_id: str) -> Response:
        override = self._override(override_id)
        actions.exception_override_reject(override=override, user=self.user, reason=self.reason(request))
        return self._done(override.item)


router = SimpleRouter()
router.register("exceptions", ExceptionViewSet, basename="exception")
router.register("exception-categories", ExceptionCategoryViewSet, basename="exception-category")
router.register("subsidiaries", SubsidiaryViewSet, basename="subsidiary")
router.register("netsuite-lists", NetSuiteListValueViewSet, basename="netsuite-list")
urlpatterns = [*router.urls, *group_urlpatterns, *policy_urlpatterns]
