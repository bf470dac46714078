"""The shared server: TLS with the generated CA, keep-alive, the concurrency limit, faults, controls."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from simulators.core.governance import GovernanceSettings
from simulators.core.http import Request, Response
from simulators.core.runner import RunningSimulator, start_in_thread
from tests.simulators.conftest import https_session


class EchoApp:
    def handle(self, request: Request) -> Response:
        return Response.json(200, {"path": request.path, "query": request.query})

    def refusal_response(self, request: Request) -> Response:
        return Response.json(429, {"refused": True})

    def fault_response(self, kind: str, request: Request) -> Response:
        return Response.json(int(kind), {"fault": kind})


class EchoSpec:
    name = "echo"
    default_port = 0

    def add_arguments(self, parser: Any) -> None:
        pass

    def create(self, options: dict[str, Any], data_dir: Path) -> EchoApp:
        return EchoApp()


@pytest.fixture
def echo(tmp_path: Path) -> Any:
    running = start_in_thread(EchoSpec(), tmp_path)
    yield running
    running.stop()


def test_it_serves_https_trusted_through_the_generated_ca(echo: RunningSimulator) -> None:
    assert echo.url.startswith("https://127.0.0.1:")
    answer = https_session(echo.ca_file).get(echo.url + "/a/b?x=1")
    assert answer.status_code == 200
    assert answer.json() == {"path": "/a/b", "query": {"x": ["1"]}}


def test_it_is_refused_by_a_client_that_does_not_trust_the_ca(echo: RunningSimulator) -> None:
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        session.get(echo.url + "/")


def test_it_refuses_requests_over_the_concurrency_limit_at_once(echo: RunningSimulator) -> None:
    control = https_session(echo.ca_file)
    control.patch(echo.url + "/_control/governance", json={"concurrency_limit": 2, "latency_ms": 300})
    codes: list[int] = []

    def call() -> None:
        codes.append(https_session(echo.ca_file).get(echo.url + "/work").status_code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = control.get(echo.url + "/_control/stats").json()
    assert sorted(codes).count(200) >= 2
    assert codes.count(429) == stats["counters"]["refused_concurrency"] > 0
    assert stats["peak_in_flight"] == 2


def test_it_rejects_a_bad_setting_with_a_clear_error(echo: RunningSimulator) -> None:
    answer = https_session(echo.ca_file).patch(echo.url + "/_control/governance", json={"fault_rate": 3})
    assert answer.status_code == 400
    assert "probability" in answer.json()["error"]


@pytest.mark.parametrize("kind", ["drop", "drop_after"])
def test_it_drops_connections_when_told_to(echo: RunningSimulator, kind: str) -> None:
    session = https_session(echo.ca_file)
    session.patch(echo.url + "/_control/governance", json={"fault_rate": 1, "fault_kinds": [kind]})
    with pytest.raises(requests.ConnectionError):
        session.get(echo.url + "/x", timeout=5)
    stats = session.get(echo.url + "/_control/stats").json()
    assert stats["counters"][f"fault_{kind}"] == 1


def test_settings_validate_fault_kinds() -> None:
    settings = GovernanceSettings()
    with pytest.raises(ValueError, match="fault_kinds"):
        settings.update({"fault_kinds": ["explode"]})
    settings.update({"fault_kinds": "500,503", "latency_ms": 5})
    assert settings.fault_kinds == ("500", "503")
    assert settings.latency_ms == 5.0


@pytest.mark.parametrize("kind", ["drop_after", "timeout_after"])
def test_an_aimed_fault_hits_only_the_requests_it_names_and_the_work_is_done(
    tmp_path: Path, kind: str
) -> None:
    done: list[str] = []

    class Recording(EchoApp):
        def handle(self, request: Request) -> Response:
            done.append(f"{request.method} {request.path}")
            return super().handle(request)

    class RecordingSpec(EchoSpec):
        def create(self, options: dict[str, Any], data_dir: Path) -> EchoApp:
            return Recording()

    running = start_in_thread(RecordingSpec(), tmp_path)
    try:
        session = https_session(running.ca_file)
        session.patch(running.url + "/_control/governance", json={"timeout_seconds": 1.5})
        rule = {"kind": kind, "method": "put", "path_contains": "/orders/", "times": 1}
        answer = session.post(running.url + "/_control/faults", json=rule)
        assert answer.status_code == 201
        assert answer.json()["faults"] == [{**rule, "method": "PUT"}]
        assert session.get(running.url + "/orders/1", timeout=5).status_code == 200  # not a PUT
        assert session.put(running.url + "/other/1", timeout=5).status_code == 200  # not the path
        error = requests.ReadTimeout if kind == "timeout_after" else requests.ConnectionError
        with pytest.raises(error):
            session.put(running.url + "/orders/1", timeout=0.5)
        assert done[-1] == "PUT /orders/1"  # the work was done before the caller lost the answer
        assert session.put(running.url + "/orders/1", timeout=5).status_code == 200  # used up
        assert session.get(running.url + "/_control/faults").json() == {"faults": []}
        assert session.get(running.url + "/_control/stats").json()["counters"][f"fault_{kind}"] == 1
        bad = session.post(running.url + "/_control/faults", json={"kind": "explode"})
        assert bad.status_code == 400 and "kind must be one of" in bad.json()["error"]
        session.post(running.url + "/_control/faults", json={"kind": "500", "times": 5})
        assert session.delete(running.url + "/_control/faults").status_code == 204
        assert session.get(running.url + "/x", timeout=5).status_code == 200
    finally:
        running.stop()
