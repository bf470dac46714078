"""Exceptions grouped by cause: the groups a person sees, one action for a group (retry, a lookup draft),
each member keeping its own history; the pages, the API, the command and the queue's badge."""

from __future__ import annotations

import importlib
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404
from django.template import engines
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from governance.access_grants import user_access_grant
from governance.models import AuditEntry
from sync.exceptions import group_actions, groups
from sync.exceptions.actions import exception_override_propose
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionStatus
from sync.exceptions.services import exception_raise
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import LookupEntry, VersionStatus
from sync.mappings.services.lookups import lookup_tables_seed_defaults
from sync.pipeline.problems import ExceptionScope
from tests.api_support import token_client
from tests.sync.exceptions.support import raise_sample

MISS = "customer / subsidiary / subsidiary.id: no 'FR' in lookup table 'country_to_subsidiary'"


def _miss(key: str, integration: Integration, **extra: Any) -> ExceptionItem:
    """An opportunity stopped by FR missing from ``integration``'s country table."""
    return raise_sample(
        key=key,
        title=f"Opportunity {key}: no subsidiary for FR",
        category="mapping_problem",
        vendor_code="",
        vendor_message=MISS,
        error_path="",
        mapping_row="customer/subsidiary",
        rule="",
        scope=ExceptionScope(netsuite_connection_id=None, integration_id=integration.pk),
        **extra,
    )


@pytest.fixture
def fr_group(db: None) -> list[ExceptionItem]:
    primary = primary_integration()
    lookup_tables_seed_defaults()
    items = [_miss(f"sync:1:006FR{n}", primary) for n in range(3)]
    raise_sample(key="alone", title="alone")  # another cause, a group of one
    return items


def test_the_same_missing_key_is_one_group_and_other_causes_are_not(
    fr_group: list[ExceptionItem], revops: User
) -> None:
    keys = {item.cause_key for item in ExceptionItem.objects.all()}
    assert len(keys) == 2 and all(keys)
    (group,) = groups.exception_groups(user=revops)
    assert group.size == 3 and group.retryable == 3 and group.key == fr_group[0].cause_key
    assert group.description == "No 'FR' in the lookup table country_to_subsidiary"
    assert group.lookup_miss is not None and group.lookup_miss.key == "FR"
    assert len(groups.exception_groups(user=revops, min_size=1)) == 2
    assert groups.exception_groups(user=revops, category="sync_failure") == []


def test_a_person_sees_only_the_group_members_of_their_integrations(
    fr_group: list[ExceptionItem], revops: User, admin: User
) -> None:
    acme = Integration.objects.create(name="acme", namespace="ACQ")
    acme_items = [_miss(f"sync:1:ACQ-006FR{n}", acme) for n in range(2)]
    assert acme_items[0].cause_key != fr_group[0].cause_key  # another integration's table: another cause
    user_access_grant(user=revops, kind="integration", target=acme, actor=admin)
    limited = User.objects.get(pk=revops.pk)
    (group,) = groups.exception_groups(user=limited)
    assert group.key == acme_items[0].cause_key and group.size == 2
    with pytest.raises(Http404):
        groups.exception_group_get(user=limited, key=fr_group[0].cause_key)
    with pytest.raises(Http404):
        group_actions.exception_group_retry(key=fr_group[0].cause_key, user=limited)
    assert not ExceptionItem.objects.filter(status=ExceptionStatus.IN_PROGRESS).exists()


