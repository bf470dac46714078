"""The console's form to start a backfill."""

from __future__ import annotations

from django import forms

from sync.connections.models import Connection, ConnectionKind


class BackfillForm(forms.Form):
    since = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="won opportunities changed since"
    )
    salesforce = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True)
    )
    netsuite = forms.ModelChoiceField(
        queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    )
