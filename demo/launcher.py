"""What the demo sets up around the console: both simulators, their data, and sandbox connections.

``manage.py simulate`` and ``manage.py demo`` share it, so the simulators a person starts by hand are
the ones the demo would have started.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from demo.processes import ChildCommand
from simulators.core.tls import ensure_certificates
from simulators.dataset import Dataset
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
from simulators.netsuite.store import database_path as netsuite_database
from simulators.salesforce import login as salesforce_login
from simulators.salesforce.org import DEFAULT_ORG_ID
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.store import database_path as salesforce_database
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.connections.services import connection_secrets_store
from sync.pipeline.listener.services import listener_create, listener_token_rotate
from sync.pipeline.models import Listener
from sync.pipeline.models.inbound import path_token_hash
from sync.rules.services import rules_shipped_install


@dataclass(frozen=True)
class SimulatorPlan:
    data_dir: Path
    host: str = "127.0.0.1"
    salesforce_port: int = 8443
    netsuite_port: int = 8444
    # NetSuite's default for an integration without SuiteCloud Plus: the demo keeps it realistic.
    netsuite_concurrency_limit: int = 5

    @classmethod
    def default(cls) -> SimulatorPlan:
        return cls(data_dir=Path(settings.VAR_DIR) / "simulators")

    def url(self, port: int) -> str:
        return f"https://{self.host}:{port}"

    @property
    def ca_file(self) -> Path:
        return ensure_certificates(self.data_dir / "tls").ca


def simulator_commands(plan: SimulatorPlan) -> list[ChildCommand]:
    """One long-lived process per simulator, serving HTTPS from ``plan.data_dir``."""
    common = ["--host", plan.host, "--data-dir", str(plan.data_dir)]
    python = [sys.executable, "-m", "simulators"]
    return [
        ChildCommand(
            "salesforce-simulator", [*python, "salesforce", "--port", str(plan.salesforce_port), *common]
        ),
        ChildCommand(
            "netsuite-simulator",
            [
                *python,
                "netsuite",
                "--port",
                str(plan.netsuite_port),
                "--concurrency-limit",
                str(plan.netsuite_concurrency_limit),
                *common,
            ],
        ),
    ]


def simulator_data_ensure(plan: SimulatorPlan, *, accounts: int, seed: int = 1) -> dict[str, dict[str, int]]:
    """Seed both simulators' stores unless they already hold data; returns what was written."""
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    dataset = Dataset(seed=seed, accounts=accounts, opportunities_per_account=2)
    written: dict[str, dict[str, int]] = {}
    if not salesforce_database(plan.data_dir).exists():
        written["salesforce"] = seed_salesforce(plan.data_dir, dataset)
    if not netsuite_database(plan.data_dir).exists():
        written["netsuite"] = seed_netsuite(plan.data_dir, dataset)
    return written


