"""Editing a draft's rows: add, edit, reorder, delete; checked by the engine, errors name the row."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from sync.mappings.engine import MappingValidationError
from sync.mappings.engine.defaults import load_default
from sync.mappings.models import FieldMapping, Flow, MappingVersion, ObjectMapping
from sync.mappings.services.rows import (
    field_row_build,
    field_row_delete,
    field_row_move,
    field_row_problems,
    field_row_save,
)
from sync.mappings.services.specs import version_spec
from sync.mappings.services.versions import version_create_draft, version_import


@pytest.fixture
def draft(opportunity_flow: Flow, revops: User) -> MappingVersion:
    return version_create_draft(flow=opportunity_flow, user=revops)


def _customer(draft: MappingVersion) -> ObjectMapping:
    return ObjectMapping.objects.get(version=draft, key="customer")


def test_it_adds_a_row_at_the_end_and_exports_it(draft: MappingVersion, revops: User) -> None:
    values = {"key": "fax", "target": "fax", "kind": "source", "source": "Fax", "transforms": ["trim"]}
    field_row_save(obj=_customer(draft), values=values, user=revops)
    rows = version_spec(draft)["objects"][0]["fields"]
    assert rows[-1] == {"id": "fax", "target": "fax", "source": "Fax", "transforms": ["trim"]}
    assert revops in draft.editors.all()


def test_it_refuses_a_row_the_engine_rejects_naming_the_row(draft: MappingVersion, revops: User) -> None:
    values = {"key": "fax", "target": "fax", "kind": "source", "source": "Fax", "transforms": ["shout"]}
    with pytest.raises(MappingValidationError) as caught:
        field_row_save(obj=_customer(draft), values=values, user=revops)
    problem = caught.value.problems[0]
    assert (problem.object_key, problem.field) == ("customer", "fax")
    assert "shout" in problem.message
    assert not FieldMapping.objects.filter(object_mapping__version=draft, key="fax").exists()


def test_it_checks_an_edit_of_a_row_in_a_group(draft: MappingVersion) -> None:
    row = FieldMapping.objects.get(object_mapping__version=draft, key="line_quantity")
    candidate = field_row_build(obj=row.object_mapping, row=row, values={"transforms": [{"fn": "round"}]})
    mine, elsewhere = field_row_problems(candidate=candidate)
    assert [problem.field for problem in mine] == ["lines/line_quantity"] and elsewhere == []


def test_it_reorders_and_deletes_rows(draft: MappingVersion, revops: User) -> None:
    customer = _customer(draft)
    phone = customer.fields.get(key="phone")
    field_row_move(row=phone, offset=-1, user=revops)
    keys = [row["id"] for row in version_spec(draft)["objects"][0]["fields"]]
    assert keys[4:6] == ["phone", "email"]
    field_row_delete(row=customer.fields.get(key="website"), user=revops)
    keys = [row["id"] for row in version_spec(draft)["objects"][0]["fields"]]
    assert "website" not in keys and len(keys) == 13


def test_it_deletes_a_group_with_its_rows(draft: MappingVersion, revops: User) -> None:
    lines = FieldMapping.objects.get(object_mapping__version=draft, key="lines")
    field_row_delete(row=lines, user=revops)
    assert not FieldMapping.objects.filter(object_mapping__version=draft, key="line_item").exists()


def test_it_imports_json_and_reports_problems_naming_the_field_mapping(
    draft: MappingVersion, revops: User
) -> None:
    spec = load_default("opportunity_to_netsuite")
    spec["objects"][0]["fields"][0]["transforms"] = [{"fn": "truncate", "length": "long"}]
    spec["objects"][5]["fields"][0]["ref"] = "nobody"
    with pytest.raises(MappingValidationError) as caught:
        version_import(version=draft, spec=spec, user=revops)
    where = {(problem.object_key, problem.field) for problem in caught.value.problems}
    assert where == {("customer", "company_name"), ("sales_order", "entity")}
    spec = load_default("opportunity_to_netsuite")
    spec["objects"] = spec["objects"][:1]
    version_import(version=draft, spec=spec, user=revops)
    assert version_spec(draft) == spec
