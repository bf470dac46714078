"""Forms of the exception group pages (:mod:`sync.exceptions.group_views`)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from sync.exceptions.forms import ReasonForm


class GroupFilterForm(forms.Form):
    integration = forms.CharField(required=False, max_length=100, help_text="An integration's name")
    category = forms.CharField(required=False, max_length=60, help_text="A category key")


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
