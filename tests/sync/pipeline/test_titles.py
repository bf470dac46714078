"""Exception titles written for finance (sync/pipeline/titles.py): unit tests on the shipped mapping."""

from __future__ import annotations

from typing import Any

from sync.mappings.engine.defaults import load_default
from sync.pipeline.titles import FailedRow, TitleContext, mapping_failure_title, problem_of

SPEC = load_default("opportunity_to_netsuite")
GRAPH: dict[str, Any] = {
    "Id": "006000000000001AAA",
    "Name": "Acme renewal 2027",
    "Account": {"Id": "001000000000001AAA", "Name": "Acme SARL", "BillingCountry": "FR"},
    "OpportunityContactRoles": {
        "records": [{"Id": "00K000000000001AAA", "Contact": {"Id": "003", "Name": "Claire Dubois"}}]
    },
}
CONTEXT = TitleContext(graph=GRAPH, spec=SPEC)


def title(object_key: str, field_id: str, source_id: str, message: str, context: Any = CONTEXT) -> str:
    return mapping_failure_title(FailedRow(object_key, field_id, source_id, message), context, GRAPH["Id"])


def test_it_says_a_lookup_miss_in_finance_words() -> None:
    engine = "customer / subsidiary / subsidiary.id: no 'FR' in lookup table 'country_to_subsidiary'"
    assert (
        title("customer", "subsidiary", "001000000000001AAA", engine)
        == "Account Acme SARL: no NetSuite subsidiary for billing country FR"
    )
    currency = "customer / currency / currency.id: no 'CHF' in lookup table 'currency_code_to_id'"
    assert (
        title("customer", "currency", "001", currency)
        == "Account Acme SARL: no NetSuite currency for currency CHF"
    )


def test_it_names_the_list_member_that_failed_and_an_empty_required_value() -> None:
    engine = "contact / email / email: required value is empty"
    spec = {
        "target_system": "netsuite",
        "objects": [
            {
                "key": "contact",
                "for_each": "OpportunityContactRoles",
                "fields": [{"id": "email", "target": "email", "source": "Contact.Email", "required": True}],
            }
        ],
    }
    words = title("contact", "email", "00K000000000001AAA", engine, TitleContext(graph=GRAPH, spec=spec))
    assert words == "Contact Claire Dubois: no email (the NetSuite email needs one)"


def test_without_the_graph_it_names_the_opportunity_and_drops_the_engine_path() -> None:
    engine = (
        "customer / subsidiary / subsidiary.id: no 'FR' in lookup table 'country_to_subsidiary'; x / y: z"
    )
    assert problem_of(engine) == "no 'FR' in lookup table 'country_to_subsidiary'"
    assert (
        title("customer", "subsidiary", "001", engine, None)
        == "Opportunity 006000000000001AAA: no 'FR' in lookup table 'country_to_subsidiary'"
    )
    # An object the mapping does not have (a change order of the life cycle): the opportunity, by name.
    assert (
        title("change_order", "", "", "the contract has no order")
        == "Opportunity Acme renewal 2027: the contract has no order"
    )


def test_a_problem_it_has_no_words_for_keeps_its_own_after_the_field() -> None:
    engine = "customer / company_name / companyName: cannot parse 12 as text"
    assert title("customer", "company_name", "001", engine) == (
        "Account Acme SARL: NetSuite company name: cannot parse 12 as text"
    )
