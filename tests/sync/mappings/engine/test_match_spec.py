"""The ``match`` block of an object mapping: validated with the spec, shipped for customers and contacts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sync.mappings.engine import MappingValidationError, compile_mapping
from sync.mappings.engine.defaults import load_default, load_default_lookups
from sync.mappings.engine.spec import parse_spec
from sync.matching.engine import Candidate, MatchStatus, classify, subject_from_body
from sync.pipeline.prematch import match_configs
from tests.sync.mappings.engine.graphs import dataset_graphs
from tests.sync.mappings.engine.test_defaults import lookups, refs_for


def spec_with(match: Any, *, key: str = "customer", mode: str | None = None) -> dict[str, Any]:
    spec = copy.deepcopy(load_default("opportunity_to_netsuite"))
    obj = next(o for o in spec["objects"] if o["key"] == key)
    obj["match"] = match
    if mode:
        obj["mode"] = mode
    return spec


def match_problems_of(spec: dict[str, Any]) -> list[str]:
    _, problems = parse_spec(spec)
    return [p.message for p in problems if p.field == "match"]


def test_the_default_mapping_matches_customers_and_contacts() -> None:
    configs = match_configs(load_default("opportunity_to_netsuite"))
    assert {key: [k.kind for k in config.keys] for key, config in configs.items()} == {
        "customer": ["company_name", "email_domain"],
        "contact": ["email"],
    }
    parsed, problems = parse_spec(load_default("opportunity_to_netsuite"))
    assert not problems and parsed is not None
    assert next(o for o in parsed.objects if o.key == "customer").match == configs["customer"]


def test_the_default_keys_read_what_the_mapping_writes() -> None:
    """The key paths exist in the mapped bodies: a customer compares its own name and country with itself."""
    spec = load_default("opportunity_to_netsuite")
    configs = match_configs(spec)
    mapping = compile_mapping(spec, tables=set(load_default_lookups()))
    graph = dataset_graphs(accounts=3)[0][2]
    payloads = {
        p.object_key: p for p in mapping.apply(graph, refs=refs_for(graph), lookups=lookups()).payloads
    }
    body = payloads["customer"].to_json()
    subject = subject_from_body(config=configs["customer"], salesforce_id="001", external_id="001", body=body)
    assert subject.values["companyName"] == graph["Account"]["Name"]
    assert (
        subject.values["addressBook.items[0].addressBookAddress.country"]
        == graph["Account"]["BillingCountry"]
    )
    same = Candidate("customer", "9", "", body["companyName"], "", graph["Account"]["BillingCountry"])
    assert (
        classify(subject=subject, config=configs["customer"], candidates=[same]).status == MatchStatus.LINKED
    )
    contact = payloads["contact"].to_json()
    contact_subject = subject_from_body(
        config=configs["contact"], salesforce_id="003", external_id="003", body=contact
    )
    assert contact_subject.values["email"]


@pytest.mark.parametrize(
    ("match", "key", "mode", "message"),
    [
        ({"keys": []}, "customer", None, "non-empty list"),
        (
            {"keys": [{"kind": "company_name", "name": "companyName"}]},
            "contact",
            None,
            "cannot be matched by",
        ),
        ({"keys": [{"kind": "email", "email": "bad path!"}]}, "customer", None, "email email"),
        (
            {"keys": [{"kind": "email", "email": "email"}]},
            "sales_order",
            None,
            "not available for 'salesOrder'",
        ),
        ({"keys": [{"kind": "email", "email": "email"}]}, "customer", "update_only", "needs mode 'upsert'"),
    ],
)
def test_it_refuses_a_bad_match_block(match: Any, key: str, mode: str | None, message: str) -> None:
    spec = spec_with(match, key=key, mode=mode)
    assert any(message in problem for problem in match_problems_of(spec)), match_problems_of(spec)
    with pytest.raises(MappingValidationError):
        compile_mapping(spec, tables=set(load_default_lookups()))
