"""The form that makes a listener: the pair of connections it syncs and, for a webhook, its HMAC key."""

from __future__ import annotations

from django import forms

from sync.connections.forms import ConnectionChoicesForm
from sync.connections.models import Connection, ConnectionKind
from sync.pipeline.models import ListenerKind


class ListenerForm(ConnectionChoicesForm):
    name = forms.SlugField(max_length=80)
    kind = forms.ChoiceField(choices=ListenerKind.choices, initial=ListenerKind.OUTBOUND_MESSAGE)
    salesforce_connection = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True).order_by("name")
    )
    netsuite_connection = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True).order_by("name")
    )
    allowed_org_id = forms.CharField(max_length=18, required=False, label="Salesforce org id")
    signing_secret = forms.CharField(
        max_length=500, required=False, strip=False, widget=forms.PasswordInput, label="Webhook signing key"
    )


class ListenerTestForm(forms.Form):
    url = forms.CharField(
        max_length=2000,
        label="The listener's URL",
        help_text="As configured in Salesforce (or the webhook sender); Concord keeps only a hash of it.",
        widget=forms.TextInput(attrs={"size": 80, "autocomplete": "off", "spellcheck": "false"}),
    )
