"""External ids per integration: prefixed with the namespace, the primary integration's unchanged."""

from __future__ import annotations

from sync.integrations.namespacing import eid_namespace_of, eid_namespaced, eid_raw, suiteql_owned


def test_a_namespace_prefixes_every_id_and_the_primary_leaves_it_alone() -> None:
    assert eid_namespaced("ACQ", "0065S0000000001QAA") == "ACQ-0065S0000000001QAA"
    assert eid_namespaced("ACQ", "BA-001-EUR") == "ACQ-BA-001-EUR"
    assert eid_namespaced("", "BA-001-EUR") == "BA-001-EUR"
    assert eid_namespaced("ACQ", "") == ""


def test_an_id_belongs_to_the_integration_whose_prefix_it_carries() -> None:
    assert eid_raw("ACQ", "ACQ-SUB-0QL1") == "SUB-0QL1"
    assert eid_raw("ACQ", "SUB-0QL1") is None
    assert eid_raw("ACQ", "ACQX-SUB-0QL1") is None
    assert eid_raw("", "SUB-0QL1", others=["ACQ"]) == "SUB-0QL1"
    assert eid_raw("", "ACQ-SUB-0QL1", others=["ACQ"]) is None
    assert eid_namespace_of("ACQ-SUB-0QL1", ["", "EU", "ACQ"]) == "ACQ"
    assert eid_namespace_of("SUB-0QL1", ["", "EU", "ACQ"]) == ""


def test_the_suiteql_condition_selects_one_integrations_records() -> None:
    assert suiteql_owned("ACQ", ["", "EU"]) == "externalid LIKE 'ACQ-%'"
    assert suiteql_owned("", ["ACQ", "EU", ""], column="t.externalid") == (
        "t.externalid NOT LIKE 'ACQ-%' AND t.externalid NOT LIKE 'EU-%'"
    )
    assert suiteql_owned("", []) == "1 = 1"
