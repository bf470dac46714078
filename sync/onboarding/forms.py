"""The console's forms for integrations: create one, change one, confirm an onboarding's apply."""

from __future__ import annotations

from typing import Any

from django import forms

from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.integrations.models import Integration


def _connections(kind: str, *, sandbox: bool = False, required: bool = True) -> forms.ModelChoiceField[Any]:
    found = Connection.objects.filter(kind=kind, is_active=True)
    if sandbox:
        found = found.filter(environment=ConnectionEnvironment.SANDBOX)
    return forms.ModelChoiceField(queryset=found, required=required, to_field_name="name")


class IntegrationCreateForm(forms.Form):
    name = forms.SlugField(max_length=80, help_text="Used by commands and the API, e.g. acme")
    label = forms.CharField(max_length=200, required=False, help_text="e.g. Acme (acquired 2026)")
    namespace = forms.CharField(
        max_length=10,
        help_text="Prefix of the external ids it writes: 2-10 upper-case letters and digits, e.g. ACQ",
    )
    salesforce = _connections(ConnectionKind.SALESFORCE)
    netsuite = _connections(ConnectionKind.NETSUITE)
    sandbox_salesforce = _connections(ConnectionKind.SALESFORCE, sandbox=True, required=False)
    sandbox_netsuite = _connections(ConnectionKind.NETSUITE, sandbox=True, required=False)
    copy_from = forms.ModelChoiceField(
        queryset=Integration.objects.filter(is_active=True),
        required=False,
        to_field_name="name",
        help_text="Start with draft copies of this integration's mappings, lookups and rules",
    )
    org_id = forms.CharField(
        max_length=18, required=False, label="Salesforce org id", help_text="The org its listener accepts"
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class IntegrationEditForm(forms.Form):
    label = forms.CharField(max_length=200, required=False)
    namespace = forms.CharField(max_length=10, required=False)
    salesforce_connection = _connections(ConnectionKind.SALESFORCE, required=False)
    netsuite_connection = _connections(ConnectionKind.NETSUITE, required=False)
    sandbox_salesforce_connection = _connections(ConnectionKind.SALESFORCE, sandbox=True, required=False)
    sandbox_netsuite_connection = _connections(ConnectionKind.NETSUITE, sandbox=True, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    status_fields = forms.JSONField(
        required=False,
        label="Sync status fields",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            'Where this org and account keep the sync status, over the install\'s: {"salesforce": '
            '{"Opportunity": {"status": "ERP_Sync_Status__c", "message": "ERP_Sync_Error__c", "time": '
            '"ERP_Last_Synced__c"}}}. Empty: the install\'s fields.'
        ),
    )

    def clean_status_fields(self) -> Any:
        return self.cleaned_data.get("status_fields") or {}

    @classmethod
    def for_integration(cls, integration: Integration, data: Any = None) -> IntegrationEditForm:
        initial = {
            "label": integration.label,
            "namespace": integration.namespace,
            "notes": integration.notes,
            "status_fields": integration.status_fields or None,
            **{
                name: getattr(integration, name)
                for name in (
                    "salesforce_connection",
                    "netsuite_connection",
                    "sandbox_salesforce_connection",
                    "sandbox_netsuite_connection",
                )
            },
        }
        form = cls(data, initial=initial)
        if integration.is_primary:
            form.fields["namespace"].disabled = True
        return form


class OnboardingApplyForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have reviewed the plan: link the records (shared ones keep their external id)",
        help_text="Required: applying writes to NetSuite.",
    )
