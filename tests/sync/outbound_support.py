"""Wire a Closed Won listener to the Salesforce simulator's outbound messages, as an admin would."""

from __future__ import annotations

import requests
from django.urls import reverse

from simulators.core.runner import RunningSimulator
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.connections.models import Connection
from sync.pipeline.models import Listener
from tests.simulators.conftest import https_session
from tests.sync.pipeline.listener.support import listener_issue, url_token


def closed_won_listener_wire(
    *,
    salesforce_sim: RunningSimulator,
    connections: tuple[Connection, Connection],
    base_url: str,
    fields: list[str],
) -> tuple[Listener, requests.Session, str]:
    """A listener for the pair, and the simulator's outbound rule posting Closed Won to it at ``base_url``.

    Returns the listener, a session trusting the simulator's CA (for its control endpoints) and the
    outbound rule's id (the action id of the messages it sends).
    """
    listener = listener_issue(
        name="closed-won",
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
        allowed_org_id=DEFAULT_ORG_ID,
    )
    control = https_session(salesforce_sim.ca_file)
    answer = control.post(
        f"{salesforce_sim.url}/_control/salesforce/outbound-rules",
        json={
            "name": "Closed Won to Concord",
            "object": "Opportunity",
            "field": "StageName",
            "operator": "equals",
            "value": "Closed Won",
            "endpoint_url": base_url + reverse("sync:inbound-outbound", args=[url_token(listener)]),
            "fields": fields,
        },
    )
    assert answer.status_code in (200, 201), answer.text
    return listener, control, str(answer.json()["id"])
