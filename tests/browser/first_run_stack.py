"""A production-mode installation with an empty database, as a new administrator meets it.

Unlike ``manage.py demo`` (stack.py), nothing is seeded in Concord: DEBUG is off, the settings are the
production ones read from the environment (secret key, encryption keys, JSON logs, the manifest static
files collected), the web server is gunicorn and the worker ``qcluster``. Only the two simulators are
seeded, as a customer's Salesforce org and NetSuite account already hold data. Two things differ from a
real deployment, both because the test talks plain HTTP on the loopback instead of through a TLS proxy:
no HTTPS redirect and no Secure flag on the cookies. The second factor is the production default (Admin and
Finance need a TOTP code): the journey enrols one. Mail goes to files (Django's file backend), which is
how the test reads the invitation link an admin sends.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

from demo.launcher import SimulatorPlan, simulator_commands, simulator_data_ensure
from tests.browser.stack import SalesforceOrg, free_port

START_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0  # seconds a process has to stop on SIGTERM before it is killed


@dataclass
class FirstRunStack:
    root: Path
    url: str
    plan: SimulatorPlan
    processes: list[subprocess.Popen[bytes]]
    log_file: Path

    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail"

    @property
    def salesforce_url(self) -> str:
        return self.plan.url(self.plan.salesforce_port)

    @property
    def netsuite_url(self) -> str:
        return self.plan.url(self.plan.netsuite_port)

    @property
    def ca_bundle(self) -> str:
        return self.plan.ca_file.read_text()

    def salesforce(self) -> SalesforceOrg:
        return SalesforceOrg(self.salesforce_url, self.plan.ca_file)

    def log_tail(self, lines: int = 80) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def invitation_link(self, email: str) -> str:
        """The link in the newest mail to ``email`` (the file backend writes one file per connection)."""
        for path in sorted(
            self.mail_dir.glob("*.log"), key=lambda found: found.stat().st_mtime, reverse=True
        ):
            text = path.read_text()
            if f"To: {email}" in text:
                match = re.search(r"https?://\S+/governance/invitation/\S+/", text)
                if match:
                    return match.group(0)
        raise AssertionError(f"no invitation mail to {email} in {self.mail_dir}")


def _environment(root: Path) -> dict[str, str]:
    """Production settings. ``FIRST_RUN_DATABASE_URL`` (an empty database!) and ``FIRST_RUN_REDIS_URL``
    run it on PostgreSQL and Redis instead of a fresh SQLite file and the database broker."""
    key = base64.urlsafe_b64encode(hashlib.sha256(os.urandom(32)).digest()).decode()
    redis = {"REDIS_URL": os.environ["FIRST_RUN_REDIS_URL"]} if os.environ.get("FIRST_RUN_REDIS_URL") else {}
    return {
        **redis,
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "0",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "FIELD_ENCRYPTION_KEYS": key,
        "VAR_DIR": str(root / "var"),
        "DATABASE_URL": os.environ.get("FIRST_RUN_DATABASE_URL", f"sqlite:///{root / 'concord.sqlite3'}"),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback (production puts a TLS proxy in front, BEHIND_PROXY=1).
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(root / "mail"),
        "Q_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        # MFA_REQUIRED_ROLES is left to its production default (Admin and Finance): the journey enrols.
    }


def _manage(*args: str, env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=180,
        )


def first_run_stack_start(root: Path) -> FirstRunStack:
    """Migrate an empty database, collect the static files, seed and start both simulators, then serve
    the console (gunicorn) with a worker; returns once the console answers."""
    env = _environment(root)
    log_file = root / "stack.log"
    _manage("migrate", "--no-input", env=env, log=log_file)
    _manage("collectstatic", "--no-input", env=env, log=log_file)
    plan = SimulatorPlan(
        data_dir=root / "var" / "simulators", salesforce_port=free_port(), netsuite_port=free_port()
    )
    simulator_data_ensure(plan, accounts=4)
    port = free_port()
    commands = [
        [sys.executable, "-m", "gunicorn", "console.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"],
        *(command.argv for command in simulator_commands(plan)),
    ]
    processes = []
    with log_file.open("ab") as log:
        for argv in commands:
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own commands
                    argv,
                    cwd=settings.BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    stack = FirstRunStack(
        root=root, url=f"http://127.0.0.1:{port}", plan=plan, processes=processes, log_file=log_file
    )
    _wait(stack)
    return stack


def _wait(stack: FirstRunStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    probes = [stack.url + "/healthz", stack.salesforce_url, stack.netsuite_url]
    session = requests.Session()
    session.trust_env = False
    while probes:
        for process in stack.processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args!r} exited ({process.returncode}):\n{stack.log_tail()}")
        try:
            session.get(probes[0], timeout=2, verify=str(stack.plan.ca_file))
            probes.pop(0)
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise AssertionError(f"{probes[0]} did not answer:\n{stack.log_tail()}") from None
            time.sleep(0.3)


def first_run_stack_stop(stack: FirstRunStack) -> None:
    for process in stack.processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    # A stack that is thrown away: a process still running after a few seconds (the qcluster's guard
    # waits out its own timers) is killed rather than waited for.
    for process in stack.processes:
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
