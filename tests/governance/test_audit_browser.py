"""The audit browser: auditors only, filters, diffs with secrets masked, keyset pages, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from core.correlation import correlation
from demo.launcher import simulator_connection_ensure
from governance import services
from governance.audit_search import MASK, change_rows
from governance.models import AuditEntry
from sync.connections.services import connection_secrets, connection_secrets_store

URL = "/governance/audit/"


def ids_on_page(response: object) -> list[int]:
    return [row.entry.pk for row in response.context["page"].rows]  # type: ignore[attr-defined]


@pytest.mark.parametrize("persona", ["revops", "finance", "admin", "outsider"])
@pytest.mark.parametrize("url", [URL, URL + "export.csv", URL + "chain/"])
def test_it_is_for_auditors_only(persona_client: object, persona: str, url: str) -> None:
    client: Client = persona_client(persona)  # type: ignore[operator]
    assert client.get(url).status_code == 403


def test_it_filters_by_actor_model_object_action_and_correlation_id(
    auditor_client: Client, admin: User, revops: User
) -> None:
    with correlation("cid-browse-1"):
        services.user_roles_set(user=revops, roles=["RevOps", "Auditor"], actor=admin)
    entry = AuditEntry.objects.get(cid="cid-browse-1")
    user_type = ContentType.objects.get_for_model(User)

    assert ids_on_page(auditor_client.get(URL, {"cid": "cid-browse-1"})) == [entry.pk]
    by_object = ids_on_page(auditor_client.get(URL, {"model": user_type.pk, "object_pk": revops.pk}))
    assert entry.pk in by_object
    assert set(AuditEntry.objects.filter(pk__in=by_object).values_list("object_pk", flat=True)) == {
        str(revops.pk)
    }
    by_action = ids_on_page(auditor_client.get(URL, {"action": AuditEntry.Action.CREATE}))
    assert by_action and entry.pk not in by_action
    assert set(AuditEntry.objects.filter(pk__in=by_action).values_list("action", flat=True)) == {0}

    services.access_record(event=services.AccessEvent.LOGIN, user=admin)
    by_actor = ids_on_page(auditor_client.get(URL, {"actor": admin.pk}))
    assert by_actor and set(AuditEntry.objects.filter(pk__in=by_actor).values_list("actor", flat=True)) == {
        admin.pk
    }


def test_it_filters_by_date_range(auditor_client: Client, revops: User) -> None:
    today = timezone.localdate()
    newest = AuditEntry.objects.order_by("-id").first()
    assert newest is not None
    assert newest.pk in ids_on_page(auditor_client.get(URL, {"date_from": str(today), "date_to": str(today)}))
    tomorrow = today + dt.timedelta(days=1)
    assert ids_on_page(auditor_client.get(URL, {"date_from": str(tomorrow)})) == []
    assert ids_on_page(auditor_client.get(URL, {"date_to": str(today - dt.timedelta(days=1))})) == []


def test_it_shows_each_change_as_a_before_and_after_table(auditor_client: Client, revops: User) -> None:
    services.user_update(user=revops, email="riley@example.org", first_name="Riley", last_name="Revops")
    response = auditor_client.get(URL, {"model": ContentType.objects.get_for_model(User).pk})
    html = response.content.decode()
    assert "<td><code>email</code></td><td>revops@concord.example</td><td>riley@example.org</td>" in html


def test_it_masks_secret_looking_fields_whatever_the_model() -> None:
    rows = change_rows(
        {"api_token": ["old-value", "new-value"], "client_secret": ["a", "b"], "name": ["x", "y"]}
    )
    assert [(r.field, r.before, r.after) for r in rows] == [
        ("api_token", MASK, MASK),
        ("client_secret", MASK, MASK),
        ("name", "x", "y"),
    ]


def test_it_pages_by_keyset_without_gaps_or_repeats(auditor_client: Client) -> None:
    for n in range(120):
        services.user_create(username=f"page-user-{n}")
    expected = list(AuditEntry.objects.order_by("-id").values_list("id", flat=True))
    seen: list[int] = []
    response = auditor_client.get(URL)
    while True:
        seen += ids_on_page(response)
        page = response.context["page"]
        if page.next_before is None:
            break
        assert f"before={page.next_before}".encode() in response.content
        response = auditor_client.get(
            URL, {"before": page.next_before}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-results"
        )
        assert [t.name for t in response.templates][0] == "governance/partials/audit_results.html"
    assert seen == expected


def test_it_exports_the_filtered_entries_as_csv(auditor_client: Client, admin: User, revops: User) -> None:
    with correlation("cid-export"):
        services.user_roles_set(user=revops, roles=["Finance"], actor=admin)
        services.user_create(username="@SUM")  # a spreadsheet formula as the object's name
    response = auditor_client.get(URL + "export.csv", {"cid": "cid-export"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["id"] for row in rows] == [
        str(pk)
        for pk in AuditEntry.objects.filter(cid="cid-export").order_by("-id").values_list("id", flat=True)
    ]
    assert rows[0]["object"] == "'@SUM"
    assert all(row["correlation_id"] == "cid-export" for row in rows)


def test_it_offers_the_export_of_the_filters_in_force_after_an_htmx_filter(
    auditor_client: Client, admin: User
) -> None:
    # htmx replaces only the results when a filter changes: the export link must be part of them.
    response = auditor_client.get(
        URL, {"actor": admin.pk}, headers={"HX-Request": "true", "HX-Target": "audit-results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="audit-results">')
    assert f'href="/governance/audit/export.csv?actor={admin.pk}"' in html


def test_it_never_shows_a_connection_secret(auditor_client: Client) -> None:
    connection = simulator_connection_ensure(
        "netsuite", name="ns-secret-check", url="https://127.0.0.1:1/", ca_bundle=""
    )
    secret = connection_secrets(connection)["token_secret"]
    connection_secrets_store(connection, {"token_secret": "rotated-" + secret})
    connection.save()
    entries = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(connection))
    assert entries.count() >= 2  # created, then the secrets changed
    page = auditor_client.get(URL, {"model": ContentType.objects.get_for_model(connection).pk}).content
    export = b"".join(auditor_client.get(URL + "export.csv").streaming_content)  # type: ignore[attr-defined]
    for body in (page, export):
        assert secret.encode() not in body and b"rotated-" not in body
