"""The operator's generic e-mail domains: added and removed by RevOps (audited, with the reason) from the
console, the API and the command; bad input is refused with a clear message and changes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from governance.models import AuditEntry
from sync.integrations.access import integration_access_grant
from sync.integrations.selectors import primary_integration
from sync.matching.domains import generic_domain_add, generic_domain_remove, generic_email_domains
from sync.matching.models import GenericEmailDomain
from tests.api_support import token_client

pytestmark = pytest.mark.django_db


def test_it_adds_and_removes_a_domain_with_one_audit_entry_each(revops: User) -> None:
    row = generic_domain_add(user=revops, domain=" @Mailbox.Example ", reason="regional provider")
    assert (row.domain, row.added_by, row.reason) == ("mailbox.example", revops, "regional provider")
    assert generic_email_domains() == frozenset({"mailbox.example"})
    generic_domain_remove(user=revops, domain="mailbox.example", reason="a mistake")
    assert generic_email_domains() == frozenset()
    entries = AuditEntry.objects.filter(additional_data__event__startswith="generic_domain").order_by("pk")
    assert [(e.additional_data["event"], e.additional_data["reason"], e.actor) for e in entries] == [
        ("generic_domain_add", "regional provider", revops),
        ("generic_domain_remove", "a mistake", revops),
    ]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("gmail.com", "built in"),
        ("not a domain", "is not a domain"),
        ("", "is not a domain"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(revops: User, domain: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        generic_domain_add(user=revops, domain=domain)
    assert not GenericEmailDomain.objects.exists()


def test_it_refuses_a_domain_twice_and_removing_one_not_listed(revops: User) -> None:
    generic_domain_add(user=revops, domain="mailbox.example")
    with pytest.raises(ValidationError, match="already on the list"):
        generic_domain_add(user=revops, domain="MAILBOX.example")
    with pytest.raises(ValidationError, match="not on the list"):
        generic_domain_remove(user=revops, domain="other.example")
    with pytest.raises(ValidationError, match="cannot be removed"):
        generic_domain_remove(user=revops, domain="outlook.com")
    assert GenericEmailDomain.objects.count() == 1


def test_only_an_unlimited_mapping_editor_changes_the_list(finance: User, revops: User) -> None:
    with pytest.raises(PermissionDenied):
        generic_domain_add(user=finance, domain="mailbox.example")
    # The list applies to every integration: a person limited to some may not change it.
    integration_access_grant(holder=revops, integration=primary_integration())
    with pytest.raises(PermissionDenied):
        generic_domain_add(user=revops, domain="mailbox.example")
    assert not GenericEmailDomain.objects.exists()


def test_the_page_lists_built_in_and_added_domains_and_changes_them(revops: User, finance: User) -> None:
    client = Client()
    client.force_login(revops)
    change = reverse("sync:matching-domains-change")
    answer = client.post(
        change, {"action": "add", "domain": "mailbox.example", "reason": "regional"}, follow=True
    )
    page = answer.content.decode()
    assert (
        "mailbox.example added to the generic domains" in page and "gmail.com" in page and "regional" in page
    )
    refused = client.post(change, {"action": "add", "domain": "example.com"}, follow=True).content.decode()
    assert "example.com is built in" in refused
    client.post(change, {"action": "remove", "domain": "mailbox.example", "reason": "done"})
    assert not GenericEmailDomain.objects.exists()
    reader = Client()
    reader.force_login(finance)
    assert b"Add a domain" not in reader.get(reverse("sync:matching-domains")).content
    assert reader.post(change, {"action": "add", "domain": "x.example"}).status_code == 403


def test_the_api_lists_adds_and_removes(revops: User) -> None:
    api = token_client(revops)
    url = reverse("api:generic-domain-list")
    added = api.post(
        url, {"domain": "mailbox.example", "reason": "regional"}, content_type="application/json"
    )
    assert added.status_code == 201 and added.json()["domain"] == "mailbox.example"
    rows = {row["domain"]: row for row in api.get(url).json()}
    assert rows["mailbox.example"]["built_in"] is False and rows["yahoo.com"]["built_in"] is True
    twice = api.post(url, {"domain": "mailbox.example"}, content_type="application/json")
    assert twice.status_code == 400 and "already on the list" in twice.content.decode()
    removed = api.post(
        reverse("api:generic-domain-remove"), {"domain": "mailbox.example"}, content_type="application/json"
    )
    assert removed.status_code == 204 and not GenericEmailDomain.objects.exists()


def test_the_command_lists_adds_and_removes(revops: User) -> None:
    out = io.StringIO()
    call_command(
        "generic_domain", "--add", "mailbox.example", "--as", revops.username, "--reason", "r", stdout=out
    )
    listed = io.StringIO()
    call_command("generic_domain", stdout=listed)
    assert f"mailbox.example\tadded by {revops.username}: r" in listed.getvalue()
    assert "gmail.com\tbuilt in" in listed.getvalue()
    with pytest.raises(CommandError, match="built in"):
        call_command("generic_domain", "--remove", "gmail.com", "--as", revops.username)
    with pytest.raises(CommandError, match="--as"):
        call_command("generic_domain", "--remove", "mailbox.example")
    call_command("generic_domain", "--remove", "mailbox.example", "--as", revops.username, stdout=out)
    assert not GenericEmailDomain.objects.exists()
