"""The owner of a field row in the editor and in JSON export/import."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sync.mappings.models import FieldMapping, Flow, MappingVersion
from sync.mappings.services.specs import version_spec
from sync.mappings.services.versions import version_create_draft


@pytest.fixture
def draft(opportunity_flow: Flow, revops: User) -> MappingVersion:
    return version_create_draft(flow=opportunity_flow, user=revops, notes="owners")


def _row(version: MappingVersion, key: str) -> FieldMapping:
    return FieldMapping.objects.get(object_mapping__version=version, key=key, object_mapping__key="customer")


PHONE = {"key": "phone", "target": "phone", "kind": "source", "value": "Phone", "apply": "always"}


def test_it_edits_the_owner_inline_and_exports_it(revops_client: Client, draft: MappingVersion) -> None:
    row = _row(draft, "phone")
    form = revops_client.get(f"/sync/mappings/rows/{row.pk}/?edit=1", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="owner"' in form and "Source side (default)" in form and 'name="on_conflict"' in form
    saved = revops_client.post(
        f"/sync/mappings/rows/{row.pk}/",
        {**PHONE, "owner": "netsuite", "on_conflict": "record_only"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "saved" in saved and "NetSuite" in saved and "record only" in saved
    row.refresh_from_db()
    assert (row.owner, row.on_conflict) == ("netsuite", "record_only")
    (customer,) = [obj for obj in version_spec(draft)["objects"] if obj["key"] == "customer"]
    (exported,) = [field for field in customer["fields"] if field["id"] == "phone"]
    assert (exported["owner"], exported["on_conflict"]) == ("netsuite", "record_only")
    # Back to the default: the export leaves the key out again.
    revops_client.post(f"/sync/mappings/rows/{row.pk}/", {**PHONE, "owner": ""}, HTTP_HX_REQUEST="true")
    (customer,) = [obj for obj in version_spec(draft)["objects"] if obj["key"] == "customer"]
    back_to_default = next(field for field in customer["fields"] if field["id"] == "phone")
    assert "owner" not in back_to_default and "on_conflict" not in back_to_default


def test_it_refuses_an_unknown_owner(revops_client: Client, draft: MappingVersion) -> None:
    row = _row(draft, "phone")
    answer = revops_client.post(
        f"/sync/mappings/rows/{row.pk}/", {**PHONE, "owner": "sap"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Select a valid choice" in answer
    row.refresh_from_db()
    assert row.owner == ""


def test_it_checks_an_owner_on_a_group_row_as_you_type(revops_client: Client, draft: MappingVersion) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="line_quantity")
    values = {
        "key": "line_quantity",
        "target": "quantity",
        "kind": "source",
        "value": "SBQQ__Quantity__c",
        "transforms": '["to_number"]',
        "apply": "always",
        "owner": "netsuite",
    }
    answer = revops_client.post(
        f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/",
        {**values, "row": row.pk, "parent": row.parent_id},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert (
        "lines/line_quantity / quantity: a group&#x27;s rows take the group&#x27;s &#x27;owner&#x27;"
        in answer
    )


def test_it_imports_and_exports_the_shipped_owners(opportunity_flow: Flow) -> None:
    published = opportunity_flow.versions.get()
    terms = _row(published, "terms")
    assert terms.owner == "netsuite" and _row(published, "phone").owner == ""
    customer_flow = Flow.objects.get(key="netsuite_customer_to_salesforce")
    phone = FieldMapping.objects.get(object_mapping__version__flow=customer_flow, key="phone")
    assert phone.owner == "salesforce"
