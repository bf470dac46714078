"""sObject Collections in the Salesforce simulator: 200 records per call, per-record results, allOrNone."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulators.core.runner import RunningSimulator
from simulators.salesforce import login
from tests.simulators.conftest import https_session

# simple-salesforce resolves sObject attributes (sf.Account) dynamically: its type stubs cannot follow.
Client = Any


def _body(raised: pytest.ExceptionInfo[Any]) -> Any:
    """The decoded JSON error body (simple-salesforce types ``content`` as bytes)."""
    return raised.value.content


ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"


@pytest.fixture
def sf(salesforce_sim: RunningSimulator) -> Client:
    session = https_session(salesforce_sim.ca_file)
    token = login.password_token(session, salesforce_sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


def _accounts(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"attributes": {"type": "Account"}, "Name": f"Account {n}", **extra} for n in range(count)]


def _count(sf: Client, sobject: str = "Account") -> int:
    return int(sf.query(f"SELECT COUNT() FROM {sobject}")["totalSize"])  # noqa: S608 - SOQL, not SQL


def test_it_creates_200_records_and_answers_in_request_order(sf: Client) -> None:
    records = _accounts(199) + [{"attributes": {"type": "Contact"}, "LastName": "Mixed types are fine"}]
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert isinstance(results, list) and len(results) == 200
    assert all(result["success"] and result["errors"] == [] for result in results)
    assert [result["id"][:3] for result in results] == ["001"] * 199 + ["003"]
    assert _count(sf) == 199


def test_it_refuses_more_than_200_records(sf: Client) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.restful("composite/sobjects", method="POST", json={"records": _accounts(201)})
    assert _body(raised)[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert _count(sf) == 0


def test_it_reports_each_failure_and_keeps_the_rest_without_all_or_none(sf: Client) -> None:
    records = _accounts(2) + [{"attributes": {"type": "Account"}, "Phone": "no name"}]
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [result["success"] for result in results] == [True, True, False]
    assert results[2] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert _count(sf) == 2


def test_it_rolls_everything_back_with_all_or_none(sf: Client) -> None:
    records = _accounts(1) + [{"attributes": {"type": "Account"}, "Name": "x", "Bogus__c": 1}] + _accounts(1)
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    assert [result["success"] for result in results] == [False, False, False]
    assert results[0]["errors"][0]["statusCode"] == ROLLED_BACK and "id" not in results[0]
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert _count(sf) == 0


def test_it_updates_records_and_names_the_failing_one(sf: Client) -> None:
    created = sf.restful("composite/sobjects", method="POST", json={"records": _accounts(2)})
    first, second = (result["id"] for result in created)
    updates = [
        {"attributes": {"type": "Account"}, "id": first, "Phone": "1"},
        {"attributes": {"type": "Account"}, "id": second, "Name": None},
    ]
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": True, "records": updates})
    assert results[0] == {"id": first, "success": False, "errors": [results[0]["errors"][0]]}
    assert results[0]["errors"][0]["statusCode"] == ROLLED_BACK
    assert results[1]["id"] == second and results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.Account.get(first)["Phone"] is None
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": updates[:1]})
    assert results == [{"id": first, "success": True, "errors": []}]
    assert sf.Account.get(first)["Phone"] == "1"


def test_it_upserts_by_external_id_and_says_which_were_created(sf: Client) -> None:
    sf.Account.create({"Name": "Existing", "NetSuite_Id__c": "C-1"})
    records = [
        {"attributes": {"type": "Account"}, "NetSuite_Id__c": "C-1", "Name": "Existing, renamed"},
        {"attributes": {"type": "Account"}, "NetSuite_Id__c": "C-2", "Name": "New"},
    ]
    results = sf.restful(
        "composite/sobjects/Account/NetSuite_Id__c",
        method="PATCH",
        json={"allOrNone": False, "records": records},
    )
    assert [(result["success"], result["created"]) for result in results] == [(True, False), (True, True)]
    assert sf.Account.get_by_custom_id("NetSuite_Id__c", "C-1")["Name"] == "Existing, renamed"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.restful("composite/sobjects/Account/Name", method="PATCH", json={"records": records})
    assert "does not match an External ID" in _body(raised)[0]["message"]


def test_it_reports_duplicate_external_ids_per_record(sf: Client) -> None:
    for name in ("One", "Two"):
        sf.Contact.create({"LastName": name, "Legacy_Id__c": "L-7"})
    results = sf.restful(
        "composite/sobjects/Contact/Legacy_Id__c",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Contact"}, "Legacy_Id__c": "L-7", "Title": "CTO"}]},
    )
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"


def test_it_retrieves_and_deletes_by_ids(sf: Client) -> None:
    created = [
        r["id"] for r in sf.restful("composite/sobjects", method="POST", json={"records": _accounts(3)})
    ]
    missing = "001000000000001AAA"
    answer = sf.restful(
        "composite/sobjects/Account", params={"ids": ",".join([*created, missing]), "fields": "Id,Name"}
    )
    assert answer is not None
    assert [record and record["Name"] for record in answer] == ["Account 0", "Account 1", "Account 2", None]
    deleted = sf.restful(
        "composite/sobjects", method="DELETE", params={"ids": ",".join([created[0], missing])}
    )
    assert deleted[0] == {"id": created[0], "success": True, "errors": []}
    assert (
        deleted[1]["success"] is False
        and deleted[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    )
    assert _count(sf) == 2
