"""Limits, errors and governance in the Salesforce simulator, as simple-salesforce sees them."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from simulators.core.runner import RunningSimulator
from simulators.salesforce import login
from tests.simulators.conftest import https_session

# simple-salesforce resolves sObject attributes (sf.Account) dynamically: its type stubs cannot follow.
Client = Any


def _body(raised: pytest.ExceptionInfo[Any]) -> Any:
    """The decoded JSON error body (simple-salesforce types ``content`` as bytes)."""
    return raised.value.content


@pytest.fixture
def control(salesforce_sim: RunningSimulator) -> requests.Session:
    return https_session(salesforce_sim.ca_file)


@pytest.fixture
def sf(salesforce_sim: RunningSimulator) -> Client:
    session = https_session(salesforce_sim.ca_file)
    token = login.password_token(session, salesforce_sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


def test_it_reports_api_usage_in_limits_and_on_every_response(sf: Client) -> None:
    before = sf.limits()["DailyApiRequests"]
    assert before["Max"] == 100_000
    sf.query("SELECT Id FROM Account")
    after = sf.limits()["DailyApiRequests"]
    assert before["Remaining"] - after["Remaining"] == 2
    usage = sf.api_usage["api-usage"]
    assert (usage.used, usage.total) == (before["Max"] - after["Remaining"], 100_000)
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Nope FROM Account")
    assert raised.value.status == 400


def test_it_refuses_requests_over_the_daily_limit(
    sf: Client, salesforce_sim: RunningSimulator, control: requests.Session
) -> None:
    control.patch(salesforce_sim.url + "/_control/salesforce/api-usage", json={"used": 10, "max": 10})
    with pytest.raises(SalesforceRefusedRequest) as raised:
        sf.query("SELECT Id FROM Account")
    assert _body(raised) == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    stats = control.get(salesforce_sim.url + "/_control/salesforce/stats").json()
    assert stats["counters"]["refused_request_limit"] == 1 and stats["api_usage"] == {"used": 10, "max": 10}
    control.patch(salesforce_sim.url + "/_control/salesforce/api-usage", json={"max": 1000})
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


@pytest.mark.parametrize(
    ("fault", "status", "code", "exception"),
    [
        ("429", 403, "REQUEST_LIMIT_EXCEEDED", SalesforceRefusedRequest),
        ("500", 500, "UNKNOWN_EXCEPTION", SalesforceGeneralError),
        ("503", 503, "SERVER_UNAVAILABLE", SalesforceGeneralError),
    ],
)
def test_it_injects_faults_in_salesforce_words(
    sf: Client,
    salesforce_sim: RunningSimulator,
    control: requests.Session,
    fault: str,
    status: int,
    code: str,
    exception: type[SalesforceError],
) -> None:
    control.patch(salesforce_sim.url + "/_control/governance", json={"fault_rate": 1, "fault_kinds": [fault]})
    with pytest.raises(exception) as raised:
        sf.Account.create({"Name": "never"})
    assert raised.value.status == status
    assert _body(raised)[0]["errorCode"] == code
    control.patch(salesforce_sim.url + "/_control/governance", json={"fault_rate": 0})
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_it_refuses_work_over_the_concurrency_limit(
    salesforce_sim: RunningSimulator, control: requests.Session
) -> None:
    control.patch(
        salesforce_sim.url + "/_control/governance", json={"concurrency_limit": 1, "latency_ms": 300}
    )
    headers = login.bearer_headers(control, salesforce_sim.url)
    answers: list[requests.Response] = []

    def call() -> None:
        answers.append(
            https_session(salesforce_sim.ca_file).get(
                salesforce_sim.url + "/services/data/v62.0/limits/", headers=headers
            )
        )

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [answer for answer in answers if answer.status_code == 403]
    assert refused and any(answer.status_code == 200 for answer in answers)
    assert refused[0].json()[0] == {
        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
    stats = control.get(salesforce_sim.url + "/_control/stats").json()
    assert stats["counters"]["refused_concurrency"] == len(refused)


def test_it_maps_statuses_to_simple_salesforce_exceptions(sf: Client) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get("001000000000001AAA")
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("nothing/here")
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.create({"Nam": "typo"})
    assert _body(raised)[0]["errorCode"] == "INVALID_FIELD"


def test_it_lists_updated_ids_within_30_days(sf: Client) -> None:
    now = dt.datetime.now(dt.UTC)
    created = sf.Account.create({"Name": "Recent"})["id"]
    answer = sf.Account.updated(now - dt.timedelta(days=1), now + dt.timedelta(minutes=2))
    assert answer["ids"] == [created]
    assert answer["latestDateCovered"] <= dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.999+0000")
    earlier = sf.Account.updated(now - dt.timedelta(days=1), now - dt.timedelta(hours=1))
    assert earlier["ids"] == [] and earlier["latestDateCovered"].endswith(":00.000+0000")
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.updated(now - dt.timedelta(days=31), now)
    assert _body(raised)[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    sf.Account.delete(created)
    gone = sf.Account.deleted(now - dt.timedelta(days=1), now + dt.timedelta(minutes=2))
    assert [entry["id"] for entry in gone["deletedRecords"]] == [created]


def test_it_counts_what_it_served_refused_and_failed(
    sf: Client, salesforce_sim: RunningSimulator, control: requests.Session
) -> None:
    sf.limits()
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT")
    summary = control.get(salesforce_sim.url + "/_control/salesforce").json()
    assert summary["counters"]["status_2xx"] >= 1 and summary["counters"]["status_4xx"] >= 1
    assert summary["counters"]["token_issued"] == 1
    assert summary["records"]["User"] == 1 and summary["records"]["Pricebook2"] == 1
