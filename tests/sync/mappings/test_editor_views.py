"""The editor made for people: field pickers, the transform chain editor, words instead of dicts."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.models import AuditEntry
from sync.mappings.models import FieldMapping, Flow, MappingVersion, ObjectMapping
from sync.mappings.services.versions import version_create_draft
from tests.sync.mappings.editor_support import editing_metadata_patched

LEAKS = ("{'", "{#", "#}", "<!--", "{%", "%}")


@pytest.fixture
def draft(opportunity_flow: Flow, revops: User) -> MappingVersion:
    return version_create_draft(flow=opportunity_flow, user=revops, notes="editor")


def _object(version: MappingVersion, key: str) -> ObjectMapping:
    return ObjectMapping.objects.get(version=version, key=key)


def _text(html: str) -> str:
    """What a person sees: the page without its tags, scripts and attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_the_version_page_shows_the_shipped_mapping_in_words_without_leaks(
    revops_client: Client, draft: MappingVersion
) -> None:
    html = revops_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    text = _text(html)
    assert not [leak for leak in LEAKS if leak in text], [leak for leak in LEAKS if leak in text]
    assert "{&#x27;" not in html and "{'" not in html  # no Python dict, escaped or not
    assert "trim spaces → cut to 83 characters" in text
    assert "look up in Account billing country → NetSuite subsidiary id" in text
    assert "as a date (YYYY-MM-DD)" in text
    assert "not (SBQQ__NetTotal__c is 0 and" in text  # the line filter of the sales order's items
    assert 'name="steps"' in html and "Add step" in html  # the chain editor of the add-row forms


def test_the_diff_page_shows_transforms_in_words(
    auditor_client: Client, revops_client: Client, draft: MappingVersion
) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="memo")
    post = {"key": "memo", "target": "memo", "kind": "source", "value": "Name", "apply": "always"}
    post |= {"steps": "1", "step-0-fn": "truncate", "step-0-length": "40"}
    assert revops_client.post(f"/sync/mappings/rows/{row.pk}/", post).status_code == 302
    first = MappingVersion.objects.get(flow=draft.flow, number=1)
    html = auditor_client.get(f"/sync/mappings/diff/?a={first.pk}&b={draft.pk}").content.decode()
    assert "cut to 999 characters" in html and "cut to 40 characters" in html
    assert "{'" not in html and "{&#x27;" not in html


def test_a_row_saved_from_steps_stores_the_chain_and_is_audited(
    revops_client: Client, revops: User, draft: MappingVersion
) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="memo")
    post = {"key": "memo", "target": "memo", "kind": "source", "value": "Name", "apply": "always"}
    post |= {"steps": "2", "step-0-fn": "trim", "step-1-fn": "truncate", "step-1-length": "40"}
    answer = revops_client.post(f"/sync/mappings/rows/{row.pk}/", post, HTTP_HX_REQUEST="true")
    assert "trim spaces" in answer.content.decode() and "cut to 40 characters" in answer.content.decode()
    row.refresh_from_db()
    assert row.transforms == ["trim", {"fn": "truncate", "length": 40}]
    assert AuditEntry.objects.get_for_object(row).filter(actor=revops).exists()


def test_a_bad_step_is_refused_with_its_reason_and_the_typed_value_kept(
    revops_client: Client, draft: MappingVersion
) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="memo")
    post = {"key": "memo", "target": "memo", "kind": "source", "value": "Name", "apply": "always"}
    post |= {"steps": "1", "step-0-fn": "truncate", "step-0-length": "forty"}
    html = revops_client.post(f"/sync/mappings/rows/{row.pk}/", post, HTTP_HX_REQUEST="true").content.decode()
    assert "step 1 (truncate): length must be a whole number" in html
    assert 'value="forty"' in html
    row.refresh_from_db()
    assert row.transforms == [{"fn": "truncate", "length": 999}]


def test_the_advanced_json_box_still_sets_the_chain(revops_client: Client, draft: MappingVersion) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="memo")
    post = {"key": "memo", "target": "memo", "kind": "source", "value": "Name", "apply": "always"}
    post |= {"steps": "1", "step-0-fn": "upper", "transforms_json": "on", "transforms": '["lower"]'}
    revops_client.post(f"/sync/mappings/rows/{row.pk}/", post)
    row.refresh_from_db()
    assert row.transforms == ["lower"]


def test_the_chain_editor_adds_a_step_and_says_it_in_words(
    revops_client: Client, draft: MappingVersion
) -> None:
    obj = _object(draft, "customer")
    post = {"steps": "1", "step-0-fn": "trim", "op": "add", "add_fn": "lookup"}
    html = revops_client.post(f"/sync/mappings/objects/{obj.pk}/transforms/", post).content.decode()
    assert "trim spaces" in html and 'name="step-1-table"' in html
    assert "country_to_subsidiary: Account billing country" in html  # the tables, by description
    post = {"steps": "2", "step-0-fn": "trim", "step-1-fn": "lookup", "step-1-table": "payment_terms_to_id"}
    html = revops_client.post(f"/sync/mappings/objects/{obj.pk}/transforms/", post).content.decode()
    assert "look up in Payment terms name → NetSuite term id" in html


