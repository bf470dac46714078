"""Forms of the notification pages; the services validate again (the API and commands call them too)."""

from __future__ import annotations

from typing import Any

from django import forms

from sync.integrations.models import Integration
from sync.notifications.models import ChannelKind, EventKind
from sync.notifications.services import POLICY_LIMITS

EVENT_CHOICES = EventKind.choices


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=80)
    kind = forms.ChoiceField(choices=ChannelKind.choices, label="Channel")
    webhook_url = forms.CharField(
        required=False,
        max_length=1000,
        strip=True,
        label="Incoming webhook URL",
        widget=forms.PasswordInput(render_value=False),
        help_text="Slack or Teams: the webhook's https:// URL (stored encrypted, never shown back). "
        "Leave empty to keep the current one.",
    )
    email_to = forms.CharField(
        required=False, max_length=500, label="E-mail addresses", help_text="E-mail: comma-separated"
    )
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.none(), required=False, empty_label="All integrations"
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, label="Tell it about"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, integrations: Any = None, **kwargs: Any) -> None:
        # The settings page also holds the channel form (an integration too): distinct ids, distinct labels.
        kwargs.setdefault("auto_id", "preference_%s")
        super().__init__(*args, **kwargs)
        if integrations is not None:
            field = self.fields["integration"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
            field.queryset = integrations


class PolicyForm(forms.Form):
    delay_seconds = forms.IntegerField(
        min_value=POLICY_LIMITS["delay_seconds"][0],
        max_value=POLICY_LIMITS["delay_seconds"][1],
        label="Delay (seconds)",
        help_text="A problem that clears within this time (a quick retry) notifies nobody",
    )
    failure_rate_percent = forms.IntegerField(min_value=1, max_value=100, label="Failure rate threshold (%)")
    failure_rate_min_records = forms.IntegerField(
        min_value=1, label="Minimum records", help_text="Fewer records tried in the window: no alert"
    )
    failure_rate_window_minutes = forms.IntegerField(
        min_value=POLICY_LIMITS["failure_rate_window_minutes"][0],
        max_value=POLICY_LIMITS["failure_rate_window_minutes"][1],
        label="Window (minutes)",
    )


class PreferenceForm(forms.Form):
    event = forms.ChoiceField(choices=EVENT_CHOICES)
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.none(), required=False, empty_label="All integrations"
    )
    console = forms.BooleanField(required=False, label="In the console")
    email = forms.BooleanField(required=False, label="By e-mail")

    def __init__(self, *args: Any, integrations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if integrations is not None:
            field = self.fields["integration"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
            field.queryset = integrations


class ResendForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)
