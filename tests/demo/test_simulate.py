"""``manage.py simulate`` seeds empty simulators, serves both over HTTPS, and stops both on Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.simulators.conftest import https_session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_it_serves_both_simulators_until_interrupted(tmp_path: Path) -> None:
    data_dir = tmp_path / "sims"
    sf_port, ns_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "simulate", "--data-dir", str(data_dir)]
        + ["--salesforce-port", str(sf_port), "--netsuite-port", str(ns_port), "--accounts", "3"],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        info_files = [data_dir / "salesforce.json", data_dir / "netsuite.json"]
        while not all(path.exists() for path in info_files) and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.2)
        infos = [json.loads(path.read_text()) for path in info_files]
        assert [info["url"] for info in infos] == [
            f"https://127.0.0.1:{sf_port}",
            f"https://127.0.0.1:{ns_port}",
        ]
        session = https_session(infos[0]["ca_file"])
        token = session.post(
            f"{infos[0]['url']}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "3MVG9Concord.Demo.ConnectedApp",
                "client_secret": "concord-demo-secret",
            },
            timeout=10,
        )
        assert token.status_code == 200 and token.json()["access_token"]
        accounts = session.get(
            f"{infos[0]['url']}/services/data/v60.0/query/",
            params={"q": "SELECT COUNT() FROM Account"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
        assert accounts.json()["totalSize"] == 3  # seeded on first start
        unsigned = session.get(f"{infos[1]['url']}/services/rest/record/v1/customer", timeout=10)
        assert unsigned.status_code == 401  # NetSuite answers, and wants a signature
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"CA certificate: {data_dir / 'tls'}" in output
    for port in (sf_port, ns_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0  # both stopped