@pytest.mark.parametrize("persona", ("finance", "admin", "auditor"))
def test_only_editors_use_the_pickers_and_the_chain_editor(
    persona: str, persona_client: object, draft: MappingVersion
) -> None:
    client: Client = persona_client(persona)  # type: ignore[operator]
    obj = _object(draft, "customer")
    assert client.get(f"/sync/mappings/objects/{obj.pk}/fields/?side=target").status_code == 403
    assert client.post(f"/sync/mappings/objects/{obj.pk}/transforms/", {"op": "add"}).status_code == 403


def test_the_target_picker_lists_the_record_types_fields_from_metadata(
    revops_client: Client, draft: MappingVersion
) -> None:
    obj = _object(draft, "customer")
    with editing_metadata_patched():
        html = revops_client.get(
            f"/sync/mappings/objects/{obj.pk}/fields/?side=target&target=regi"
        ).content.decode()
    assert 'data-pick="custentity_region"' in html and "Region" in html and "custom" in html
    assert "companyName" not in html  # filtered by what is typed


def test_the_source_picker_lists_paths_relative_to_the_object(
    revops_client: Client, draft: MappingVersion
) -> None:
    obj = _object(draft, "customer")  # source_path Account
    with editing_metadata_patched():
        html = revops_client.get(
            f"/sync/mappings/objects/{obj.pk}/fields/?side=source&kind=source&value=region"
        ).content.decode()
        assert 'data-pick="Region__c"' in html and "Sales Region" in html and "picklist" in html
        constant = revops_client.get(f"/sync/mappings/objects/{obj.pk}/fields/?side=source&kind=constant")
    assert "data-pick" not in constant.content.decode()


def test_a_group_rows_target_picker_lists_the_sublist_fields(
    revops_client: Client, draft: MappingVersion
) -> None:
    obj = _object(draft, "sales_order")
    group = FieldMapping.objects.get(object_mapping=obj, key="lines")
    with editing_metadata_patched():
        html = revops_client.get(
            f"/sync/mappings/objects/{obj.pk}/fields/?side=target&parent={group.pk}"
        ).content.decode()
    assert 'data-pick="item.id"' in html and 'data-pick="custcol_revenue_treatment"' in html
    assert 'data-pick="memo"' not in html


def test_without_metadata_the_picker_says_how_to_get_it(revops_client: Client, draft: MappingVersion) -> None:
    obj = _object(draft, "customer")
    with editing_metadata_patched(none=True):
        html = revops_client.get(f"/sync/mappings/objects/{obj.pk}/fields/?side=target").content.decode()
    assert "refresh the connection's metadata to pick fields" in html_module.unescape(html)


def test_a_new_row_can_go_into_a_group_and_its_target_picker_follows(
    revops_client: Client, draft: MappingVersion
) -> None:
    obj = _object(draft, "sales_order")
    group = FieldMapping.objects.get(object_mapping=obj, key="lines")
    page = revops_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    assert f'<option value="{group.pk}">lines (item.items[], each $.primary_quote.lines)</option>' in page
    post = {
        "key": "line_class",
        "target": "custcol_class",
        "kind": "constant",
        "value": "A",
        "apply": "always",
    }
    post |= {"parent": str(group.pk), "steps": "0"}
    assert revops_client.post(f"/sync/mappings/objects/{obj.pk}/rows/", post).status_code == 302
    assert FieldMapping.objects.get(object_mapping=obj, key="line_class").parent_id == group.pk
    with editing_metadata_patched():
        html = revops_client.get(
            f"/sync/mappings/objects/{obj.pk}/fields/?side=target&target=quan&parent={group.pk}&kind=source"
        ).content.decode()
    assert 'data-pick="quantity"' in html


def test_a_row_is_marked_optional_from_the_form_and_shown_so(
    revops_client: Client, draft: MappingVersion
) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="memo")
    post = {"key": "memo", "target": "memo", "kind": "source", "value": "Name", "apply": "always"}
    revops_client.post(f"/sync/mappings/rows/{row.pk}/", {**post, "optional": "on"})
    row.refresh_from_db()
    assert row.optional is True
    page = revops_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    shown = re.search(rf'<tr id="row-{row.pk}".*?</tr>', page, re.S)
    assert shown is not None and '<span class="muted">optional</span>' in shown.group(0)
    edit = revops_client.get(f"/sync/mappings/rows/{row.pk}/?edit=1").content.decode()
    assert re.search(r'name="optional"[^>]*checked', edit)
    revops_client.post(f"/sync/mappings/rows/{row.pk}/", post)  # unticked: no longer optional
    row.refresh_from_db()
    assert row.optional is False
