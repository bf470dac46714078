"""The console's forms: start a backfill, set the Closed Won flow's trigger, push one opportunity now."""

from __future__ import annotations

from typing import Any

from django import forms

from sync.connections.forms import ConnectionChoicesForm
from sync.connections.models import Connection, ConnectionKind
from sync.pipeline.models import DEFAULT_CHECKBOX_FIELD, TriggerKind


class BackfillForm(ConnectionChoicesForm):
    since = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="opportunities the flow's trigger selects, changed since",
    )
    salesforce = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True)
    )
    netsuite = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    )


class FlowTriggerForm(forms.Form):
    """The Closed Won flow's trigger (checked against Salesforce by the service before it is saved)."""

    trigger = forms.ChoiceField(choices=TriggerKind.choices, widget=forms.RadioSelect)
    checkbox_field = forms.CharField(
        max_length=80,
        required=False,
        initial=DEFAULT_CHECKBOX_FIELD,
        help_text="Checkbox trigger: a checkbox field on Opportunity (API name)",
    )
    condition = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Condition trigger: a SOQL WHERE condition on Opportunity, e.g. "
        "StageName = 'Closed Won' AND Amount > 10000",
    )
    reason = forms.CharField(max_length=500, required=False)


class PushForm(ConnectionChoicesForm):
    """One opportunity to send to NetSuite now (its connections default to the listeners' one pair)."""

    opportunity_id = forms.CharField(max_length=18, label="Opportunity Id")
    salesforce = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True).order_by("name"),
        required=False,
    )
    netsuite = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True).order_by("name"),
        required=False,
    )
    reason = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The flows page also holds the trigger form: its own ids keep each label on its own field.
        kwargs.setdefault("auto_id", "push_%s")
        super().__init__(*args, **kwargs)
