"""Forms of the release pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User

from governance.releases import selectors
from governance.releases.models import Release, SignoffRole
from governance.releases.services import version_integration
from sync.connections.forms import ConnectionChoicesForm
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.mappings.models import LookupVersion, MappingVersion
from sync.rules.models import RuleVersion


class VersionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        approved = f", approved by {obj.approved_by}" if obj.approved_by else ""
        return f"{version_integration(obj).name} · {obj} ({obj.get_status_display().lower()}{approved})"


class ReleaseForm(forms.Form):
    """A new release: its versions, all of one integration (the chosen one, else the versions')."""

    name = forms.CharField(max_length=120)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.none(),
        required=False,
        to_field_name="name",
        empty_label="the versions' integration",
        help_text="A release carries one integration's versions, tested on that integration's sandbox pair",
    )
    mapping_versions = VersionChoice(
        queryset=MappingVersion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    rule_versions = VersionChoice(
        queryset=RuleVersion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    lookup_versions = VersionChoice(
        queryset=LookupVersion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        user: User | AnonymousUser,
        integration: Integration | None = None,
        **kwargs: Any,
    ) -> None:
        """Versions (and integrations) of the integrations ``user`` works on; of ``integration`` only
        when given."""
        super().__init__(*args, **kwargs)
        chosen: Any = self.fields["integration"]
        chosen.queryset = integration_scope(user).integrations().order_by("-is_primary", "name")
        for name, read in (
            ("mapping_versions", selectors.releasable_mapping_versions),
            ("rule_versions", selectors.releasable_rule_versions),
            ("lookup_versions", selectors.releasable_lookup_versions),
        ):
            field: Any = self.fields[name]
            field.queryset = read(user=user, integration=integration)


class ReleaseItemsForm(ReleaseForm):
    """The same choice of versions, for an existing release (its name and integration stay)."""

    def __init__(self, *args: Any, user: User | AnonymousUser, release: Release, **kwargs: Any) -> None:
        super().__init__(*args, user=user, integration=release.integration, **kwargs)
        del self.fields["name"]
        del self.fields["notes"]
        del self.fields["integration"]


class ReleaseTestForm(ConnectionChoicesForm):
    """The sandbox pair (of the release's integration) and the opportunities to sync."""

    salesforce = forms.ModelChoiceField(queryset=selectors.sandbox_connections(selectors.SALESFORCE))
    netsuite = forms.ModelChoiceField(queryset=selectors.sandbox_connections(selectors.NETSUITE))
    opportunity_ids = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Salesforce opportunity ids, separated by spaces, commas or new lines (at most 50)",
    )

    def __init__(self, *args: Any, release: Release | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if release is not None:
            for name, kind in (("salesforce", selectors.SALESFORCE), ("netsuite", selectors.NETSUITE)):
                field: Any = self.fields[name]
                field.queryset = field.queryset.filter(
                    pk__in=selectors.sandbox_connections(kind, release.integration).values("pk")
                )


class SignForm(forms.Form):
    role = forms.ChoiceField(choices=SignoffRole.choices)
    note = forms.CharField(required=False, max_length=2000)


class RollbackForm(forms.Form):
    reason = forms.CharField(max_length=2000)
