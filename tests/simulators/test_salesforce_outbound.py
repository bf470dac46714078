"""Outbound messages from the Salesforce simulator to a tiny local SOAP listener."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
import requests
from defusedxml import ElementTree
from simple_salesforce import Salesforce

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce import login
from simulators.salesforce.org import DEFAULT_ORG_ID
from simulators.salesforce.spec import SPEC
from simulators.salesforce.store import database_path
from tests.simulators.conftest import https_session

# simple-salesforce resolves sObject attributes (sf.Account) dynamically: its type stubs cannot follow.
Client = Any

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
OUT = "{http://soap.sforce.com/2005/09/outbound}"
SF = "{urn:sobject.enterprise.soap.sforce.com}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
ACK = (
    b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
    b'envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true'
    b"</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
)
NO_ACK = ACK.replace(b"<Ack>true</Ack>", b"<Ack>false</Ack>")


class Listener:
    """Records every POST; answers the acknowledgement, or fails while ``failures`` is above zero."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, str], bytes]] = []
        self.failures = 0
        self.lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with listener.lock:
                    listener.messages.append((dict(self.headers), body))
                    failing = listener.failures != 0
                    if listener.failures > 0:
                        listener.failures -= 1
                    odd = len(listener.messages) % 2 == 1
                # Failures alternate between an HTTP error and a 200 whose body does not acknowledge.
                status, answer = (200, ACK) if not failing else ((500, b"boom") if odd else (200, NO_ACK))
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/concord/outbound"

    def notifications(self) -> list[Element]:
        with self.lock:
            bodies = [body for _, body in self.messages]
        return [n for body in bodies for n in ElementTree.fromstring(body).iter(f"{OUT}Notification")]


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.server.shutdown()
    running.server.server_close()


def _start(data_dir: Path, scale: float = 0.0005) -> RunningSimulator:
    return start_in_thread(SPEC, data_dir, outbound_time_scale=scale)


@pytest.fixture
def sim(simulator_dir: Path) -> Iterator[RunningSimulator]:
    running = _start(simulator_dir)
    yield running
    running.stop()


