"""Forms of the exception queue: the list's filters and one small form per action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.http import QueryDict

from core.json_input import json_loads_bounded
from sync.exceptions.bulk import BULK_ACTIONS, BULK_MAX
from sync.exceptions.models import ExceptionCategory, ExceptionStatus, Severity
from sync.exceptions.queue import (
    DEFAULT_SORT,
    SEARCH_MAX,
    SORTS,
    QueueFilters,
    flow_choices,
    queue_subsidiaries,
)
from sync.exceptions.selectors import AGE_BUCKETS
from sync.exceptions.tags import tags_in_use
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.matching.models import MatchChoice

STATUS_CHOICES = [("active", "Active"), ("", "Any"), *ExceptionStatus.choices]
SYSTEM_NAMES = {"salesforce": "Salesforce", "netsuite": "NetSuite"}


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system.replace("_", " ").title())


def value_choice_label(system: str) -> str:
    """The words on a "take this system's value" choice. Concord writes Salesforce's data into NetSuite:
    Salesforce's value is kept, NetSuite's is accepted in its place."""
    name = system_name(system)
    return f"Keep {name}'s value" if system == "salesforce" else f"Accept {name}'s value"


class ExceptionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, initial="active")
    category = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(choices=[("", "Any"), *Severity.choices], required=False)
    owner = forms.CharField(required=False, max_length=150, help_text='"me", a username or a group')
    overdue = forms.BooleanField(required=False)
    age = forms.ChoiceField(
        choices=[("", "Any"), *((bucket.key, bucket.label) for bucket in AGE_BUCKETS)], required=False
    )
    since = forms.DateField(required=False, help_text="First seen on or after (YYYY-MM-DD)")
    integration = forms.ChoiceField(required=False)
    flow = forms.ChoiceField(required=False)
    subsidiary = forms.ChoiceField(required=False)
    tag = forms.ChoiceField(required=False)
    q = forms.CharField(
        required=False, max_length=SEARCH_MAX, label="Search", help_text="Record id, name or message"
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            (f"{prefix}{key}", f"{sort.label}{suffix}")
            for key, sort in SORTS.items()
            for prefix, suffix in (("", ""), ("-", " (reversed)"))
        ],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and "status" not in self.data and isinstance(self.data, QueryDict):
            # A link without a status (a search, a dashboard link) means the default, and says so.
            data = self.data.copy()
            data["status"] = "active"
            self.data = data
        # The integrations the person may see (every one without ``user``); the page shows the choice
        # only when there are several.
        integration_field = self.fields["integration"]
        if isinstance(integration_field, forms.ChoiceField):
            integration_field.choices = integration_choices(user)
        categories = ExceptionCategory.objects.order_by("name").values_list("key", "name")
        category_field = self.fields["category"]
        if isinstance(category_field, forms.ChoiceField):
            category_field.choices = [("", "Any"), *categories]
        flow_field = self.fields["flow"]
        if isinstance(flow_field, forms.ChoiceField):
            flow_field.choices = [("", "Any"), *flow_choices()]
        subsidiary_field = self.fields["subsidiary"]
        if isinstance(subsidiary_field, forms.ChoiceField):
            subsidiaries = queue_subsidiaries(user) if user is not None else []
            subsidiary_field.choices = [("", "Any"), *((s.key, s.name or s.key) for s in subsidiaries)]
        tag_field = self.fields["tag"]
        if isinstance(tag_field, forms.ChoiceField):
            in_use = tags_in_use(user=user).values_list("name", flat=True) if user is not None else []
            tag_field.choices = [("", "Any"), *((name, name) for name in in_use)]

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters(status="active")
        data = self.cleaned_data
        status = data["status"] if "status" in self.data else "active"
        return QueueFilters(
            status=status,
            category=data["category"],
            severity=data["severity"],
            owner=data["owner"].strip(),
            overdue=data["overdue"],
            age=data["age"],
            since=data["since"],
            integration=data["integration"],
            flow=data["flow"],
            subsidiary=data["subsidiary"],
            tag=data["tag"],
            search=data["q"].strip(),
            sort=data["sort"] or DEFAULT_SORT,
        )

    @property
    def page_number(self) -> int:
        return (self.cleaned_data.get("page") or 1) if self.is_valid() else 1

    def query_without(self, *names: str) -> str:
        """The filters as a query string without ``names`` (the links to other pages and sorts)."""
        query = self.data.copy() if hasattr(self.data, "copy") else {}
        for name in names:
            query.pop(name, None)
        return str(query.urlencode()) if hasattr(query, "urlencode") else ""


class ExceptionIdsField(forms.Field):
    """Exception numbers ticked in the table (any number: the service checks each against the scope)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one exception.",
        "invalid": "Not an exception number: %(value)s.",
    }

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids = []
        for raw in values:
            text = str(raw).strip().removeprefix("#")
            if not text.isdigit():
                raise forms.ValidationError(self.error_messages["invalid"], params={"value": raw})
            ids.append(int(text))
        if len(ids) > BULK_MAX:
            raise forms.ValidationError(f"Select at most {BULK_MAX} exceptions at once (narrow the filter).")
        return ids


