"""Forms of the exception group pages (:mod:`sync.exceptions.group_views`)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User

from sync.exceptions.forms import ReasonForm, integration_choices


class GroupFilterForm(forms.Form):
    """The groups page's filters; the integration is chosen from those the person may see, as in the
    queue (the API's ``?integration=`` takes a name)."""

    integration = forms.ChoiceField(required=False)
    category = forms.CharField(required=False, max_length=60, help_text="A category key")

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        integration_field = self.fields["integration"]
        if isinstance(integration_field, forms.ChoiceField):
            integration_field.choices = integration_choices(user)


class LookupDraftForm(ReasonForm):
    """The value the missing key should map to (a NetSuite internal id, say); JSON or plain text."""

    value = forms.CharField(
        max_length=500,
        help_text='What the missing key maps to: text such as 3, or JSON such as {"id": "3"}.',
    )

    def clean_value(self) -> Any:
        return lookup_value_parse(self.cleaned_data["value"])


def lookup_value_parse(raw: str) -> Any:
    """A value typed by a person: JSON when it is an object or a list, else the text itself (an internal
    id typed as 3 stays the text "3", as the lookup tables hold ids)."""
    text = raw.strip()
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}") from error
    return text
