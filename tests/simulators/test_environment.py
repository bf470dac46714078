"""What each simulator answers as: a sandbox (the default, as the demo's connections expect) or production."""

from __future__ import annotations

from pathlib import Path

import requests

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce import login
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from tests.simulators.conftest import https_session


def _token(session: requests.Session, running: RunningSimulator) -> tuple[str, str]:
    body = login.password_token(session, running.url)
    return body["instance_url"], body["access_token"]


def _is_sandbox(session: requests.Session, running: RunningSimulator) -> object:
    instance, token = _token(session, running)
    answer = session.get(
        instance + "/services/data/v60.0/query/",
        params={"q": "SELECT Id, IsSandbox FROM Organization LIMIT 1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    (row,) = answer.json()["records"]
    assert row["attributes"]["type"] == "Organization" and row["Id"].startswith("00D")
    return row["IsSandbox"]


def test_the_salesforce_org_is_a_sandbox_by_default_and_can_answer_as_production(
    salesforce_sim: RunningSimulator,
) -> None:
    session = https_session(salesforce_sim.ca_file)
    assert _is_sandbox(session, salesforce_sim) is True
    control = salesforce_sim.url + "/_control/salesforce/organization"
    assert session.patch(control, json={"IsSandbox": "no"}).status_code == 400
    assert session.patch(control, json={"IsSandbox": False}).json()["IsSandbox"] is False
    assert _is_sandbox(session, salesforce_sim) is False
    session.patch(control, json={"IsSandbox": True}).raise_for_status()
    assert _is_sandbox(session, salesforce_sim) is True


def test_the_salesforce_environment_flag_sets_it_at_start_and_the_api_cannot_change_it(
    tmp_path: Path,
) -> None:
    running = start_in_thread(SALESFORCE_SPEC, tmp_path / "sf", environment="production")
    try:
        session = https_session(running.ca_file)
        assert _is_sandbox(session, running) is False
        instance, token = _token(session, running)
        refused = session.post(
            instance + "/services/data/v60.0/sobjects/Organization/",
            json={"Name": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refused.status_code >= 400
    finally:
        running.stop()


def test_the_netsuite_account_id_says_what_it_answers_as(
    tmp_path: Path, netsuite_sim: RunningSimulator
) -> None:
    session = https_session(netsuite_sim.ca_file)
    summary = session.get(netsuite_sim.url + "/_control/netsuite").json()
    assert (summary["account_id"], summary["environment"]) == ("1234567_SB1", "sandbox")
    production = start_in_thread(NETSUITE_SPEC, tmp_path / "ns", account_id="1234567")
    try:
        summary = https_session(production.ca_file).get(production.url + "/_control/netsuite").json()
        assert (summary["account_id"], summary["environment"]) == ("1234567", "production")
    finally:
        production.stop()