class BulkForm(forms.Form):
    """The selection's action: the exceptions ticked in the table, one action, one reason."""

    ids = ExceptionIdsField(label="Exceptions")
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    reason = forms.CharField(max_length=2000, help_text="Recorded on every exception of the selection")
    owner = forms.CharField(required=False, max_length=150, help_text="Assign: a username or a group name")


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MatchDecisionForm(ReasonForm):
    """A duplicate suspect's answer: link one candidate, or create a new record."""

    choice = forms.ChoiceField(choices=MatchChoice.choices)
    netsuite_id = forms.CharField(required=False, max_length=40)


class OverrideForm(ReasonForm):
    field = forms.CharField(max_length=200)
    new_value = forms.CharField(
        required=False, max_length=2000, help_text='JSON (42, true, "text") or plain text'
    )

    def clean_new_value(self) -> Any:
        raw = self.cleaned_data["new_value"]
        try:
            return json_loads_bounded(raw)
        except ValueError:
            return raw


class AcceptOtherForm(ReasonForm):
    field = forms.CharField(max_length=200)
    system = forms.ChoiceField(choices=[(key, value_choice_label(key)) for key in SYSTEM_NAMES])


class AssignForm(ReasonForm):
    owner = forms.CharField(max_length=150, help_text="A username or a group name")


class CommentForm(forms.Form):
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class TagForm(forms.Form):
    name = forms.CharField(max_length=40, label="Tag", help_text="A short name, e.g. waiting on customer")


class PayloadEditForm(ReasonForm):
    """The next retry's values as the page shows them: rows ``field_N`` / ``value_N`` with ``shown_N`` (the
    text the page showed); a row whose value was changed is a change (JSON or plain text, as in an edit).
    ``new_field`` / ``new_value`` add a field the failing write did not name."""

    new_field = forms.CharField(required=False, max_length=200, label="Another field")
    new_value = forms.CharField(required=False, max_length=2000, label="Its value")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        changes: dict[str, Any] = {}
        for key in self.data:
            if not key.startswith("field_"):
                continue
            index = key.removeprefix("field_")
            field = str(self.data.get(key, "")).strip()
            value = str(self.data.get(f"value_{index}", ""))
            if field and value != str(self.data.get(f"shown_{index}", "")):
                changes[field] = _value_parsed(value)
        new_field = (cleaned.get("new_field") or "").strip()
        if new_field:
            changes[new_field] = _value_parsed(cleaned.get("new_value") or "")
        if not changes:
            raise forms.ValidationError(
                "Change a value first: nothing differs from the next retry's payload."
            )
        cleaned["changes"] = changes
        return cleaned


def _value_parsed(raw: str) -> Any:
    if len(raw) > 2000:
        raise forms.ValidationError("A value has at most 2000 characters.")
    try:
        return json_loads_bounded(raw)
    except ValueError:
        return raw


def integration_choices(user: User | AnonymousUser | None) -> list[tuple[str, str]]:
    """ "Any", then the integrations ``user`` may see (every one without ``user``) by name, the primary
    first: the integration filter of the queue and of its groups."""
    integrations = integration_scope(user).integrations() if user is not None else Integration.objects.all()
    return [("", "Any"), *((i.name, i.label or i.name) for i in integrations.order_by("-is_primary", "name"))]
