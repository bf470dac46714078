"""Simulators started in-process on free ports, each with its own data directory.

The tests talk to them over real HTTPS with the generated CA, exactly as a connector would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulators.core.runner import RunningSimulator, start_in_thread


def https_session(ca_file: str) -> requests.Session:
    """A session that trusts the simulators' CA, whatever REQUESTS_CA_BUNDLE says in the environment."""
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE override Session.verify when trust_env is on.
    session.trust_env = False
    session.verify = ca_file
    return session


@pytest.fixture
def simulator_dir(tmp_path: Path) -> Path:
    return tmp_path / "simulators"


def _start(spec_module: str, data_dir: Path, **overrides: Any) -> RunningSimulator:
    module = __import__(spec_module, fromlist=["SPEC"])
    return start_in_thread(module.SPEC, data_dir, **overrides)


@pytest.fixture
def salesforce_sim(simulator_dir: Path) -> Iterator[RunningSimulator]:
    running = _start("simulators.salesforce.spec", simulator_dir)
    yield running
    running.stop()


@pytest.fixture
def netsuite_sim(simulator_dir: Path) -> Iterator[RunningSimulator]:
    running = _start("simulators.netsuite.spec", simulator_dir)
    yield running
    running.stop()
