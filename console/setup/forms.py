from __future__ import annotations

from django import forms


class FirstAdminForm(forms.Form):
    code = forms.CharField(label="Setup code", max_length=200, strip=True)
    username = forms.CharField(label="Username", max_length=150)
    email = forms.EmailField(label="E-mail")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return cleaned
