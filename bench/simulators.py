"""How many simple requests per second each simulator serves (issue 3: at least 1,500/s, latency off).

Each simulator runs as its own process, exactly as a user starts it (``python -m simulators <name>
--port 0 --data-dir <tmp>``, after seeding that directory). Client *processes* (not threads, so the
client's GIL is not what is measured) each hold one keep-alive HTTPS session and send requests back to
back for a fixed time:

- Salesforce: ``GET /services/data/v60.0/sobjects/Account/<id>`` with a bearer token from the password
  grant (``--salesforce-path limits`` switches to ``GET .../limits/``);
- NetSuite: ``GET /services/rest/record/v1/customer/<id>`` signed with requests-oauthlib
  ``OAuth1(..., signature_method="HMAC-SHA256", realm=<account id>)``, so every request pays for a
  real signature check, routing, one indexed SQLite read and reference names.

Clients and server share the machine's cores, so the figure is a floor for the server alone. Output: a
table (requests, seconds, req/s, errors, p50/p95 latency) and ``bench/out/simulators.json``, including
the server's own counters from ``/_control/stats``.

    PYTHONPATH=. .venv/bin/python -m bench.simulators --duration 10 --clients 3
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
READY = "SIMULATOR READY "
OUT = ROOT / "bench" / "out" / "simulators.json"


@dataclass
class Target:
    """What the client processes need to send requests: built once in the parent, pickled to children."""

    name: str
    url: str
    ca_file: str
    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    oauth1: dict[str, str] | None = None


@dataclass
class Result:
    simulator: str
    client: str
    signing: str
    requests: int
    seconds: float
    per_second: float
    errors: int
    p50_ms: float
    p95_ms: float
    clients: int
    request: str
    server_cpu_ms_per_request: float
    server_stats: dict[str, Any]


def trusted_session(ca_file: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace verify
    session.verify = ca_file
    return session


# -- the simulators under test ------------------------------------------------------------------------


def start(name: str, data_dir: Path) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    command = [sys.executable, "-m", "simulators", name, "--port", "0", "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    if process.stdout is None:  # pragma: no cover - stdout is a pipe above
        raise RuntimeError("no stdout")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(READY):
            return process, json.loads(line[len(READY) :])
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"the {name} simulator did not start")


def prepare_netsuite(info: dict[str, Any], records: int) -> Target:
    from simulators.netsuite.client import RestClient
    from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION

    client = RestClient(info["url"], info["ca_file"])
    ids = []
    for n in range(records):
        ids.append(
            client.create(
                "customer",
                {
                    "companyName": f"Bench Customer {n:05d}",
                    "subsidiary": {"externalId": ("US", "UK", "DE")[n % 3]},
                    "terms": {"externalId": "NET_30"},
                    "email": f"ap{n}@bench.example",
                    "externalId": f"BENCH-{n}",
                },
            )
        )
    credentials = {
        "consumer_key": DEMO_INTEGRATION.consumer_key,
        "consumer_secret": DEMO_INTEGRATION.consumer_secret,
        "token_id": DEMO_INTEGRATION.token_id,
        "token_secret": DEMO_INTEGRATION.token_secret,
        "realm": DEFAULT_ACCOUNT_ID,
    }
    return Target(
        "netsuite",
        info["url"],
        info["ca_file"],
        [f"/services/rest/record/v1/customer/{record_id}" for record_id in ids],
        oauth1=credentials,
    )


def prepare_salesforce(info: dict[str, Any], records: int, path_kind: str) -> Target:
    from simulators.salesforce.seed import account_id
    from simulators.salesforce.spec import SPEC

    parser = argparse.ArgumentParser()
    SPEC.add_arguments(parser)
    flags = vars(parser.parse_args([]))
    answer = trusted_session(info["ca_file"]).post(
        info["url"] + "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": flags["client_id"],
            "client_secret": flags["client_secret"],
            "username": flags["username"],
            "password": flags["password"] + flags["security_token"],
        },
    )
    answer.raise_for_status()
    token = answer.json()["access_token"]
    if path_kind == "limits":
        paths = ["/services/data/v60.0/limits/"]
    else:
        paths = [f"/services/data/v60.0/sobjects/Account/{account_id(index)}" for index in range(records)]
    return Target(
        "salesforce", info["url"], info["ca_file"], paths, headers={"Authorization": f"Bearer {token}"}
    )


def seed_into(name: str, data_dir: Path, accounts: int) -> None:
    from simulators.dataset import Dataset

    if name == "netsuite":
        from simulators.netsuite.seed import seed
    else:
        from simulators.salesforce.seed import seed
    seed(data_dir, Dataset(accounts=accounts, opportunities_per_account=1))


# -- client processes ---------------------------------------------------------------------------------


def _oauth1_header(target: Target, path: str) -> str:
    """A fresh signature by requests-oauthlib (new nonce and timestamp) for ``GET path``."""
    from requests_oauthlib import OAuth1

    o = target.oauth1 or {}
    auth = OAuth1(
        o["consumer_key"],
        client_secret=o["consumer_secret"],
        resource_owner_key=o["token_id"],
        resource_owner_secret=o["token_secret"],
        realm=o["realm"],
        signature_method="HMAC-SHA256",
    )
    header = requests.Request("GET", target.url + path, auth=auth).prepare().headers["Authorization"]
    return header.decode() if isinstance(header, bytes) else str(header)


class _RequestsClient:
    """requests.Session with keep-alive: what integrations (and simple-salesforce) use."""

    def __init__(self, target: Target) -> None:
        self.url = target.url
        self.session = trusted_session(target.ca_file)
        self.session.headers.update(target.headers)

    def get(self, path: str, headers: dict[str, str]) -> int:
        return self.session.get(self.url + path, headers=headers).status_code


class _HttpClient:
    """http.client keep-alive connection: the same bytes on the wire for a fraction of requests' CPU."""

    def __init__(self, target: Target) -> None:
        import http.client
        import ssl
        from urllib.parse import urlsplit

        parts = urlsplit(target.url)
        context = ssl.create_default_context(cafile=target.ca_file)
        self._connect = lambda: http.client.HTTPSConnection(parts.hostname or "", parts.port, context=context)
        self.connection = self._connect()
        self.headers = dict(target.headers)

    def get(self, path: str, headers: dict[str, str]) -> int:
        try:
            self.connection.request("GET", path, headers={**self.headers, **headers})
            answer = self.connection.getresponse()
            answer.read()
            return answer.status
        except OSError:
            self.connection.close()
            self.connection = self._connect()
            raise