def test_a_group_retry_retries_each_member_with_its_own_history(
    fr_group: list[ExceptionItem],
    revops: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # One member waits for a finance approval of a financial change: it keeps waiting.
    exception_override_propose(item=fr_group[2], user=revops, field="Amount", new_value=1, reason="PO")
    with django_capture_on_commit_callbacks(execute=True):
        report = group_actions.exception_group_retry(
            key=fr_group[0].cause_key, user=revops, reason="FR mapped"
        )
    assert sorted(report.retried) == sorted(item.pk for item in fr_group[:2])
    assert list(report.skipped) == [fr_group[2].pk] and "approval" in report.skipped[fr_group[2].pk]
    assert len(retry_calls) == 2
    for item in fr_group[:2]:
        item.refresh_from_db()
        assert item.status == ExceptionStatus.IN_PROGRESS
        last = item.events.order_by("-id")[0]
        assert (last.action, last.actor, last.reason) == (ExceptionAction.RETRY, revops, "FR mapped")
    assert ExceptionItem.objects.get(pk=fr_group[2].pk).status == ExceptionStatus.PENDING_APPROVAL
    entry = AuditEntry.objects.filter(additional_data__event="exception_group_retry").get()
    assert entry.actor == revops and entry.additional_data["skipped"] == [fr_group[2].pk]

    # The second day: one retry fails again (the same cause), the group is retried again.
    again = _miss(fr_group[0].dedup_key, primary_integration())
    assert again.pk == fr_group[0].pk and again.status == ExceptionStatus.OPEN
    assert again.events.order_by("-id")[0].action == ExceptionAction.RETRY_FAILED
    (group,) = groups.exception_groups(user=revops)
    assert (group.size, group.retryable) == (3, 2)  # one open, one still in progress, one waiting
    retry_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = group_actions.exception_group_retry(key=group.key, user=revops)
    assert len(retry_calls) == 2 and len(report.retried) == 2


def test_a_group_retry_needs_the_act_capability(fr_group: list[ExceptionItem], auditor: User) -> None:
    with pytest.raises(PermissionDenied):
        group_actions.exception_group_retry(key=fr_group[0].cause_key, user=auditor)


def test_the_missing_key_goes_into_a_draft_for_review(fr_group: list[ExceptionItem], revops: User) -> None:
    key = fr_group[0].cause_key
    draft = group_actions.exception_group_lookup_draft(
        key=key, user=revops, value=" 4 ", reason="FR bills from EMEA"
    )
    assert draft.version.status == VersionStatus.DRAFT and draft.version.table.name == "country_to_subsidiary"
    assert (draft.entry.key, draft.entry.value) == ("FR", "4")
    assert sorted(draft.members) == sorted(item.pk for item in fr_group)
    for item in fr_group:  # each member says where its fix waits
        note = item.events.order_by("-id")[0]
        assert note.action == ExceptionAction.COMMENTED and str(draft.version) in note.reason
        assert note.reason.startswith("FR bills from EMEA")
    assert AuditEntry.objects.filter(additional_data__event="exception_group_lookup_draft").count() == 1
    # Nothing maps with it yet: the published version still lacks FR.
    published = draft.version.table.versions.get(status=VersionStatus.PUBLISHED)
    assert not published.entries.filter(key="FR").exists()

    # The second day: a corrected value goes into the same open draft.
    later = group_actions.exception_group_lookup_draft(key=key, user=revops, value={"id": "5"})
    assert later.version.pk == draft.version.pk
    assert LookupEntry.objects.get(version=draft.version, key="FR").value == {"id": "5"}


def test_a_lookup_draft_is_refused_clearly(
    fr_group: list[ExceptionItem], revops: User, finance: User
) -> None:
    key = fr_group[0].cause_key
    with pytest.raises(ValidationError, match="Give the value 'FR'"):
        group_actions.exception_group_lookup_draft(key=key, user=revops, value="  ")
    with pytest.raises(PermissionDenied):
        group_actions.exception_group_lookup_draft(key=key, user=finance, value="4")
    other = ExceptionItem.objects.get(dedup_key="alone").cause_key
    with pytest.raises(ValidationError, match="not a key missing"):
        group_actions.exception_group_lookup_draft(key=other, user=revops, value="4")
    assert not LookupEntry.objects.filter(key="FR", version__status=VersionStatus.DRAFT).exists()


def test_the_group_pages(
    fr_group: list[ExceptionItem], revops_client: Client, auditor_client: Client
) -> None:
    key = fr_group[0].cause_key
    queue = revops_client.get(reverse("sync:exceptions"))
    assert f'href="{reverse("sync:exception-groups")}"'.encode() in queue.content
    index = revops_client.get(reverse("sync:exception-groups"))
    assert index.status_code == 200 and b"No &#x27;FR&#x27; in the lookup table" in index.content
    page = revops_client.get(reverse("sync:exception-group", kwargs={"key": key}))
    assert page.status_code == 200
    assert b"Sync these 3 now" in page.content and b"Add 'FR' to country_to_subsidiary" in page.content
    assert all(item.title.encode() in page.content for item in fr_group)
    assert (
        b"Sync these" not in auditor_client.get(reverse("sync:exception-group", kwargs={"key": key})).content
    )
    assert (
        revops_client.get(reverse("sync:exception-group", kwargs={"key": "error-nosuchgroup"})).status_code
        == 404
    )

    bad = revops_client.post(
        reverse("sync:exception-group-act", kwargs={"key": key, "action": "lookup-draft"})
    )
    assert bad.status_code == 400 and b"This field is required" in bad.content
    done = revops_client.post(
        reverse("sync:exception-group-act", kwargs={"key": key, "action": "lookup-draft"}), {"value": "4"}
    )
    entry = LookupEntry.objects.get(key="FR", version__status=VersionStatus.DRAFT)
    assert done.status_code == 302 and done["Location"] == reverse(
        "sync:mapping-lookup-version", kwargs={"version_id": entry.version_id}
    )
    retried = revops_client.post(reverse("sync:exception-group-act", kwargs={"key": key, "action": "retry"}))
    assert retried.status_code == 302
    assert ExceptionItem.objects.filter(status=ExceptionStatus.IN_PROGRESS).count() == 3


def test_the_group_api(fr_group: list[ExceptionItem], revops: User, finance: User) -> None:
    api = token_client(revops)
    key = fr_group[0].cause_key
    listed = api.get("/api/v1/exception-groups/").json()["results"]
    assert [(row["key"], row["size"], row["kind"]) for row in listed] == [(key, 3, "lookup")]
    assert listed[0]["lookup_miss"] == {"table": "country_to_subsidiary", "key": "FR"}
    detail = api.get(f"/api/v1/exception-groups/{key}/").json()
    assert sorted(row["id"] for row in detail["members"]) == sorted(item.pk for item in fr_group)
    refused = api.post(f"/api/v1/exception-groups/{key}/lookup-draft/", {}, content_type="application/json")
    assert (
        refused.status_code == 400 and "value" in refused.json()["errors"]
        if "errors" in refused.json()
        else True
    )
    assert (
        token_client(finance)
        .post(
            f"/api/v1/exception-groups/{key}/lookup-draft/", {"value": "4"}, content_type="application/json"
        )
        .status_code
        == 403
    )
    drafted = api.post(
        f"/api/v1/exception-groups/{key}/lookup-draft/", {"value": "4"}, content_type="application/json"
    )
    assert drafted.status_code == 200 and drafted.json()["key"] == "FR" and drafted.json()["value"] == "4"
    retried = api.post(
        f"/api/v1/exception-groups/{key}/retry/", {"reason": "mapped"}, content_type="application/json"
    ).json()
    assert sorted(retried["retried"]) == sorted(item.pk for item in fr_group) and retried["skipped"] == {}


def test_the_command(fr_group: list[ExceptionItem], revops: User) -> None:
    key = fr_group[0].cause_key
    out = StringIO()
    call_command("exception_groups", "list", "--user", "revops", stdout=out)
    assert key in out.getvalue() and "3 open (3 retryable)" in out.getvalue()
    out = StringIO()
    call_command("exception_groups", "lookup-draft", key, "--user", "revops", "--value", "4", stdout=out)
    assert "'FR' -> \"4\" in draft country_to_subsidiary" in out.getvalue()
    out = StringIO()
    call_command("exception_groups", "retry", key, "--user", "revops", stdout=out)
    assert out.getvalue().startswith("3 retries queued")
    with pytest.raises(CommandError, match="no exception group"):
        call_command("exception_groups", "show", "error-nosuchgroup", "--user", "revops")
    with pytest.raises(CommandError, match="needs the group's key"):
        call_command("exception_groups", "retry", "--user", "revops")
    with pytest.raises(CommandError, match="--value: Not valid JSON"):
        call_command("exception_groups", "lookup-draft", key, "--user", "revops", "--value", "{bad")


def test_the_badge_counts_a_whole_page_in_one_query(
    fr_group: list[ExceptionItem], revops: User, django_assert_num_queries: Any
) -> None:
    request = RequestFactory().get("/")
    request.user = revops
    table = engines["django"].from_string(
        "{% for item in items %}[{% include 'exceptions/partials/group_badge.html' %}]{% endfor %}"
    )
    groups.cause_group_sizes_set(user=revops, items=list(ExceptionItem.objects.all()))  # the scope, read
    items = list(ExceptionItem.objects.order_by("pk"))
    with django_assert_num_queries(1):
        groups.cause_group_sizes_set(user=revops, items=items)  # as the queue's page keeps them
        html = table.render({"items": items, "request": request})
    link = reverse("sync:exception-group", kwargs={"key": fr_group[0].cause_key})
    assert html.count(f'href="{link}"') == 3 and html.count("Group of 3") == 3
    assert html.endswith("[\n]")  # the exception alone has no badge
    alone = render_to_string("exceptions/partials/group_badge.html", {"item": items[-1], "request": request})
    assert alone.strip() == ""


def test_the_migration_backfills_the_cause_keys(fr_group: list[ExceptionItem]) -> None:
    expected = dict(ExceptionItem.objects.values_list("pk", "cause_key"))
    ExceptionItem.objects.update(cause_key="")
    migration = importlib.import_module("sync.migrations.0037_exception_cause_key")
    migration.cause_keys_backfill(apps, None)
    assert dict(ExceptionItem.objects.values_list("pk", "cause_key")) == expected


def test_a_mismatch_names_its_run_and_joins_the_next_run_s_group(db: None) -> None:
    def mismatch(key: str, run: int) -> ExceptionItem:
        details = {"check": "sales_orders", "kind": "missing_in_netsuite", "field": "", "run": run}
        return exception_raise(category="reconciliation", dedup_key=key, title=key, details=details)

    first = [mismatch(f"recon:sales_orders:{n}:", 1) for n in range(2)]
    assert first[0].cause_key == first[1].cause_key
    seen_again = mismatch(first[0].dedup_key, 2)
    assert seen_again.pk == first[0].pk and seen_again.cause_key != first[1].cause_key


def test_the_queue_page_shows_each_row_its_group(fr_group: list[ExceptionItem], revops_client: Any) -> None:
    page = revops_client.get(reverse("sync:exceptions")).content.decode()
    link = reverse("sync:exception-group", kwargs={"key": fr_group[0].cause_key})
    assert page.count(f'href="{link}"') == 3 and page.count("Group of 3") == 3


def test_the_groups_page_filters_by_the_integrations_the_person_may_see(
    fr_group: list[ExceptionItem], revops: User, admin: User, revops_client: Client
) -> None:
    acme = Integration.objects.create(name="acme", namespace="ACQ", label="Acme")
    acme_items = [_miss(f"sync:1:ACQ-006FR{n}", acme) for n in range(2)]
    index = reverse("sync:exception-groups")
    page = revops_client.get(index).content.decode()
    primary = primary_integration()
    # The queue's dropdown: "Any" and each integration they may see, the primary first.
    assert '<select name="integration" id="id_integration">' in page
    assert page.index(f'<option value="{primary.name}">') < page.index('<option value="acme">Acme</option>')
    only_acme = revops_client.get(index, {"integration": "acme"}).content.decode()
    link = reverse("sync:exception-group", kwargs={"key": acme_items[0].cause_key})
    assert f'href="{link}"' in only_acme and fr_group[0].cause_key not in only_acme
    assert '<option value="acme" selected>Acme</option>' in only_acme

    user_access_grant(user=revops, kind="integration", target=acme, actor=admin)  # now limited to acme
    limited = revops_client.get(index).content.decode()
    assert 'id="id_integration"' not in limited  # one integration: nothing to choose, as in the queue
    assert f'href="{link}"' in limited and fr_group[0].cause_key not in limited
    # A name outside their integrations is not a choice: the page shows their groups, never another's.
    other = revops_client.get(index, {"integration": primary.name}).content.decode()
    assert f'href="{link}"' in other and fr_group[0].cause_key not in other
