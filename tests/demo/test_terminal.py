"""What a person sees of ``make demo``: ports through make variables, the simulators' sign-in details,
and a quiet terminal in every process the demo starts."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from demo.launcher import SimulatorPlan, simulator_sign_ins
from demo.management.commands.demo import Command, demo_commands
from demo.processes import quiet_environment
from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
from simulators.salesforce import login as salesforce_login


def _make_demo(*variables: str) -> list[str]:
    """The ``manage.py demo`` command line ``make demo`` would run (``make -n`` prints, runs nothing)."""
    made = subprocess.run(
        [shutil.which("make") or "make", "-n", "demo", *variables],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    line = next(line for line in made.stdout.splitlines() if "manage.py demo" in line)
    return shlex.split(line)[shlex.split(line).index("manage.py") + 1 :]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_passes_its_variables_to_the_command() -> None:
    argv = _make_demo("PORT=8001", "SF_PORT=9443", "NS_PORT=9444", "HOST=127.0.0.2")
    options = Command().create_parser("manage.py", "demo").parse_args(argv[1:])
    assert argv[0] == "demo"
    assert (options.host, options.port) == ("127.0.0.2", 8001)
    assert (options.salesforce_port, options.netsuite_port) == (9443, 9444)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_keeps_todays_defaults() -> None:
    options = Command().create_parser("manage.py", "demo").parse_args(_make_demo()[1:])
    assert (options.host, options.port, options.salesforce_port, options.netsuite_port) == (
        "127.0.0.1",
        8000,
        8443,
        8444,
    )


def test_it_prints_every_credential_each_simulator_accepts(tmp_path: Path) -> None:
    plan = SimulatorPlan(data_dir=tmp_path, salesforce_port=9443, netsuite_port=9444)
    text = simulator_sign_ins(plan)
    assert "https://127.0.0.1:9443/services/oauth2/token" in text
    assert "https://127.0.0.1:9444" in text
    for secret in (
        salesforce_login.DEMO_USERNAME,
        salesforce_login.DEMO_PASSWORD,
        salesforce_login.DEMO_SECURITY_TOKEN,
        salesforce_login.DEMO_CLIENT_ID,
        salesforce_login.DEMO_CLIENT_SECRET,
        DEFAULT_ACCOUNT_ID,
        DEMO_INTEGRATION.consumer_key,
        DEMO_INTEGRATION.consumer_secret,
        DEMO_INTEGRATION.token_id,
        DEMO_INTEGRATION.token_secret,
    ):
        assert f"  {secret}\n" in text + "\n", secret
    assert str(plan.ca_file) in text


def test_the_demos_processes_log_warnings_only_unless_told_otherwise() -> None:
    quiet = quiet_environment({"PATH": "/bin"})
    assert quiet == {"PATH": "/bin", "LOG_LEVEL": "WARNING", "LOG_QUIET_REQUESTS": "1"}
    assert quiet_environment({"LOG_LEVEL": "DEBUG"})["LOG_LEVEL"] == "DEBUG"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_demos_web_server_prints_one_line_per_refused_page_and_nothing_per_request(
    tmp_path: Path,
) -> None:
    """The demo's own web child (runserver, as demo_commands starts it) in the demo's environment."""
    env = quiet_environment(
        {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DEBUG": "1",
            "VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'concord.sqlite3'}",
            "DEMO_PASSWORD": "terminal-test-password",
        }
    )
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    for setup in (["migrate", "-v0"], ["seed_personas", "--quiet-logins"]):
        subprocess.run([*manage, *setup], env=env, cwd=settings.BASE_DIR, check=True, timeout=180)
    port = _free_port()
    (web,) = [c for c in demo_commands(host="127.0.0.1", port=port) if c.name == "web"]
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        server = subprocess.Popen(list(web.argv), env=env, cwd=settings.BASE_DIR, stdout=out, stderr=out)
    try:
        session = requests.Session()
        session.trust_env = False
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                login = session.get(f"{url}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token
        signed_in = session.post(
            f"{url}/accounts/login/",
            data={
                "csrfmiddlewaretoken": token[1],
                "username": "outsider",
                "password": "terminal-test-password",
            },
            headers={"Referer": f"{url}/accounts/login/"},
            timeout=10,
        )
        # Signed in (302), then refused by the dashboard: the outsider has no role.
        assert [r.status_code for r in signed_in.history] == [302] and signed_in.status_code == 403
        assert session.get(f"{url}/sync/rules/", timeout=10).status_code == 403
        assert session.get(f"{url}/no-such-page/", timeout=10).status_code == 404
        assert session.get(f"{url}/favicon.ico", timeout=10).status_code == 200  # the SVG, redirected
    finally:
        server.terminate()
        server.wait(timeout=15)
    output = log.read_text()
    after_start = output.split("Quit the server with CONTROL-C.", 1)[-1]
    assert "Forbidden (Permission denied): /sync/rules/" in after_start
    assert "Not Found: /no-such-page/" in after_start
    assert "Traceback" not in output and "PermissionDenied" not in output
    assert '"GET ' not in output and '"POST ' not in output  # no line per request