def client(
    target: Target,
    mode: str,
    sign_live: bool,
    budget: int,
    seed: int,
    ready: Any,
    go: Any,
    window: Any,
    results: Any,
) -> None:
    """One client process: one keep-alive connection sending requests back to back during the window."""
    rng = random.Random(seed)
    connection: _RequestsClient | _HttpClient = (
        _RequestsClient(target) if mode == "requests" else _HttpClient(target)
    )
    signed = target.oauth1 is not None
    # Signatures made before the window still come from requests-oauthlib, each with its own nonce and
    # timestamp, and the server verifies every one; only the client's cost of making them is left out.
    plan = [
        (path, {"Authorization": _oauth1_header(target, path)} if signed and not sign_live else {})
        for path in (rng.choice(target.paths) for _ in range(budget))
    ]
    warm = plan[0] if plan else (target.paths[0], {})
    connection.get(warm[0], warm[1] or ({"Authorization": _oauth1_header(target, warm[0])} if signed else {}))
    ready.put(seed)
    go.wait()
    stop_at = window.value
    latencies: list[float] = []
    errors = 0
    clock = time.perf_counter
    index = 1
    live_signed = 0
    while time.time() < stop_at:
        if index < len(plan):
            path, headers = plan[index]
        else:
            path = rng.choice(target.paths)
            headers = {"Authorization": _oauth1_header(target, path)} if signed else {}
            live_signed += 1
        index += 1
        began = clock()
        try:
            if connection.get(path, headers) != 200:
                errors += 1
        except (requests.RequestException, OSError):
            errors += 1
        latencies.append((clock() - began) * 1000)
    results.put((len(latencies), errors, latencies))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(
    target: Target, *, server_pid: int, clients: int, duration: float, mode: str, sign_live: bool, budget: int
) -> tuple[int, int, float, list[float], float]:
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    window = context.Value("d", 0.0)
    processes = [
        context.Process(target=client, args=(target, mode, sign_live, budget, n, ready, go, window, results))
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=600)
    cpu_before = _cpu_seconds(server_pid)
    started = time.time()
    window.value = started + duration
    go.set()
    total = errors = 0
    latencies: list[float] = []
    for _ in processes:
        count, failed, timings = results.get(timeout=duration + 120)
        total += count
        errors += failed
        latencies += timings
    elapsed = time.time() - started
    server_cpu = _cpu_seconds(server_pid) - cpu_before
    for process in processes:
        process.join(timeout=30)
    return total, errors, elapsed, latencies, server_cpu


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_one(
    name: str,
    runs: list[tuple[str, bool]],
    *,
    clients: int,
    duration: float,
    records: int,
    accounts: int,
    salesforce_path: str,
    log: Callable[[str], None],
) -> list[Result]:
    """Seed and start one simulator, then measure each (client, live signing) run against it."""
    results = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        data_dir = Path(tmp)
        began = time.perf_counter()
        seed_into(name, data_dir, accounts)
        log(
            f"{name}: seeded {accounts} accounts in {time.perf_counter() - began:.1f}s; "
            "starting the simulator"
        )
        process, info = start(name, data_dir)
        try:
            if name == "netsuite":
                target = prepare_netsuite(info, records)
            else:
                target = prepare_salesforce(info, min(records, accounts), salesforce_path)
            control = trusted_session(info["ca_file"])
            control.patch(
                info["url"] + "/_control/governance",
                json={"latency_ms": 0, "jitter_ms": 0, "concurrency_limit": 0, "fault_rate": 0},
            )
            for mode, sign_live in runs:
                signing = "n/a (bearer)" if target.oauth1 is None else ("live" if sign_live else "pre-signed")
                log(f"{name}: {clients} client processes ({mode}, signing {signing}) for {duration:.0f}s ...")
                control.delete(info["url"] + "/_control/stats")
                budget = 0 if sign_live or target.oauth1 is None else int(1500 * duration / clients) + 1000
                total, errors, seconds, latencies, cpu = drive(
                    target,
                    server_pid=int(info["pid"]),
                    clients=clients,
                    duration=duration,
                    mode=mode,
                    sign_live=sign_live,
                    budget=budget,
                )
                stats = control.get(info["url"] + "/_control/stats").json()
                many = len(target.paths) > 1
                request = "GET " + (target.paths[0].rsplit("/", 1)[0] + "/<id>" if many else target.paths[0])
                results.append(
                    Result(
                        name,
                        mode,
                        signing,
                        total,
                        round(seconds, 2),
                        round(total / seconds, 1),
                        errors,
                        round(percentile(latencies, 0.5), 2),
                        round(percentile(latencies, 0.95), 2),
                        clients,
                        request,
                        round(cpu * 1000 / max(total, 1), 3),
                        stats,
                    )
                )
        finally:
            process.terminate()
            process.wait(timeout=20)
    return results


