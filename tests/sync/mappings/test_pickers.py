"""Field pickers: source paths walked from the opportunity graph's metadata, target fields of the record
type or of a group's sublist, relative to the row's place, filtered by what is typed."""

from __future__ import annotations

from sync.connections.metadata.types import SystemMetadata
from sync.mappings.pickers import FieldChoice, matching, source_choices, target_choices
from tests.sync.mappings.editor_support import netsuite_metadata, salesforce_metadata


def _values(choices: list[FieldChoice]) -> list[str]:
    return [choice.value for choice in choices]


def test_it_offers_the_opportunity_graph_from_the_root() -> None:
    values = _values(source_choices(salesforce_metadata(), "Opportunity", ()))
    assert {"Name", "Account.Region__c", "primary_quote.SBQQ__StartDate__c"} <= set(values)
    # Fields of every item of a list are no single value at the root.
    assert not [
        value for value in values if value.startswith(("OpportunityContactRoles", "primary_quote.lines"))
    ]


def test_it_offers_paths_relative_to_the_record_mapped_first_then_from_the_root() -> None:
    values = _values(source_choices(salesforce_metadata(), "Opportunity", ("primary_quote", "lines")))
    assert values[:3] == ["SBQQ__Product__c", "SBQQ__ProductCode__c", "SBQQ__Quantity__c"]
    assert {"SBQQ__Product__r.Tax_Code__c", "$.Account.Region__c", "$.Name"} <= set(values)
    roles = _values(source_choices(salesforce_metadata(), "Opportunity", ("OpportunityContactRoles",)))
    assert {"Contact.Email", "ContactId", "$.Account.Name"} <= set(roles)


def test_it_offers_no_quote_in_an_org_without_cpq() -> None:
    full = salesforce_metadata()
    objects = {name: obj for name, obj in full.objects.items() if not name.startswith("SBQQ__")}
    values = _values(source_choices(SystemMetadata("salesforce", objects), "Opportunity", ()))
    assert "Account.Region__c" in values and not [v for v in values if v.startswith("primary_quote")]


def test_it_offers_writable_target_fields_and_a_groups_sublist_fields() -> None:
    values = _values(target_choices(netsuite_metadata(), "customer", None))
    assert "custentity_region" in values and "subsidiary.id" in values and "id" not in values

    class Group:
        target = "item.items[]"

    lines = _values(target_choices(netsuite_metadata(), "salesOrder", Group()))  # type: ignore[arg-type]
    assert set(lines) == {"item.id", "quantity", "rate", "custcol_revenue_treatment"}


def test_it_filters_by_every_word_typed_best_first() -> None:
    choices = source_choices(salesforce_metadata(), "Opportunity", ("Account",))
    found = matching(choices, "region")
    assert [c.value for c in found.choices] == ["Region__c"]
    assert found.choices[0].label == "Sales Region" and found.choices[0].custom
    assert matching(choices, "sales region").total >= 1
    assert matching(choices, "zzz").total == 0
