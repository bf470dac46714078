from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from core.roles import ROLES
from governance import services
from governance.access_grants import EVERY, GRANT_MODELS
from governance.audit_search import AuditFilters
from governance.middleware import AuditMiddleware
from governance.models import AccessEvent, AuditEntry, AuditFlag
from governance.sso.config import local_password_allowed
from governance.throttle import login_blocked, login_failure_count, login_failures_clear


class UserRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=[(role.name, role.name) for role in ROLES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class UserActiveForm(forms.Form):
    is_active = forms.BooleanField(required=False)


class UserInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=150, help_text="Also their username")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        choices=[(role.name, role.name) for role in ROLES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role: a person without a role sees nothing."},
    )


class GroupCreateForm(forms.Form):
    name = forms.CharField(max_length=150, help_text="e.g. Finance EMEA")


class GroupMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.order_by("username"))
    action = forms.ChoiceField(choices=[("add", "Add"), ("remove", "Remove")])


class UserAccessForm(forms.Form):
    """Grant or revoke one subsidiary, flow or integration (``target`` is its id, or "all")."""

    kind = forms.ChoiceField(
        choices=[("subsidiary", "Subsidiary"), ("flow", "Flow"), ("integration", "Integration")]
    )
    target = forms.CharField(max_length=40)
    action = forms.ChoiceField(choices=[("grant", "Grant"), ("revoke", "Revoke")])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, target = cleaned.get("kind"), cleaned.get("target")
        if kind and target and target != EVERY:
            model = GRANT_MODELS[kind]
            found = model.objects.filter(pk=int(target)).first() if target.isdigit() else None
            if found is None:
                raise ValidationError(f"No such {kind}.")
            cleaned["object"] = found
        else:
            cleaned["object"] = None
        return cleaned


class AuditFilterForm(forms.Form):
    """The audit browser's filters (GET). A field with an invalid value is shown with its error and left
    out of the filters; the valid ones still apply."""

    actor = forms.ModelChoiceField(queryset=User.objects.order_by("username"), required=False)
    model = forms.ModelChoiceField(queryset=ContentType.objects.none(), required=False)
    object_pk = forms.CharField(max_length=255, required=False, label="Object id")
    action = forms.TypedChoiceField(
        choices=[("", "any"), *AuditEntry.Action.choices], coerce=int, empty_value=None, required=False
    )
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    cid = forms.CharField(max_length=255, required=False, label="Correlation id")
    flag = forms.ChoiceField(choices=[("", "any"), *AuditFlag.choices], required=False, label="Flagged")
    before = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Models the trail follows (plus users, for access events); not a DISTINCT over a million rows.
        audited = [ContentType.objects.get_for_model(model) for model in auditlog.get_models()]
        audited_types = ContentType.objects.filter(pk__in=[ct.pk for ct in audited])
        self.fields["model"].queryset = audited_types.order_by("app_label", "model")  # type: ignore[attr-defined]

    def audit_filters(self) -> AuditFilters:
        self.is_valid()
        data = self.cleaned_data
        actor, model = data.get("actor"), data.get("model")
        return AuditFilters(
            actor_id=actor.pk if actor else None,
            content_type_id=model.pk if model else None,
            object_pk=(data.get("object_pk") or "").strip(),
            action=data.get("action"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            cid=(data.get("cid") or "").strip(),
            flag=data.get("flag") or "",
        )

    def page_before(self) -> int | None:
        self.is_valid()
        before: int | None = self.cleaned_data.get("before")
        return before


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing (and auditing) a username+address with too many recent failures."""

    throttled = False  # the page then says why, instead of "wrong password"
    passwords_off = False

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        address = AuditMiddleware._get_remote_addr(self.request) if self.request else None
        address = address or "unknown"
        if not local_password_allowed(username=username):
            self.passwords_off = True
            services.access_record(event=AccessEvent.LOGIN_REFUSED, username=username)
            raise ValidationError(
                "Password sign-in is turned off on this installation: sign in with SSO.", code="passwords_off"
            )
        if login_blocked(username=username, address=address):
            self.throttled = True
            services.access_record(event=AccessEvent.LOGIN_THROTTLED, username=username)
            raise ValidationError("Too many failed sign-in attempts. Try again later.", code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failure_count(username=username, address=address)
            raise
        login_failures_clear(username=username, address=address)
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. the script using it")
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Optional; the token is refused from then on",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
