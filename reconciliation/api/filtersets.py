from __future__ import annotations

import django_filters

from reconciliation.models import Mismatch, ReconciliationRun


class RunFilterSet(django_filters.FilterSet):
    class Meta:
        model = ReconciliationRun
        fields = ["check_name", "status", "trigger"]


class MismatchFilterSet(django_filters.FilterSet):
    class Meta:
        model = Mismatch
        fields = ["kind", "field"]
