"""The role matrix: groups match core.roles, each persona can do exactly its role's part."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from core.roles import CAPABILITIES, ROLES, ROLES_BY_NAME, capability
from governance.models import AuditEntry
from governance.services import roles_sync
from tests.conftest import ALL_PERSONAS


def _group_permissions(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_it_has_one_group_per_role_with_exactly_its_permissions() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES_BY_NAME)
    for role in ROLES:
        assert _group_permissions(Group.objects.get(name=role.name)) == role.permissions


@pytest.mark.django_db
def test_it_puts_drifted_groups_back_and_changes_nothing_otherwise() -> None:
    finance = Group.objects.get(name="Finance")
    finance.permissions.clear()
    before = AuditEntry.objects.count()
    roles_sync()
    assert _group_permissions(finance) == ROLES_BY_NAME["Finance"].permissions
    assert AuditEntry.objects.count() == before + 1
    roles_sync()
    assert AuditEntry.objects.count() == before + 1


@pytest.mark.django_db  # declared, so pytest-django runs it before any transactional test flushes the roles
@pytest.mark.parametrize("username", ALL_PERSONAS)
def test_it_grants_each_persona_exactly_its_role(request: pytest.FixtureRequest, username: str) -> None:
    user: User = request.getfixturevalue(username)
    role = {"revops": "RevOps", "finance": "Finance", "admin": "Admin", "auditor": "Auditor"}.get(username)
    expected = ROLES_BY_NAME[role].permissions if role else frozenset()
    for codename in CAPABILITIES:
        assert user.has_perm(capability(codename)) is (capability(codename) in expected), codename


def test_it_keeps_the_documented_matrix_in_step_with_the_code() -> None:
    """docs/roles-and-access.md's role table is the documentation; it must say what core.roles does."""
    readme = (settings.BASE_DIR / "docs" / "roles-and-access.md").read_text()
    header = next(line for line in readme.splitlines() if line.startswith("| Permission |"))
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert columns == [role.name for role in ROLES]
    documented: dict[str, list[bool]] = {}
    for line in readme.splitlines():
        match = re.match(r"\| `(\w+)` \|(.*)\|\s*$", line)
        if match and match.group(1) in CAPABILITIES:
            documented[match.group(1)] = [cell.strip() == "yes" for cell in match.group(2).split("|")]
    assert set(documented) == set(CAPABILITIES)
    for codename, granted in documented.items():
        assert granted == [capability(codename) in role.permissions for role in ROLES], codename
