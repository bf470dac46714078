"""Forms of the release pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from governance.releases import selectors
from governance.releases.models import SignoffRole
from sync.connections.forms import ConnectionChoicesForm
from sync.mappings.models import LookupVersion, MappingVersion
from sync.rules.models import RuleVersion


class VersionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        approved = f", approved by {obj.approved_by}" if obj.approved_by else ""
        return f"{obj} ({obj.get_status_display().lower()}{approved})"


class ReleaseForm(forms.Form):
    name = forms.CharField(max_length=120)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    mapping_versions = VersionChoice(
        queryset=MappingVersion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    rule_versions = VersionChoice(
        queryset=RuleVersion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    lookup_versions = VersionChoice(
        queryset=LookupVersion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mappings: Any = self.fields["mapping_versions"]
        rules: Any = self.fields["rule_versions"]
        mappings.queryset = selectors.releasable_mapping_versions()
        rules.queryset = selectors.releasable_rule_versions()
        lookups: Any = self.fields["lookup_versions"]
        lookups.queryset = selectors.releasable_lookup_versions()


class ReleaseItemsForm(ReleaseForm):
    """The same choice of versions, for an existing release (its name stays)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["name"]
        del self.fields["notes"]


class ReleaseTestForm(ConnectionChoicesForm):
    salesforce = forms.ModelChoiceField(queryset=selectors.sandbox_connections(selectors.SALESFORCE))
    netsuite = forms.ModelChoiceField(queryset=selectors.sandbox_connections(selectors.NETSUITE))
    opportunity_ids = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Salesforce opportunity ids, separated by spaces, commas or new lines (at most 50)",
    )


class SignForm(forms.Form):
    role = forms.ChoiceField(choices=SignoffRole.choices)
    note = forms.CharField(required=False, max_length=2000)


class RollbackForm(forms.Form):
    reason = forms.CharField(max_length=2000)
