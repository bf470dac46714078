"""Disabled, a listener refuses the Salesforce simulator's outbound message (503, no Ack); the simulator
retries, as Salesforce does, and once the listener is enabled the notification lands exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from simple_salesforce import Salesforce

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce import login
from simulators.salesforce.org import DEFAULT_ORG_ID
from simulators.salesforce.spec import SPEC
from sync.connections.models import Connection
from sync.pipeline.listener.listener_cache import listener_cache_clear
from sync.pipeline.listener.services import listener_received_forget, listener_set_active
from sync.pipeline.listener.setup import listener_url
from sync.pipeline.models import InboxMessage, Listener
from tests.simulators.conftest import https_session
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.support import listener_issue, url_token

# The live server's thread reads what the test commits; THREADED_DB's flush also works on PostgreSQL.
pytestmark = THREADED_DB


@pytest.fixture
def salesforce(tmp_path: Path) -> Iterator[RunningSimulator]:
    # Retries 15 s doubling, scaled down: about 0.15 s, 0.3 s, 0.6 s...
    running = start_in_thread(SPEC, tmp_path / "sf", outbound_time_scale=0.01)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_content_types() -> None:
    # A THREADED_DB test's flush recreates the content types under new ids; forget the cached ones, or
    # this test's audit entries point at rows that are gone.
    ContentType.objects.clear_cache()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_a_notification_refused_while_disabled_lands_once_after_enabling(
    live_server: Any,
    salesforce: RunningSimulator,
    connections: tuple[Connection, Connection],
    enqueued: list[str],
) -> None:
    listener_cache_clear()
    listener_received_forget()
    listener: Listener = listener_issue(
        name="won-live",
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
        allowed_org_id=DEFAULT_ORG_ID,
    )
    control = https_session(salesforce.ca_file)
    rule = control.post(
        salesforce.url + "/_control/salesforce/outbound-rules",
        json={
            "name": "Closed Won to Concord",
            "object": "Opportunity",
            "field": "StageName",
            "operator": "equals",
            "value": "Closed Won",
            "endpoint_url": listener_url(
                listener=listener, token=url_token(listener), base_url=live_server.url
            ),
            "fields": ["Id", "Name", "StageName"],
        },
    )
    assert rule.status_code == 201, rule.text
    listener_set_active(listener=listener, is_active=False)

    session = https_session(salesforce.ca_file)
    token = login.password_token(session, salesforce.url)
    sf: Any = Salesforce(  # sObject attributes are dynamic: the stubs cannot follow
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )
    opportunity = sf.Opportunity.create(
        {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-06-30"}
    )
    sf.Opportunity.update(opportunity["id"], {"StageName": "Closed Won"})

    def status() -> dict[str, Any]:
        return dict(control.get(salesforce.url + "/_control/salesforce/outbound").json())

    # Refused at least twice (a first attempt and a retry), each time with the 503, nothing stored.
    wait_for(lambda: status()["notifications"] and status()["notifications"][0]["attempts"] >= 2)
    pending = status()["notifications"][0]
    assert (pending["status"], pending["last_error"]) == ("pending", "HTTP 503")
    assert not InboxMessage.objects.exists()

    listener_set_active(listener=listener, is_active=True)
    wait_for(lambda: status()["delivered"] == 1)
    message = InboxMessage.objects.get()
    assert (message.record_id, message.fields["StageName"]) == (opportunity["id"], "Closed Won")
    time.sleep(0.5)  # further retries would have come by now: there are none, and still one row
    assert InboxMessage.objects.count() == 1 and status()["pending"] == 0
    listener.refresh_from_db()
    assert listener.last_received_at is not None
