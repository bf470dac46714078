"""Rows are an exact image of the engine's spec: every shipped flow goes in and comes back identical."""

from __future__ import annotations

import pytest

from sync.mappings.engine.defaults import DEFAULT_FLOWS, load_default
from sync.mappings.models import FieldMapping, MappingVersion, ObjectMapping, ValueKind
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import spec_compile, version_spec


@pytest.mark.parametrize("flow", DEFAULT_FLOWS)
def test_it_round_trips_every_shipped_flow(db: None, flow: str) -> None:
    mapping_seed_defaults()
    version = MappingVersion.objects.get(flow__key=flow, number=1)
    exported = version_spec(version)
    assert exported == load_default(flow)
    compiled = spec_compile(exported)
    assert compiled.flow == flow


def test_it_stores_sublists_and_groups_as_rows(db: None) -> None:
    mapping_seed_defaults()
    version = MappingVersion.objects.get(flow__key="opportunity_to_netsuite", number=1)
    customer = ObjectMapping.objects.get(version=version, key="customer")
    addr1 = customer.fields.get(key="address_street")
    assert addr1.target == "addressBook.items[0].addressBookAddress.addr1"
    assert addr1.source == "BillingStreet" and addr1.owner == "netsuite"  # NetSuite-owned: set on create
    lines = FieldMapping.objects.get(object_mapping__version=version, key="lines")
    assert lines.kind == ValueKind.GROUP and lines.target == "item.items[]"
    assert lines.each == "$.primary_quote.lines"
    assert [row.key for row in lines.children.order_by("order")][:2] == ["line_item", "line_quantity"]
    assert lines.children.get(key="line_item").label == "lines/line_item"
    sales_order = ObjectMapping.objects.get(version=version, key="sales_order")
    assert sales_order.external_id == {"source": "Id"} and sales_order.mode == "upsert"


def test_it_seeds_idempotently(db: None) -> None:
    first = mapping_seed_defaults()
    again = mapping_seed_defaults()
    assert len(first) == len(DEFAULT_FLOWS) and again == []
    assert MappingVersion.objects.count() == len(DEFAULT_FLOWS)
    assert set(MappingVersion.objects.values_list("status", flat=True)) == {"published"}
