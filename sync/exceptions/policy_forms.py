"""Forms of the exception policy pages: a category, one escalation level, the ticket endpoint.

They read what people type (durations like ``4h``, an owner by group name or username) into the values
the services take; the services check everything again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError

from sync.exceptions.models import ExceptionCategory, Severity
from sync.exceptions.policy import duration_parse, duration_text

OWNER_HELP = "A group's name or a username; empty: nobody"


def owner_parse(text: str) -> tuple[Group | None, User | None]:
    """A group by name, else an active user by username (groups first: policies usually name teams)."""
    name = text.strip()
    if not name:
        return None, None
    group = Group.objects.filter(name=name).first()
    if group is not None:
        return group, None
    user = User.objects.filter(username=name, is_active=True).first()
    if user is not None:
        return None, user
    raise ValidationError(f"No group or active user is called {name!r}.")


class DurationInput(forms.CharField):
    def __init__(self, *, label_text: str, **kwargs: Any) -> None:
        self.label_text = label_text
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", "e.g. 4h, 1d 12h, 30m")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> timedelta | None:
        text = super().clean(value)
        return duration_parse(text, label=self.label_text) if text else None


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=120)
    sla = DurationInput(label="SLA", label_text="SLA")
    default_severity = forms.ChoiceField(choices=Severity.choices, label="Default severity")
    owner = forms.CharField(required=False, max_length=150, label="Default owner", help_text=OWNER_HELP)
    auto_ticket = forms.BooleanField(required=False, label="Open a ticket for each new exception")
    runbook = forms.CharField(
        required=False,
        max_length=20000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text, shown on every exception of this category",
    )

    @classmethod
    def for_category(cls, category: ExceptionCategory) -> CategoryForm:
        owner = category.default_owner_group or category.default_owner_user
        return cls(
            initial={
                "name": category.name,
                "sla": duration_text(category.sla),
                "default_severity": category.default_severity,
                "owner": owner.name if isinstance(owner, Group) else owner.get_username() if owner else "",
                "auto_ticket": category.auto_ticket,
                "runbook": category.runbook,
            }
        )

    def clean_owner(self) -> tuple[Group | None, User | None]:
        return owner_parse(self.cleaned_data["owner"])

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of :func:`sync.exceptions.policy.category_update`."""
        data = self.cleaned_data
        group, user = data["owner"]
        return {
            "name": data["name"],
            "sla": data["sla"],
            "default_severity": data["default_severity"],
            "default_owner_group": group,
            "default_owner_user": user,
            "auto_ticket": data["auto_ticket"],
            "runbook": data["runbook"],
        }


class LevelForm(forms.Form):
    owner = forms.CharField(max_length=150, help_text="A group's name or a username")
    duration = DurationInput(label="Time at this level", label_text="level's duration")
    position = forms.IntegerField(required=False, min_value=1, help_text="1 = first; empty: last")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The category's page also holds the category form (an owner too): distinct ids, distinct labels.
        kwargs.setdefault("auto_id", "level_%s")
        super().__init__(*args, **kwargs)

    def clean_owner(self) -> tuple[Group | None, User | None]:
        group, user = owner_parse(self.cleaned_data["owner"])
        if group is None and user is None:
            raise ValidationError("A level needs an owner: a group's name or a username.")
        return group, user


class LevelMoveForm(forms.Form):
    position = forms.IntegerField(min_value=1)
    to = forms.IntegerField(min_value=1)


class LevelRemoveForm(forms.Form):
    position = forms.IntegerField(min_value=1)


class TicketEndpointForm(forms.Form):
    url = forms.CharField(
        required=False, max_length=500, label="URL", help_text="Empty: EXCEPTION_TICKET_WEBHOOK_URL"
    )
    secret = forms.CharField(
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current one; never shown back",
    )
    clear_secret = forms.BooleanField(required=False, label="Forget the saved secret (use the environment's)")
