"""``manage.py demo`` as the browser tests run it: free ports, a throwaway SQLite file and var directory.

The stack is the one ``make demo`` starts (migrate, personas, seeded simulators, sandbox connections,
published mappings, the Closed Won listener, then web + worker + both simulators as child processes);
only its ports and files differ, so a developer's own demo on 8000/8443/8444 keeps running beside it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from console.management.commands.seed_personas import DEFAULT_PASSWORD
from simulators.salesforce.login import bearer_headers

READY_LINE = "Concord is running at "
START_TIMEOUT = 90.0
STOP_TIMEOUT = 40.0
SALESFORCE_API = "/services/data/v62.0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class DemoStack:
    """A running ``manage.py demo``: where it answers, and what the journeys have done to it so far."""

    process: subprocess.Popen[bytes]
    root: Path
    url: str
    salesforce_url: str
    password: str
    log_file: Path
    started: float = field(default_factory=time.monotonic)
    outcomes: dict[str, Any] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        return self.root / "var" / "simulators" / "tls" / "concord-simulators-ca.pem"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def salesforce(self) -> SalesforceOrg:
        return SalesforceOrg(self.salesforce_url, self.ca_file)


def demo_stack_start(root: Path, *, accounts: int = 5) -> DemoStack:
    """Start ``manage.py demo`` in the background; :func:`demo_stack_wait` waits until it is serving."""
    port, salesforce_port, netsuite_port = free_port(), free_port(), free_port()
    log_file = root / "demo.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "PYTHONUNBUFFERED": "1",  # the ready line must reach the log as soon as it is written
        "DEBUG": "1",
        "VAR_DIR": str(root / "var"),
        "DATABASE_URL": f"sqlite:///{root / 'concord.sqlite3'}",
        "DEMO_PASSWORD": DEFAULT_PASSWORD,
        "Q_WORKERS": "1",  # the machine is shared; one worker process keeps up with a few journeys
    }
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "demo", "--port", str(port)]
    argv += ["--salesforce-port", str(salesforce_port), "--netsuite-port", str(netsuite_port)]
    argv += ["--accounts", str(accounts), "--no-story"]  # the journeys start from an empty history
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    stack = DemoStack(
        process=process,
        root=root,
        url=f"http://127.0.0.1:{port}",
        salesforce_url=f"https://127.0.0.1:{salesforce_port}",
        password=DEFAULT_PASSWORD,
        log_file=log_file,
    )
    return stack


def demo_stack_wait(stack: DemoStack) -> None:
    """Return once the demo has printed its ready line (migrated, seeded, serving); fail with its log."""
    deadline = stack.started + START_TIMEOUT
    while READY_LINE not in stack.log_file.read_text(errors="replace"):
        if stack.process.poll() is not None:
            raise AssertionError(f"manage.py demo exited ({stack.process.returncode}):\n{stack.log_tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"manage.py demo did not start in {START_TIMEOUT:.0f} s:\n{stack.log_tail()}"
            )
        time.sleep(0.2)


def demo_stack_stop(stack: DemoStack) -> int:
    """Ctrl-C, as a person stops ``make demo``; the demo stops its children itself. Returns its exit code."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait(timeout=10)
        raise AssertionError(f"manage.py demo ignored Ctrl-C:\n{stack.log_tail()}") from None


class SalesforceOrg:
    """What a salesperson does in the Salesforce simulator, through its REST API."""

    def __init__(self, url: str, ca_file: Path) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False  # loopback, and the simulators' own CA
        self.session.verify = str(ca_file)
        self.headers = bearer_headers(self.session, url)

    def query(self, soql: str) -> list[dict[str, Any]]:
        answer = self.session.get(
            f"{self.url}{SALESFORCE_API}/query/", params={"q": soql}, headers=self.headers, timeout=10
        )
        answer.raise_for_status()
        records: list[dict[str, Any]] = answer.json()["records"]
        return records

    def update(self, object_type: str, record_id: str, values: dict[str, Any]) -> None:
        answer = self.session.patch(
            f"{self.url}{SALESFORCE_API}/sobjects/{object_type}/{record_id}",
            json=values,
            headers=self.headers,
            timeout=10,
        )
        assert answer.status_code == 204, answer.text

    def open_opportunity(self) -> dict[str, Any]:
        """An open opportunity with a primary quote, and its account's name and billing country."""
        rows = self.query(
            "SELECT Id, AccountId, Account.Name, Account.BillingCountry FROM Opportunity "
            "WHERE IsClosed = false AND SBQQ__PrimaryQuote__c != null ORDER BY Id LIMIT 1"
        )
        assert rows, "the seeded org has no open opportunity with a primary quote"
        return rows[0]
