"""Filters whose values a console selector applies all at once (the queue's, the audit browser's)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet


class SelectorFilterSet(django_filters.FilterSet):
    """Declared filters (``method="skip"``) give the schema its parameters and validate them; the
    subclass's ``filter_queryset`` hands the cleaned values to the console's selector, so the API filters
    exactly as the page does."""

    def skip(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset
