"""Subsidiary scope: a finance approver for one subsidiary sees and acts on that subsidiary only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from sync.exceptions.actions import exception_resolve
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant, subsidiary_scope_revoke
from sync.exceptions.selectors import exceptions_for_user
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_subsidiaries() -> tuple[int, int, int]:
    a = raise_sample(key="a", subsidiary="SUB-A")
    b = raise_sample(key="b", subsidiary="SUB-B")
    none = raise_sample(key="none", subsidiary=None)
    return a.pk, b.pk, none.pk


def _visible(user: User) -> set[int]:
    return set(exceptions_for_user(User.objects.get(pk=user.pk)).values_list("pk", flat=True))


def test_it_scopes_a_finance_approver_to_the_granted_subsidiary(
    finance: User, finance_client: Client, two_subsidiaries: tuple[int, int, int]
) -> None:
    a, b, _ = two_subsidiaries
    assert _visible(finance) == set()  # the Finance role alone reaches no subsidiary
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    assert _visible(finance) == {a}

    assert finance_client.get(f"/exceptions/{a}/").status_code == 200
    assert finance_client.get(f"/exceptions/{b}/").status_code == 404
    assert finance_client.post(f"/exceptions/{b}/resolve/", {"reason": "x"}).status_code == 404
    listing = finance_client.get("/exceptions/").content.decode()
    assert f'id="exception-{a}"' in listing and f'id="exception-{b}"' not in listing
    with pytest.raises(PermissionDenied):  # the service checks too, whoever calls it
        exception_resolve(item=ExceptionItem.objects.get(pk=b), user=User.objects.get(pk=finance.pk))


def test_it_shows_everything_to_a_holder_of_the_global_grant(
    finance: User, revops: User, auditor: User, two_subsidiaries: tuple[int, int, int]
) -> None:
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    assert _visible(finance) == set(two_subsidiaries)
    assert _visible(revops) == set(two_subsidiaries)  # RevOps and Auditor roles hold it
    assert _visible(auditor) == set(two_subsidiaries)
    subsidiary_scope_revoke(holder=finance, subsidiary=None)
    assert _visible(finance) == set()


def test_it_scopes_through_a_group_grant(finance: User, two_subsidiaries: tuple[int, int, int]) -> None:
    group = Group.objects.create(name="Finance EMEA")
    finance.groups.add(group)
    subsidiary_scope_grant(holder=group, subsidiary=Subsidiary.objects.get(key="SUB-B"))
    assert _visible(finance) == {two_subsidiaries[1]}


def test_it_shows_nothing_to_an_outsider_even_with_a_grant(
    outsider: User, two_subsidiaries: tuple[int, int, int]
) -> None:
    subsidiary_scope_grant(holder=outsider, subsidiary=None)
    assert _visible(outsider) == set()


def test_it_lets_the_demo_finance_persona_reach_every_subsidiary(
    two_subsidiaries: tuple[int, int, int],
) -> None:
    call_command("seed_personas", quiet_logins=True)
    assert _visible(User.objects.get(username="finance")) == set(two_subsidiaries)