RUNS = {
    # A lean keep-alive client with requests-oauthlib signatures made before the window: the server's rate.
    "capacity": [("http", False)],
    # requests + requests-oauthlib signing every request inside the window: what a typical client sees.
    "end-to-end": [("requests", True)],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.simulators",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument(
        "--clients", type=int, default=3, help="client processes (one keep-alive connection each)"
    )
    parser.add_argument("--only", choices=("salesforce", "netsuite"), default=None)
    parser.add_argument("--runs", choices=("capacity", "end-to-end", "both"), default="both")
    parser.add_argument(
        "--records", type=int, default=200, help="distinct records the clients read at random"
    )
    parser.add_argument("--accounts", type=int, default=1000, help="accounts in the seeded data set")
    parser.add_argument("--salesforce-path", choices=("account", "limits"), default="account")
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args(argv)
    names = [options.only] if options.only else ["salesforce", "netsuite"]
    runs = RUNS["capacity"] + RUNS["end-to-end"] if options.runs == "both" else RUNS[options.runs]
    results: list[Result] = []
    for name in names:
        results += run_one(
            name,
            runs,
            clients=options.clients,
            duration=options.duration,
            records=options.records,
            accounts=options.accounts,
            salesforce_path=options.salesforce_path,
            log=lambda text: print(text, file=sys.stderr, flush=True),
        )
    print(table(results))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m": os.getloadavg()[0],
    }
    options.out.write_text(
        json.dumps(
            {
                "machine": machine,
                "duration": options.duration,
                "clients": options.clients,
                "results": [asdict(result) for result in results],
            },
            indent=2,
        )
        + "\n"
    )
    shown = options.out.relative_to(ROOT) if options.out.is_relative_to(ROOT) else options.out
    print(f"written {shown}")
    return 0 if all(result.errors == 0 for result in results) else 1


def table(results: list[Result]) -> str:
    header = (
        f"{'simulator':<11} {'client':<9} {'signing':<13} {'requests':>9} {'seconds':>8} {'req/s':>7} "
        f"{'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'server CPU ms/req':>18}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.simulator:<11} {r.client:<9} {r.signing:<13} {r.requests:>9} {r.seconds:>8.1f} "
            f"{r.per_second:>7.0f} {r.errors:>6} {r.p50_ms:>7.2f} {r.p95_ms:>7.2f} "
            f"{r.server_cpu_ms_per_request:>18.3f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
