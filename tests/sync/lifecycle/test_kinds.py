from __future__ import annotations

import pytest

from sync.lifecycle.kinds import AMENDMENT, NEW, RENEWAL, contract_of, deal_kind


@pytest.mark.parametrize(
    ("graph", "kind"),
    [
        ({"Id": "006A"}, NEW),
        ({"Id": "006A", "primary_quote": {"SBQQ__Type__c": "Quote"}}, NEW),
        ({"Id": "006A", "SBQQ__AmendedContract__c": "800A"}, AMENDMENT),
        ({"Id": "006A", "primary_quote": {"SBQQ__Type__c": "Amendment"}}, AMENDMENT),
        ({"Id": "006A", "SBQQ__RenewedContract__c": "800A"}, RENEWAL),
        ({"Id": "006A", "primary_quote": {"SBQQ__Type__c": "Renewal"}}, RENEWAL),
        ({"Id": "006A", "primary_quote": None}, NEW),
    ],
)
def test_deal_kind(graph: dict[str, object], kind: str) -> None:
    assert deal_kind(graph) == kind


def test_contract_of_names_the_amended_or_renewed_contract() -> None:
    assert contract_of({"SBQQ__AmendedContract__c": "800A"}) == "800A"
    assert contract_of({"SBQQ__RenewedContract__c": "800B"}) == "800B"
    assert contract_of({}) == ""
