"""Query filters of the sync area's API. The exception queue's go through the console's own selector."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from core.api.filtering import SelectorFilterSet
from sync import selectors
from sync.connections.models import Connection
from sync.exceptions.forms import STATUS_CHOICES
from sync.exceptions.models import ExceptionItem, Severity
from sync.mappings.models import MappingVersion
from sync.pipeline.models import SyncJob, SyncRecord
from sync.rules.models import RuleVersion


class ConnectionFilterSet(django_filters.FilterSet):
    class Meta:
        model = Connection
        fields = ["kind", "environment", "is_active"]


class MappingVersionFilterSet(django_filters.FilterSet):
    flow = django_filters.CharFilter(field_name="flow__key", help_text="The flow's key")

    class Meta:
        model = MappingVersion
        fields = ["flow", "status"]


class RuleVersionFilterSet(django_filters.FilterSet):
    rule = django_filters.CharFilter(field_name="rule__key", help_text="The rule's key")

    class Meta:
        model = RuleVersion
        fields = ["rule", "status"]


class SyncJobFilterSet(django_filters.FilterSet):
    class Meta:
        model = SyncJob
        fields = ["status", "flow", "trigger"]


class SyncRecordFilterSet(django_filters.FilterSet):
    class Meta:
        model = SyncRecord
        fields = ["job", "status", "opportunity_id"]


class ExceptionFilterSet(SelectorFilterSet):
    """The console's queue filters (:class:`sync.selectors.ExceptionFilters`), read by the same selector.

    ``status`` defaults to "active" as on the page; ``status=`` (empty) lists every status.
    """

    status = django_filters.ChoiceFilter(
        choices=[choice for choice in STATUS_CHOICES if choice[0]], method="skip"
    )
    category = django_filters.CharFilter(method="skip", help_text="Category key")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, method="skip")
    owner = django_filters.CharFilter(method="skip", help_text='"me", a username or a group name')
    overdue = django_filters.BooleanFilter(method="skip")

    class Meta:
        model = ExceptionItem
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[ExceptionItem]) -> QuerySet[ExceptionItem]:
        if self.request is None:  # only ever used by the API's filter backend, which passes it
            return queryset.none()
        data = self.form.cleaned_data
        filters = selectors.ExceptionFilters(
            status=data.get("status") or ("" if "status" in (self.data or {}) else "active"),
            category=data.get("category") or "",
            severity=data.get("severity") or "",
            owner=(data.get("owner") or "").strip(),
            overdue=bool(data.get("overdue")),
        )
        # The selector starts again from what the user may see: the same rows as ``queryset``.
        return selectors.exception_queue(user=self.request.user, filters=filters)
