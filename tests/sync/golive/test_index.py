"""The scan's candidate index: each Salesforce record meets only the NetSuite records sharing a key."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from sync.golive.match import CandidateIndex, object_plans
from sync.mappings.services.seed import mapping_seed_defaults
from sync.matching.domains import generic_domain_add
from sync.matching.engine import MatchSubject, classify, parse_match

CUSTOMER = parse_match(
    {
        "keys": [
            {"kind": "company_name", "name": "Name", "country": "BillingCountry"},
            {"kind": "email_domain", "email": "Website"},
        ]
    }
)


def _row(netsuite_id: int, name: str, email: str = "", external_id: str = "") -> dict[str, object]:
    return {
        "id": str(netsuite_id),
        "companyname": name,
        "email": email,
        "externalid": external_id,
        "country": "US",
    }


def test_it_finds_only_the_records_that_share_a_key() -> None:
    index = CandidateIndex("customer", CUSTOMER.keys)
    for n in range(2000):
        index.add(_row(n, f"Company{n} Holdings", email=f"ap@company{n}.example"))
    index.add(_row(5001, "ACME, Inc."))
    index.add(_row(5002, "Acme Robotics"))  # same first word: a near name, found too
    index.add(_row(5003, "Other Name", email="billing@acme.example"))  # same domain as the website
    index.add(_row(5004, "Acme", external_id="001OTHER"))
    subject = MatchSubject(
        "001A", "001A", {"Name": "Acme Inc", "BillingCountry": "DE", "Website": "https://www.acme.example"}
    )

    found = {candidate.netsuite_id for candidate in index.candidates(subject)}
    assert found == {"5001", "5002", "5003", "5004"}  # the same name in another country is not exact
    assert index.size == 2004 and index.by_external_id["001OTHER"].netsuite_id == "5004"


def test_an_exact_name_without_an_external_id_decides_and_nothing_else_is_searched() -> None:
    index = CandidateIndex("customer", CUSTOMER.keys)
    index.add(_row(5001, "ACME, Inc."))
    index.add(_row(5002, "Acme Robotics"))  # near: no longer needed
    index.add(_row(5003, "Other Name", email="billing@acme.example"))  # by the later domain key: neither
    index.add(_row(5004, "Acme", external_id="001OTHER"))  # of the same name: given, classify drops it
    index.add(_row(5005, "Acme Corp", external_id="001B"))  # carries another subject's id
    values = {"Name": "Acme Inc", "BillingCountry": "US", "Website": "https://www.acme.example"}
    linked = MatchSubject("001A", "001A", values)
    assert {c.netsuite_id for c in index.candidates(linked)} == {"5001", "5004", "5005"}
    # The record carrying the subject's own id decides before any key: everything is searched.
    own = MatchSubject("001B", "001B", values)
    assert {c.netsuite_id for c in index.candidates(own)} == {"5001", "5002", "5003", "5004", "5005"}
    for subject in (linked, own):
        assert classify(subject=subject, config=CUSTOMER, candidates=index.candidates(subject)) == classify(
            subject=subject, config=CUSTOMER, candidates=index.candidates(subject, exhaustive=True)
        )


def test_a_record_without_key_values_has_no_candidates() -> None:
    index = CandidateIndex("customer", CUSTOMER.keys)
    index.add(_row(1, "Acme"))
    assert index.candidates(MatchSubject("001B", "001B", {"Name": "", "Website": None})) == []


@pytest.mark.django_db
def test_the_scan_reads_the_operators_generic_domains_and_finds_nothing_by_them(revops: User) -> None:
    mapping_seed_defaults()
    generic_domain_add(user=revops, domain="acme.example", reason="a shared reseller mailbox")
    _, plans = object_plans()
    config = next(plan.config for plan in plans if plan.netsuite_type == "customer")
    assert config.generic_domains == frozenset({"acme.example"})
    index = CandidateIndex("customer", CUSTOMER.keys, config.generic_domains)
    index.add(_row(5003, "Other Name", email="billing@acme.example"))
    subject = MatchSubject("001A", "001A", {"Name": "Wayne", "Website": "https://www.acme.example"})
    assert index.candidates(subject) == []


def test_a_record_is_shown_by_its_name_or_its_person_s_names() -> None:
    from sync.golive.match import display_name

    for record, shown in (
        ({"Name": "Acme", "FirstName": "Jane"}, "Acme"),
        ({"Name": "", "FirstName": "Jane", "LastName": "Doe"}, "Jane Doe"),
        ({"FirstName": "Zoë", "LastName": None}, "Zoë"),
        ({"FirstName": "", "LastName": "Doe"}, "Doe"),
        ({"Name": None}, ""),
        ({"FirstName": 7, "LastName": 8}, "7 8"),
    ):
        assert display_name(record) == shown
        assert shown == (
            str(record["Name"])
            if record.get("Name")
            else " ".join(str(record[k]) for k in ("FirstName", "LastName") if record.get(k))
        )
