"""The audit trail's API filters, read by the same selector as the audit browser."""

from __future__ import annotations

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from core.api.filtering import SelectorFilterSet
from governance.audit_search import AuditFilters, audit_entries_filtered
from governance.models import AuditEntry, AuditFlag


class AuditEntryFilterSet(SelectorFilterSet):
    actor = django_filters.NumberFilter(method="skip", help_text="The actor's user id")
    model = django_filters.CharFilter(method="skip", help_text='"app_label.model", e.g. sync.connection')
    object_pk = django_filters.CharFilter(method="skip", max_length=255)
    action = django_filters.TypedChoiceFilter(
        choices=AuditEntry.Action.choices, coerce=int, empty_value=None, method="skip"
    )
    date_from = django_filters.DateFilter(method="skip")
    date_to = django_filters.DateFilter(method="skip", help_text="Inclusive")
    cid = django_filters.CharFilter(method="skip", max_length=255, help_text="Correlation id")
    flag = django_filters.ChoiceFilter(
        choices=AuditFlag.choices, method="skip", help_text="Only entries flagged for review"
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if self.request is None:  # only ever used by the API's filter backend, which passes it
            return queryset.none()
        data = self.form.cleaned_data
        content_type_id = None
        if data.get("model"):
            app_label, _, model = data["model"].partition(".")
            found = ContentType.objects.filter(app_label=app_label, model=model).first()
            if found is None:
                return queryset.none()
            content_type_id = found.pk
        filters = AuditFilters(
            actor_id=int(data["actor"]) if data.get("actor") is not None else None,
            content_type_id=content_type_id,
            object_pk=(data.get("object_pk") or "").strip(),
            action=data.get("action"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            cid=(data.get("cid") or "").strip(),
            flag=data.get("flag") or "",
        )
        return audit_entries_filtered(user=self.request.user, filters=filters)
