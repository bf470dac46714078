"""The demo's listener: its URL is shown once and kept only hashed, so a second ``make demo`` keeps the
simulator's outbound rule when its URL still hashes to the listener, and replaces it after a rotation."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from demo.launcher import DEMO_LISTENER, DEMO_RULE, SimulatorPlan, demo_listener_ensure
from simulators.core.runner import RunningSimulator
from sync.pipeline.listener.services import listener_token_rotate
from sync.pipeline.models import Listener
from tests.simulators.conftest import https_session, salesforce_sim, simulator_dir  # noqa: F401
from tests.sync.conftest import netsuite_connection_for, salesforce_connection_for

CONSOLE = "http://127.0.0.1:8000"


def _rules(running: RunningSimulator) -> list[dict[str, str]]:
    answer = https_session(running.ca_file).get(
        f"{running.url}/_control/salesforce/outbound-rules", timeout=10
    )
    return [rule for rule in answer.json() if rule.get("name") == DEMO_RULE]


def test_a_second_run_keeps_the_url_and_a_rotation_replaces_it(
    db: None,
    salesforce_sim: RunningSimulator,  # noqa: F811
    simulator_dir: Path,  # noqa: F811
) -> None:
    salesforce_connection_for(salesforce_sim, name="salesforce-sandbox")
    netsuite_connection_for(salesforce_sim, name="netsuite-sandbox")  # only its row is needed here
    plan = SimulatorPlan(data_dir=simulator_dir, salesforce_port=urlsplit(salesforce_sim.url).port or 0)
    first = demo_listener_ensure(plan, console_url=CONSOLE)
    listener = Listener.objects.get(name=DEMO_LISTENER)
    token = first.removeprefix(f"{CONSOLE}/sync/inbound/outbound-message/").rstrip("/")
    assert listener.path_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert [rule["endpoint_url"] for rule in _rules(salesforce_sim)] == [first]

    assert demo_listener_ensure(plan, console_url=CONSOLE) == first  # the second day: nothing changes
    assert [rule["endpoint_url"] for rule in _rules(salesforce_sim)] == [first]

    listener_token_rotate(listener=listener)  # the old URL is dead: the demo makes and wires a new one
    third = demo_listener_ensure(plan, console_url=CONSOLE)
    assert third != first
    assert [rule["endpoint_url"] for rule in _rules(salesforce_sim)] == [third]
    new_token = third.removeprefix(f"{CONSOLE}/sync/inbound/outbound-message/").rstrip("/")
    listener.refresh_from_db()
    assert listener.path_token_hash == hashlib.sha256(new_token.encode()).hexdigest()
