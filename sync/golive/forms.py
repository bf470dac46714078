"""The console's forms of the go-live assistant: start a scan, confirm its links."""

from __future__ import annotations

from django import forms

from sync.connections.forms import ConnectionChoicesForm
from sync.connections.models import Connection, ConnectionKind


class GoLiveStartForm(ConnectionChoicesForm):
    salesforce = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True)
    )
    netsuite = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    )


class GoLiveApplyForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have reviewed the matches: write the Salesforce ids to NetSuite",
        help_text="Required: applying writes to NetSuite.",
    )