def _simulator_settings(system: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The connection fields and secrets that sign in to a simulator with its demo credentials."""
    if system == "salesforce":
        return (
            {
                "kind": ConnectionKind.SALESFORCE,
                "auth_method": ConnectionAuth.SF_PASSWORD,
                "username": salesforce_login.DEMO_USERNAME,
                "client_id": salesforce_login.DEMO_CLIENT_ID,
            },
            {
                "password": salesforce_login.DEMO_PASSWORD,
                "security_token": salesforce_login.DEMO_SECURITY_TOKEN,
                "client_secret": salesforce_login.DEMO_CLIENT_SECRET,
            },
        )
    return (
        {
            "kind": ConnectionKind.NETSUITE,
            "auth_method": ConnectionAuth.NS_TOKEN,
            "account_id": DEFAULT_ACCOUNT_ID,
            "client_id": DEMO_INTEGRATION.consumer_key,
        },
        {
            "consumer_secret": DEMO_INTEGRATION.consumer_secret,
            "token_id": DEMO_INTEGRATION.token_id,
            "token_secret": DEMO_INTEGRATION.token_secret,
        },
    )


@transaction.atomic
def simulator_connection_ensure(
    system: str, *, name: str, url: str, ca_bundle: str, concurrency_limit: int = 5
) -> Connection:
    """A sandbox connection to a running simulator (created, or brought up to date)."""
    fields, secrets = _simulator_settings(system)
    connection, _ = Connection.objects.update_or_create(
        name=name,
        defaults={
            **fields,
            "environment": ConnectionEnvironment.SANDBOX,
            "base_url": url,
            "ca_bundle": ca_bundle,
            "concurrency_limit": concurrency_limit,
        },
    )
    connection_secrets_store(connection, secrets)
    connection.save()
    return connection


def demo_connections_ensure(plan: SimulatorPlan) -> list[Connection]:
    """The demo's sandbox connections to both simulators."""
    ca_bundle = plan.ca_file.read_text()
    return [
        simulator_connection_ensure(
            "salesforce", name="salesforce-sandbox", url=plan.url(plan.salesforce_port), ca_bundle=ca_bundle
        ),
        simulator_connection_ensure(
            "netsuite",
            name="netsuite-sandbox",
            url=plan.url(plan.netsuite_port),
            ca_bundle=ca_bundle,
            concurrency_limit=plan.netsuite_concurrency_limit,
        ),
    ]


DEMO_LISTENER = "closed-won-demo"
DEMO_RULE = "Closed Won to Concord (demo)"


def demo_listener_ensure(plan: SimulatorPlan, *, console_url: str) -> str:
    """The demo's real-time path: a listener in Concord and the Salesforce simulator's outbound message
    rule posting Closed Won opportunities to it. Returns the listener's URL. Both steps are idempotent
    (the simulator keeps its rules across restarts, so an existing rule of the same name is kept)."""
    control = requests.Session()
    control.trust_env = False  # loopback, and our own CA whatever REQUESTS_CA_BUNDLE says
    control.verify = str(plan.ca_file)
    rules_url = f"{plan.url(plan.salesforce_port)}/_control/salesforce/outbound-rules"
    existing = {rule.get("name"): rule for rule in control.get(rules_url, timeout=10).json()}
    stale = existing.get(DEMO_RULE)
    listener = Listener.objects.filter(name=DEMO_LISTENER).first()
    base = console_url.rstrip("/") + reverse("sync:inbound-outbound", args=["TOKEN"]).removesuffix("TOKEN/")
    # Concord keeps only the token's hash: the rule's URL is still right when its token hashes to it.
    known = str(stale.get("endpoint_url", "")) if stale else ""
    token = known.removeprefix(base).rstrip("/") if known.startswith(base) else ""
    if listener is not None and token and path_token_hash(token) == listener.path_token_hash:
        return known
    if listener is None:
        listener, token = listener_create(
            name=DEMO_LISTENER,
            salesforce_connection=Connection.objects.get(name="salesforce-sandbox"),
            netsuite_connection=Connection.objects.get(name="netsuite-sandbox"),
            allowed_org_id=DEFAULT_ORG_ID,
        )
    else:
        token = listener_token_rotate(listener=listener)
    endpoint = console_url.rstrip("/") + reverse("sync:inbound-outbound", args=[token])
    if stale:
        control.delete(f"{rules_url}/{stale['id']}", timeout=10)
        stale = None
    if stale is None:
        answer = control.post(
            rules_url,
            json={
                "name": DEMO_RULE,
                "object": "Opportunity",
                "field": "StageName",
                "operator": "equals",
                "value": "Closed Won",
                "endpoint_url": endpoint,
                "fields": ["Id", "Name", "StageName", "Amount"],
            },
            timeout=10,
        )
        answer.raise_for_status()
    return endpoint


def demo_rules_ensure() -> int:
    """The shipped business rules as RevOps's drafts, waiting for the demo's approval walk-through
    (Finance approves and publishes them at /sync/rules/); returns how many were created."""
    return len(rules_shipped_install(user=get_user_model().objects.get(username="revops")))


def simulator_sign_ins(plan: SimulatorPlan) -> str:
    """The credentials each simulator accepts (the demo's sandbox connections use them), for a person
    who wants to call the simulators' APIs or set up another connection in the console."""
    salesforce = plan.url(plan.salesforce_port)
    blocks = {
        f"Salesforce simulator {salesforce} (CA certificate {plan.ca_file})": [
            ("login URL", f"{salesforce}/services/oauth2/token (OAuth 2.0 username-password flow)"),
            ("username", salesforce_login.DEMO_USERNAME),
            ("password", salesforce_login.DEMO_PASSWORD),
            ("security token", salesforce_login.DEMO_SECURITY_TOKEN),
            ("client id", salesforce_login.DEMO_CLIENT_ID),
            ("client secret", salesforce_login.DEMO_CLIENT_SECRET),
        ],
        f"NetSuite simulator {plan.url(plan.netsuite_port)} (token-based authentication)": [
            ("account id", DEFAULT_ACCOUNT_ID),
            ("consumer key", DEMO_INTEGRATION.consumer_key),
            ("consumer secret", DEMO_INTEGRATION.consumer_secret),
            ("token id", DEMO_INTEGRATION.token_id),
            ("token secret", DEMO_INTEGRATION.token_secret),
        ],
    }
    width = max(len(label) for rows in blocks.values() for label, _ in rows)
    lines: list[str] = []
    for title, rows in blocks.items():
        lines.append(title)
        lines.extend(f"  {label.ljust(width)}  {value}" for label, value in rows)
    return "\n".join(lines)
