from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from reconciliation.models import Mismatch, ReconciliationRun
from reconciliation.services import runs_of
from sync.integrations.models import Integration


class RunFilterSet(django_filters.FilterSet):
    integration = django_filters.CharFilter(method="filter_integration", help_text="An integration's name")

    class Meta:
        model = ReconciliationRun
        fields = ["check_name", "status", "trigger"]

    def filter_integration(
        self, queryset: QuerySet[ReconciliationRun], name: str, value: str
    ) -> QuerySet[ReconciliationRun]:
        integration = Integration.objects.filter(name=value).first()
        return runs_of(integration) & queryset if integration is not None else queryset.none()


class MismatchFilterSet(django_filters.FilterSet):
    class Meta:
        model = Mismatch
        fields = ["kind", "field"]