def client(sim: RunningSimulator) -> Client:
    session = https_session(sim.ca_file)
    token = login.password_token(session, sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


def add_rule(sim: RunningSimulator, listener: Listener, **extra: Any) -> dict[str, Any]:
    rule = {
        "name": "Closed Won to Concord",
        "object": "Opportunity",
        "field": "StageName",
        "operator": "equals",
        "value": "Closed Won",
        "endpoint_url": listener.url,
        "fields": ["Id", "Name", "StageName", "Amount", "IsWon", "CloseDate", "SystemModstamp", "AccountId"],
        **extra,
    }
    answer = https_session(sim.ca_file).post(sim.url + "/_control/salesforce/outbound-rules", json=rule)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def wait_for(condition: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def status(sim: RunningSimulator) -> dict[str, Any]:
    return dict(https_session(sim.ca_file).get(sim.url + "/_control/salesforce/outbound").json())


def _opportunity(sf: Client, stage: str, amount: float = 1000) -> str:
    body = {"Name": "Deal", "StageName": stage, "CloseDate": "2026-06-30", "Amount": amount}
    return str(sf.Opportunity.create(body)["id"])


def test_it_posts_the_real_envelope_when_a_record_comes_to_meet_the_rule(
    sim: RunningSimulator, listener: Listener
) -> None:
    rule = add_rule(sim, listener)
    sf = client(sim)
    opportunity_id = _opportunity(sf, "Prospecting")
    sf.Opportunity.update(opportunity_id, {"Amount": 1200})
    sf.Opportunity.update(opportunity_id, {"StageName": "Closed Won"})
    wait_for(lambda: len(listener.messages) == 1)
    headers, body = listener.messages[0]
    assert headers["Content-Type"] == "text/xml; charset=utf-8" and headers["SOAPAction"] == '""'
    root = ElementTree.fromstring(body)
    assert root.tag == f"{SOAP}Envelope"
    notifications = root.find(f"{SOAP}Body/{OUT}notifications")
    assert notifications is not None
    assert notifications.findtext(f"{OUT}OrganizationId") == DEFAULT_ORG_ID
    assert notifications.findtext(f"{OUT}ActionId") == rule["id"] and rule["id"].startswith("04k")
    session = notifications.find(f"{OUT}SessionId")
    assert session is not None and session.get(f"{XSI}nil") == "true"
    enterprise = notifications.findtext(f"{OUT}EnterpriseUrl") or ""
    assert enterprise == f"{sim.url}/services/Soap/c/62.0/{DEFAULT_ORG_ID[:15]}"
    assert (notifications.findtext(f"{OUT}PartnerUrl") or "").endswith(
        f"/services/Soap/u/62.0/{DEFAULT_ORG_ID[:15]}"
    )
    (notification,) = notifications.findall(f"{OUT}Notification")
    assert (notification.findtext(f"{OUT}Id") or "").startswith("04l")
    sobject = notification.find(f"{OUT}sObject")
    assert sobject is not None and sobject.get(f"{XSI}type") == "sf:Opportunity"
    values = {child.tag.replace(SF, ""): child.text for child in sobject}
    assert list(values)[0] == "Id" and values["Id"] == opportunity_id
    assert (values["StageName"], values["IsWon"], values["Amount"], values["CloseDate"]) == (
        "Closed Won",
        "true",
        "1200.0",
        "2026-06-30",
    )
    assert (values["SystemModstamp"] or "").endswith("Z") and "AccountId" not in values  # nulls are left out
    sf.Opportunity.update(opportunity_id, {"Amount": 1300})  # still matching: no new notification
    time.sleep(0.2)
    assert len(listener.messages) == 1
    assert status(sim)["delivered"] == 1


def test_it_fires_again_only_after_the_record_stopped_matching(
    sim: RunningSimulator, listener: Listener
) -> None:
    add_rule(sim, listener)
    sf = client(sim)
    opportunity_id = _opportunity(sf, "Closed Won")  # created matching: fires
    wait_for(lambda: len(listener.notifications()) == 1)
    sf.Opportunity.update(opportunity_id, {"StageName": "Closed Lost"})
    sf.Opportunity.update(opportunity_id, {"StageName": "Closed Won"})
    wait_for(lambda: len(listener.notifications()) == 2)
    ids = {n.findtext(f"{OUT}Id") for n in listener.notifications()}
    assert len(ids) == 2


def test_it_batches_at_most_100_notifications_per_message(sim: RunningSimulator, listener: Listener) -> None:
    add_rule(sim, listener)
    sf = client(sim)
    records = [
        {
            "attributes": {"type": "Opportunity"},
            "Name": f"D{n}",
            "StageName": "Closed Won",
            "CloseDate": "2026-06-30",
        }
        for n in range(150)
    ]
    results = sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert results is not None and all(result["success"] for result in results)
    wait_for(lambda: len(listener.notifications()) == 150)
    sizes = [
        len(ElementTree.fromstring(body).findall(f".//{OUT}Notification")) for _, body in listener.messages
    ]
    assert sizes == [100, 50]
    assert len({n.findtext(f"{OUT}Id") for n in listener.notifications()}) == 150


def test_it_retries_until_acknowledged_and_sends_the_latest_values(
    sim: RunningSimulator, listener: Listener
) -> None:
    add_rule(sim, listener, send_session_id=True)
    listener.failures = 2  # first an HTTP 500, then a 200 without <Ack>true</Ack>
    sf = client(sim)
    opportunity_id = _opportunity(sf, "Closed Won", amount=10)
    wait_for(lambda: len(listener.messages) >= 1)
    sf.Opportunity.update(opportunity_id, {"Amount": 20})
    wait_for(lambda: status(sim)["delivered"] == 1)
    assert len(listener.messages) == 3
    ids = {n.findtext(f"{OUT}Id") for n in listener.notifications()}
    assert len(ids) == 1
    last = listener.notifications()[-1]
    assert last.findtext(f"{OUT}sObject/{SF}Amount") == "20.0"
    session_id = ElementTree.fromstring(listener.messages[-1][1]).findtext(f".//{OUT}SessionId") or ""
    answer = requests.Session()
    answer.trust_env = False
    limits = answer.get(
        sim.url + "/services/data/v62.0/limits/",
        headers={"Authorization": f"Bearer {session_id}"},
        verify=sim.ca_file,
    )
    assert limits.status_code == 200  # the session id in the message is a live session
    entry = status(sim)["notifications"][0]
    assert (entry["status"], entry["attempts"], entry["last_error"]) == ("delivered", 3, None)


def test_it_resumes_pending_deliveries_after_a_restart(simulator_dir: Path, listener: Listener) -> None:
    first = _start(simulator_dir, scale=0.01)
    add_rule(first, listener)
    listener.failures = -1  # fail until told otherwise
    _opportunity(client(first), "Closed Won")
    wait_for(lambda: len(listener.messages) >= 1)
    first.stop()
    assert status_pending(simulator_dir) == 1
    listener.failures = 0
    second = _start(simulator_dir, scale=0.01)
    try:
        wait_for(lambda: status(second)["delivered"] == 1)
    finally:
        second.stop()


def status_pending(data_dir: Path) -> int:
    with sqlite3.connect(database_path(data_dir)) as connection:
        return int(
            connection.execute(
                "SELECT COUNT(*) FROM _outbound_notification WHERE status = 'pending'"
            ).fetchone()[0]
        )


def test_it_drops_a_notification_after_the_cut_off(simulator_dir: Path, listener: Listener) -> None:
    sim = _start(simulator_dir, scale=0.00002)  # 24 hours become 1.7 seconds
    try:
        add_rule(sim, listener)
        listener.failures = -1
        _opportunity(client(sim), "Closed Won")
        wait_for(lambda: status(sim)["dropped"] == 1)
        entry = status(sim)["notifications"][0]
        assert entry["attempts"] >= 3 and entry["last_error"]
        attempts = len(listener.messages)
        time.sleep(0.2)
        assert len(listener.messages) == attempts  # no more tries once dropped
    finally:
        sim.stop()


def test_it_validates_lists_and_deletes_rules(sim: RunningSimulator, listener: Listener) -> None:
    control = https_session(sim.ca_file)
    url = sim.url + "/_control/salesforce/outbound-rules"
    bad = control.post(url, json={"object": "Nope", "field": "X", "value": 1, "endpoint_url": listener.url})
    assert bad.status_code == 400 and "unknown object" in bad.json()["error"]
    bad = control.post(
        url, json={"object": "Opportunity", "field": "StageName", "value": "x", "endpoint_url": "ftp:"}
    )
    assert bad.status_code == 400
    rule = add_rule(sim, listener)
    assert [r["id"] for r in control.get(url).json()] == [rule["id"]]
    assert control.delete(f"{url}/{rule['id']}").status_code == 204
    assert control.get(url).json() == []
    _opportunity(client(sim), "Closed Won")
    time.sleep(0.2)
    assert listener.messages == []


def test_it_has_a_send_to_netsuite_checkbox_that_fires_a_rule_each_time_it_is_ticked(
    sim: RunningSimulator, listener: Listener
) -> None:
    """The checkbox an admin adds for a checkbox trigger: a boolean custom field, false by default,
    queryable in SOQL, and an outbound rule on it being true fires each time it comes to be ticked."""
    sf = client(sim)
    described = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    field = described["Send_to_NetSuite__c"]
    assert (field["type"], field["custom"], field["updateable"]) == ("boolean", True, True)
    add_rule(sim, listener, field="Send_to_NetSuite__c", value="true", fields=["Id", "Send_to_NetSuite__c"])
    opportunity_id = _opportunity(sf, "Prospecting")
    ticked = f"SELECT Id FROM Opportunity WHERE Send_to_NetSuite__c = true AND Id = '{opportunity_id}'"  # noqa: S608
    assert sf.Opportunity.get(opportunity_id)["Send_to_NetSuite__c"] is False  # unticked by default
    assert sf.query(ticked)["totalSize"] == 0
    sf.Opportunity.update(opportunity_id, {"Send_to_NetSuite__c": True})
    wait_for(lambda: len(listener.notifications()) == 1)
    sobject = listener.notifications()[0].find(f"{OUT}sObject")
    assert sobject is not None and sobject.findtext(f"{SF}Send_to_NetSuite__c") == "true"
    assert sf.query(ticked)["totalSize"] == 1
    # Cleared (as Concord does after a sync), then ticked again: a second notification.
    sf.Opportunity.update(opportunity_id, {"Send_to_NetSuite__c": False})
    sf.Opportunity.update(opportunity_id, {"Send_to_NetSuite__c": True})
    wait_for(lambda: len(listener.notifications()) == 2)
