from __future__ import annotations

from django.contrib.auth.models import Group, User

from core.fields import field_fit, field_limit
from governance.models import AuditEntry


def test_it_reads_the_limit_from_the_model() -> None:
    assert field_limit(User, "username") == User._meta.get_field("username").max_length == 150
    assert field_limit(Group, "name") == 150


def test_it_cuts_only_what_does_not_fit() -> None:
    assert field_fit(User, "username", "x" * 200) == "x" * 150
    assert field_fit(User, "username", "short") == "short"


def test_a_field_without_a_limit_keeps_the_whole_value() -> None:
    assert field_limit(AuditEntry, "changes_text") is None
    assert field_fit(AuditEntry, "changes_text", "y" * 10_000) == "y" * 10_000
