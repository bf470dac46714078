from __future__ import annotations

from django import forms

from governance.roles import ROLES


class UserRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=[(role.name, role.name) for role in ROLES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class UserActiveForm(forms.Form):
    is_active = forms.BooleanField(required=False)
