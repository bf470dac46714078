"""Forms of the sync area. Secrets are write-only: their inputs are never filled from what is stored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from sync.connections.models import Connection
from sync.connections.selectors import connections_visible
from sync.connections.services import EDITABLE_FIELDS, SECRET_FIELDS, auth_method_problem

SECRET_LABELS: dict[str, str] = {
    "password": "Password",
    "security_token": "Security token",
    "client_secret": "Client secret / consumer secret (Salesforce)",
    "consumer_secret": "Consumer secret (NetSuite)",
    "token_id": "Token id (NetSuite)",
    "token_secret": "Token secret (NetSuite)",
    "private_key_pem": "Private key (PEM), for JWT bearer or NetSuite M2M",
}
SECRET_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(name for names in SECRET_FIELDS.values() for name in names)
)


def _form_field(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # vendor APIs are HTTPS only
    return field.formfield(**kwargs)


class ConnectionForm(forms.ModelForm):
    """The connection's settings plus one input per secret; a blank secret keeps the stored one."""

    class Meta:
        model = Connection
        fields = list(EDITABLE_FIELDS)
        widgets = {"ca_bundle": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})}
        formfield_callback = _form_field

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = set(self.instance.secret_keys or []) if self.instance.pk else set()
        for name in SECRET_NAMES:
            # render_value=False and no initial: the stored value never travels back to a browser.
            widget: forms.Widget = (
                forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})
                if name == "private_key_pem"
                else forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            )
            self.fields[f"secret_{name}"] = forms.CharField(
                label=SECRET_LABELS.get(name, name),
                required=False,
                strip=name != "private_key_pem",
                widget=widget,
                help_text="set (leave blank to keep)" if name in stored else "not set",
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        problem = auth_method_problem(
            kind=cleaned.get("kind", ""), auth_method=cleaned.get("auth_method", "")
        )
        if problem:
            self.add_error("auth_method", problem)
        return cleaned

    def _post_clean(self) -> None:
        # The model's own check would repeat the auth/kind problem as an unreadable constraint name.
        if "auth_method" not in self.errors:
            super()._post_clean()  # type: ignore[misc]

    def settings_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    def secrets_data(self) -> dict[str, str]:
        """The secrets typed in this time that the chosen auth method uses (others are ignored)."""
        wanted = SECRET_FIELDS.get(self.cleaned_data.get("auth_method") or "", ())
        return {
            name: self.cleaned_data[f"secret_{name}"]
            for name in wanted
            if self.cleaned_data[f"secret_{name}"]
        }


class ConnectionChoicesForm(forms.Form):
    """A form whose connection choices are the ones the person may see (their integrations' when they are
    limited to some): pass ``user``; without one (a command, a test) every connection is offered."""

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is None:
            return
        visible = connections_visible(user=user).values("pk")
        for field in self.fields.values():
            if not isinstance(field, forms.ModelChoiceField) or field.queryset is None:
                continue
            if field.queryset.model is Connection:
                field.queryset = field.queryset.filter(pk__in=visible)
