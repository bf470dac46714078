"""The mapping editor, role by role: everyone with a role reads; RevOps edit; Finance and Admin approve."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sync.mappings.engine.defaults import load_default
from sync.mappings.models import FieldMapping, Flow, MappingVersion, VersionStatus
from sync.mappings.services.versions import version_create_draft, version_submit

READERS = ("revops", "finance", "admin", "auditor")


@pytest.fixture
def draft(opportunity_flow: Flow, revops: User) -> MappingVersion:
    return version_create_draft(flow=opportunity_flow, user=revops, notes="try a memo")


def _row(version: MappingVersion, key: str) -> FieldMapping:
    return FieldMapping.objects.get(object_mapping__version=version, key=key)


ROW_POST = {"key": "memo", "target": "memo", "kind": "constant", "value": "Via Concord", "apply": "always"}


@pytest.mark.parametrize("persona", READERS)
def test_it_lets_every_role_read_flows_versions_and_exports(
    persona: str, persona_client: object, draft: MappingVersion
) -> None:
    client: Client = persona_client(persona)  # type: ignore[operator]
    html = client.get("/sync/mappings/").content.decode()
    assert "opportunity_to_netsuite" in html and "Published" in html and "Draft" in html
    # Each flow by its words, the key beside them; a version by its number (core/labels.py).
    words = 'Closed Won deals to NetSuite <span class="label-key">opportunity_to_netsuite</span>'
    assert f"<h2>{words} " in html
    assert f"{words} v{draft.number}" in client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    page = client.get(f"/sync/mappings/versions/{draft.pk}/")
    assert (
        page.status_code == 200 and "addressBook.items[0].addressBookAddress.addr1" in page.content.decode()
    )
    assert ("Add a field row" in page.content.decode()) == (persona == "revops")
    exported = client.get(f"/sync/mappings/versions/{draft.pk}/export/").json()
    assert exported == load_default("opportunity_to_netsuite")


def test_it_refuses_people_without_a_role(outsider_client: Client, draft: MappingVersion) -> None:
    assert outsider_client.get("/sync/mappings/").status_code == 403
    assert outsider_client.get(f"/sync/mappings/versions/{draft.pk}/").status_code == 403


def test_it_lets_revops_edit_a_row_inline(revops_client: Client, draft: MappingVersion) -> None:
    row = _row(draft, "memo")
    form = revops_client.get(f"/sync/mappings/rows/{row.pk}/?edit=1", HTTP_HX_REQUEST="true")
    assert 'name="target"' in form.content.decode() and "keyup changed delay" in form.content.decode()
    saved = revops_client.post(f"/sync/mappings/rows/{row.pk}/", ROW_POST, HTTP_HX_REQUEST="true")
    assert "saved" in saved.content.decode()
    row.refresh_from_db()
    assert (row.kind, row.constant) == ("constant", "Via Concord")


def test_it_keeps_the_check_box_of_the_row_editor_across_checks(
    revops_client: Client, draft: MappingVersion
) -> None:
    # The editor's form swaps its row outerHTML; the as-you-type check must swap only its box's content,
    # or the first check replaces the box and every later check has no target (found in the browser).
    row = _row(draft, "memo")
    html = revops_client.get(f"/sync/mappings/rows/{row.pk}/?edit=1", HTTP_HX_REQUEST="true").content.decode()
    check = re.search(r'<div class="row-fields"[^>]*>', html)
    assert check is not None
    assert f'hx-target="#check-{row.object_mapping_id}-{row.pk}"' in check.group(0)
    assert 'hx-swap="innerHTML"' in check.group(0)
    assert f'<div id="check-{row.object_mapping_id}-{row.pk}" class="row-check"' in html


@pytest.mark.parametrize("persona", ("finance", "admin", "auditor"))
def test_it_refuses_edits_from_other_roles(
    persona: str, persona_client: object, draft: MappingVersion
) -> None:
    client: Client = persona_client(persona)  # type: ignore[operator]
    row = _row(draft, "memo")
    assert client.post(f"/sync/mappings/rows/{row.pk}/", ROW_POST).status_code == 403
    assert client.post(f"/sync/mappings/rows/{row.pk}/delete/").status_code == 403
    assert client.post(f"/sync/mappings/rows/{row.pk}/move/", {"direction": "up"}).status_code == 403
    assert client.post(f"/sync/mappings/objects/{row.object_mapping_id}/rows/", ROW_POST).status_code == 403
    assert (
        client.post(f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/", ROW_POST).status_code
        == 403
    )
    assert client.post("/sync/mappings/flows/opportunity_to_netsuite/drafts/").status_code == 403
    assert client.post(f"/sync/mappings/versions/{draft.pk}/import/", {"spec": "{}"}).status_code == 403
    assert client.post(f"/sync/mappings/versions/{draft.pk}/submit/").status_code == 403
    assert _row(draft, "memo").kind == "source"


def test_it_checks_a_row_as_you_type_naming_the_row(revops_client: Client, draft: MappingVersion) -> None:
    row = _row(draft, "line_quantity")
    bad = {**ROW_POST, "key": "line_quantity", "target": "quantity", "kind": "source", "value": "Qty"}
    bad["transforms"] = '[{"fn": "round", "places": "two"}]'
    answer = revops_client.post(
        f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/",
        {**bad, "row": row.pk, "parent": row.parent_id},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "sales_order / lines/line_quantity / quantity:" in answer
    good = {**bad, "transforms": '["to_number"]', "value": "SBQQ__Quantity__c"}
    answer = revops_client.post(
        f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/",
        {**good, "row": row.pk, "parent": row.parent_id},
    ).content.decode()
    assert "valid" in answer and "error" not in answer
    malformed = revops_client.post(
        f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/", {**good, "transforms": "[trim"}
    ).content.decode()
    assert "The transform chain must be JSON" in malformed


def test_it_adds_reorders_and_deletes_rows(revops_client: Client, draft: MappingVersion) -> None:
    customer = _row(draft, "company_name").object_mapping
    added = revops_client.post(
        f"/sync/mappings/objects/{customer.pk}/rows/",
        {"key": "fax", "target": "fax", "kind": "source", "value": "Fax", "apply": "always"},
        HTTP_HX_REQUEST="true",
    )
    assert added.headers.get("HX-Refresh") == "true"
    fax = _row(draft, "fax")
    revops_client.post(f"/sync/mappings/rows/{fax.pk}/move/", {"direction": "up"})
    keys = list(customer.fields.filter(parent=None).order_by("order").values_list("key", flat=True))
    assert keys[-2:] == ["fax", "sf_account_id"]
    revops_client.post(f"/sync/mappings/rows/{fax.pk}/delete/")
    assert not customer.fields.filter(key="fax").exists()


def test_it_imports_json_and_shows_errors_naming_the_field(
    revops_client: Client, draft: MappingVersion
) -> None:
    spec = load_default("opportunity_to_netsuite")
    spec["objects"][0]["fields"][1]["transforms"] = [{"fn": "lookup", "table": "no_such_table"}]
    answer = revops_client.post(
        f"/sync/mappings/versions/{draft.pk}/import/", {"spec": json.dumps(spec)}, follow=True
    ).content.decode()
    assert "Not imported: customer / subsidiary / subsidiary.id:" in answer and "no_such_table" in answer


def test_it_answers_a_deeply_nested_import_with_a_400_naming_the_problem(
    revops_client: Client, draft: MappingVersion
) -> None:
    rows_before = _row(draft, "memo").pk
    deep = '{"objects": ' + "[" * 50_000 + "]" * 50_000 + "}"
    answer = revops_client.post(f"/sync/mappings/versions/{draft.pk}/import/", {"spec": deep})
    assert answer.status_code == 400
    assert "JSON nested deeper than 64 levels" in answer.content.decode()
    assert _row(draft, "memo").pk == rows_before  # nothing replaced


def test_it_names_a_deeply_nested_constant_or_transform_chain_in_the_row(
    revops_client: Client, draft: MappingVersion
) -> None:
    row = _row(draft, "memo")
    url = f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/"
    for field in ("value", "transforms"):
        deep = {**ROW_POST, field: "[" * 999 + "]" * 999, "row": row.pk, "parent": row.parent_id or ""}
        answer = revops_client.post(url, deep, HTTP_HX_REQUEST="true")
        assert answer.status_code < 500, field
        assert "JSON nested deeper than 64 levels" in answer.content.decode(), field


def test_it_runs_the_approval_buttons_per_role(
    revops_client: Client,
    finance_client: Client,
    admin_client: Client,
    auditor_client: Client,
    revops: User,
    draft: MappingVersion,
) -> None:
    version_submit(version=draft, user=revops)
    page = finance_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    assert "Approve" in page and "Add a field row" not in page
    assert "Approve" not in revops_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    assert revops_client.post(f"/sync/mappings/versions/{draft.pk}/approve/").status_code == 403
    assert auditor_client.post(f"/sync/mappings/versions/{draft.pk}/approve/").status_code == 403
    assert (
        finance_client.post(f"/sync/mappings/versions/{draft.pk}/approve/", {"reason": "ok"}).status_code
        == 302
    )
    assert auditor_client.post(f"/sync/mappings/versions/{draft.pk}/publish/").status_code == 403
    assert (
        admin_client.post(f"/sync/mappings/versions/{draft.pk}/publish/", {"reason": "go"}).status_code == 302
    )
    assert MappingVersion.objects.get(pk=draft.pk).status == VersionStatus.PUBLISHED
    first = MappingVersion.objects.get(flow=draft.flow, number=1)
    assert (
        "Republish this version" in admin_client.get(f"/sync/mappings/versions/{first.pk}/").content.decode()
    )


def test_it_shows_a_field_by_field_diff(auditor_client: Client, revops: User, draft: MappingVersion) -> None:
    from sync.mappings.services.rows import field_row_save

    row = _row(draft, "memo")
    field_row_save(obj=row.object_mapping, row=row, values={"target": "comments"}, user=revops)
    first = MappingVersion.objects.get(flow=draft.flow, number=1)
    html = auditor_client.get(f"/sync/mappings/diff/?a={first.pk}&b={draft.pk}").content.decode()
    assert "<code>memo</code>" in html and "<code>comments</code>" in html and "changed" in html
    bad = auditor_client.get(f"/sync/mappings/diff/?a=latest&b={draft.pk}")
    assert bad.status_code == 400 and b"?a=<version id>&b=<version id>" in bad.content


@pytest.mark.parametrize(("persona", "status"), [("revops", 200), ("finance", 200), ("auditor", 403)])
def test_it_limits_the_dry_run_to_makers_and_approvers(
    persona: str, status: int, persona_client: object, draft: MappingVersion
) -> None:
    client: Client = persona_client(persona)  # type: ignore[operator]
    answer = client.get(f"/sync/mappings/versions/{draft.pk}/preview/?opportunity_id=006X")
    assert answer.status_code == status
    if status == 200:
        assert "integration primary has no sandbox NetSuite connection" in answer.content.decode()


@pytest.mark.parametrize("persona", READERS)
def test_it_shows_lookup_tables_to_every_role(
    persona: str, persona_client: object, seeded_mappings: None
) -> None:
    client: Client = persona_client(persona)  # type: ignore[operator]
    html = client.get("/sync/mappings/lookups/").content.decode()
    assert "currency_code_to_id" in html and "netsuite_item_by_sku" in html
    assert ("Refresh from NetSuite" in html) == (persona == "revops")


def test_it_lets_only_revops_change_a_lookup_value(
    revops_client: Client, finance_client: Client, seeded_mappings: None
) -> None:
    from sync.mappings.models import LookupTable

    url = "/sync/mappings/lookups/currency_code_to_id/"
    assert finance_client.post(url, {"key": "CHF", "value": "7"}).status_code == 403
    assert finance_client.post("/sync/mappings/lookups/refresh/").status_code == 403
    assert revops_client.post(url, {"key": "CHF", "value": "7"}).status_code == 302
    # Into a draft: the published entries (what the sync maps with) are as they were.
    table = LookupTable.objects.get(name="currency_code_to_id")
    draft = table.versions.get(status="draft")
    assert draft.entries.get(key="CHF").value == "7" and table.revision == 1
    assert not table.versions.get(status="published").entries.filter(key="CHF").exists()


def test_it_says_a_netsuite_connection_without_credentials_cannot_refresh_lookups(
    revops_client: Client, seeded_mappings: None
) -> None:
    # Regression: a sandbox NetSuite connection an admin has not finished (no token yet) made this a 500.
    from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind

    Connection.objects.create(
        name="ns-unfinished",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://127.0.0.1:9",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    response = revops_client.post("/sync/mappings/lookups/refresh/", follow=True)
    assert response.status_code == 200
    assert "Not refreshed: connection &#x27;ns-unfinished&#x27; needs account_id" in response.content.decode()


def test_it_shows_how_an_object_is_matched_before_create(
    revops_client: Client, draft: MappingVersion
) -> None:
    html = revops_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    assert (
        "Matched before create by <code>company_name</code> (name: companyName, "
        "country: addressBook.items[0].addressBookAddress.country), "
        "then <code>email_domain</code> (email: email)"
    ) in html
    assert "Matched before create by <code>email</code> (email: email)" in html


def test_it_says_a_sandbox_connection_without_credentials_cannot_dry_run(
    revops_client: Client, draft: MappingVersion
) -> None:
    from sync.connections.models import Connection, ConnectionAuth

    for kind, auth in (("salesforce", ConnectionAuth.SF_PASSWORD), ("netsuite", ConnectionAuth.NS_TOKEN)):
        Connection.objects.create(
            name=f"{kind}-sandbox",
            kind=kind,
            environment="sandbox",
            base_url="https://x.test",
            auth_method=auth,
        )
    url = f"/sync/mappings/versions/{draft.pk}/preview/"
    for answer in (
        revops_client.get(url, {"opportunity": "Acme renewal"}),
        revops_client.get(f"{url}opportunities/", {"q": "Acme"}),
    ):
        assert answer.status_code == 200
        assert "the sandbox Salesforce connection cannot be used" in answer.content.decode()
