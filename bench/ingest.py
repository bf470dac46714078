"""Outbound Message notifications accepted per second, against a bare Django view (issue 12: ratio >= 0.5).

    PYTHONPATH=. .venv/bin/python -m bench.ingest [--duration 6] [--rounds 2] [--clients 4] \
        [--workers 2] [--threads 2] [--database-url postgres://...]

Migrates a throw-away database (a temporary SQLite file unless ``--database-url`` names an EMPTY one, e.g.
after ``createdb -h 127.0.0.1 -U postgres concord_ingest_bench``; drop it afterwards), creates a
Closed Won listener through ``listener_create``, then starts ONE gunicorn process (gthread workers, so
keep-alive holds; DEBUG off, the production middleware stack) serving the project with the settings of
bench/ingest_settings.py: the product's URLs unchanged plus ``/bench/bare/``, a view that reads the body
and answers ``ok``. Client *processes* (one keep-alive ``requests.Session`` each) then POST back to back
for ``--duration`` seconds to one endpoint, then the other, alternating for ``--rounds`` rounds (after an
unmeasured ``--warmup`` round):

- ingest: a real Outbound Message envelope (simulators/salesforce/soap.py) carrying ``--per-message``
  notifications, each with a notification id never sent before (so de-duplication never shortcuts);
  the answer must be exactly ``sync.pipeline.listener.soap.ACK``;
- bare: the same envelope bytes to ``/bench/bare/``, so both sides pay for the same upload.

Checks afterwards: every ingest answer was the exact Ack, and the inbox holds exactly one row per
acknowledged notification (row count and distinct ids). Output: a table (requests, req/s,
notifications/s, p50/p95), the ratio, and bench/out/ingest.json. Clients and server share the cores.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from bench.stack import free_port, gunicorn_command

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "ingest.json"
GOAL = 0.5
# Fresh for each run, shared by the parent (which creates the listener) and the server (which reads it).
KEYS = {
    "SECRET_KEY": secrets.token_urlsafe(40),
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
}


@dataclass
class Phase:
    endpoint: str
    round: int
    requests: int
    notifications: int
    seconds: float
    errors: int
    latencies_ms: list[float]


@dataclass
class Row:
    endpoint: str
    requests: int
    notifications: int
    seconds: float
    per_second: float
    notifications_per_second: float
    errors: int
    p50_ms: float
    p95_ms: float


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- the server -----------------------------------------------------------------------------------------


def server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.ingest_settings",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "SECRET_KEY": KEYS["SECRET_KEY"],
        "FIELD_ENCRYPTION_KEYS": KEYS["FIELD_ENCRYPTION_KEYS"],
        # Plain HTTP on the loopback: no TLS terminator in front of this server.
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }


def prepare(database_url: str, var_dir: Path, per_message: int) -> str:
    """Migrate, create the listener; return its path token. Runs in the parent with the bench settings."""
    os.environ.update(server_env(database_url, var_dir))
    import django

    django.setup()
    from django.core.management import call_command

    from simulators.salesforce.org import DEFAULT_ORG_ID
    from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
    from sync.pipeline.listener.services import listener_create

    call_command("migrate", verbosity=0, interactive=False)
    salesforce = Connection.objects.create(
        name="bench-sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    netsuite = Connection.objects.create(
        name="bench-ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    _, token = listener_create(
        name="bench-closed-won",
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        allowed_org_id=DEFAULT_ORG_ID,
    )
    return token


def start_server(
    port: int, workers: int, threads: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    command = gunicorn_command(port, workers, threads)
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log}")
        try:
            if requests.post(f"http://127.0.0.1:{port}/bench/bare/", data=b"", timeout=2).status_code == 200:
                return process
        except requests.RequestException:  # not listening yet, or a first answer slow on a loaded machine
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not answer; see {log}")


# -- client processes -----------------------------------------------------------------------------------


def envelope(ids: list[str]) -> bytes:
    from simulators.salesforce import soap as sim_soap
    from simulators.salesforce.org import DEFAULT_ORG_ID

    return sim_soap.envelope(
        organization_id=DEFAULT_ORG_ID,
        action_id="04k000000000001AAA",
        session_id=None,
        enterprise_url="https://sf.example/services/Soap/c/62.0",
        partner_url="https://sf.example/services/Soap/u/62.0",
        notifications=[
            sim_soap.Notification(
                i,
                "Opportunity",
                (("Id", "0065g00000AbCdEAAA"), ("StageName", "Closed Won"), ("Amount", "1200")),
            )
            for i in ids
        ],
    )


def client(url: str, prefix: str, per_message: int, check_ack: bool, deadline: float, out: Any) -> None:
    """POST back to back until ``deadline`` (time.time()); put (requests, notifications, errors, ms)."""
    from sync.pipeline.listener.soap import ACK

    session = requests.Session()
    session.trust_env = False
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    sent = ok_notifications = errors = 0
    latencies: list[float] = []
    counter = 0
    while time.time() < deadline:
        ids = []
        for _ in range(per_message):
            counter += 1
            ids.append(f"04l{prefix}{counter:09d}AAA")  # 3 + 3 + 9 + 3 = 18 characters, like Salesforce's
        body = envelope(ids)
        started = time.perf_counter()
        try:
            answer = session.post(url, data=body, headers=headers, timeout=30)
        except requests.RequestException:
            errors += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        sent += 1
        good = answer.status_code == 200 and (
            answer.content == ACK if check_ack else answer.content == b"ok\n"
        )
        if good:
            ok_notifications += per_message
        else:
            errors += 1
    out.put((sent, ok_notifications, errors, latencies))


def run_phase(
    endpoint: str, url: str, round_no: int, clients: int, per_message: int, duration: float, phase_no: int
) -> Phase:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 1.5  # spawn start-up outside the measured window
    deadline = start_at + duration
    processes = [
        context.Process(
            target=_client_main,
            args=(
                url,
                f"{phase_no:01d}{n:02d}",
                per_message,
                endpoint == "ingest",
                start_at,
                deadline,
                queue,
            ),
        )
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=duration + 120) for _ in processes]
    for process in processes:
        process.join()
    latencies = [value for result in results for value in result[3]]
    return Phase(
        endpoint,
        round_no,
        requests=sum(r[0] for r in results),
        notifications=sum(r[1] for r in results),
        seconds=duration,
        errors=sum(r[2] for r in results),
        latencies_ms=latencies,
    )


def _client_main(
    url: str, prefix: str, per_message: int, check_ack: bool, start_at: float, deadline: float, out: Any
) -> None:
    sys.path.insert(0, str(ROOT))
    envelope(["04l000000000000AAA"])  # import and warm the envelope builder before the window opens
    time.sleep(max(0.0, start_at - time.time()))
    client(url, prefix, per_message, check_ack, deadline, out)


# -- main -----------------------------------------------------------------------------------------------


def summarise(phases: list[Phase], endpoint: str, per_message: int) -> Row:
    mine = [p for p in phases if p.endpoint == endpoint and p.round > 0]
    seconds = sum(p.seconds for p in mine)
    sent = sum(p.requests for p in mine)
    latencies = [value for p in mine for value in p.latencies_ms]
    notifications = sum(p.notifications for p in mine) if endpoint == "ingest" else sent * per_message
    return Row(
        endpoint,
        sent,
        notifications,
        round(seconds, 1),
        round(sent / seconds, 1),
        round(notifications / seconds, 1),
        sum(p.errors for p in mine),
        round(percentile(latencies, 0.50), 2),
        round(percentile(latencies, 0.95), 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per phase (default 6)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per endpoint first")
    parser.add_argument("--rounds", type=int, default=2, help="bare/ingest pairs, alternating (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument("--per-message", type=int, default=1, help="notifications per envelope (default 1)")
    parser.add_argument(
        "--database-url", default="", help="a throw-away database; default a temp SQLite file"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        var_dir = Path(tmp)
        database_url = args.database_url or f"sqlite:///{var_dir / 'ingest.sqlite3'}"
        load_before = os.getloadavg()
        token = prepare(database_url, var_dir, args.per_message)
        from django.db import connection

        connection.close()
        port = free_port()
        env = server_env(database_url, var_dir)
        log = var_dir / "gunicorn.log"
        server = start_server(port, args.workers, args.threads, env, log)
        base = f"http://127.0.0.1:{port}"
        urls = {"bare": f"{base}/bench/bare/", "ingest": f"{base}/sync/inbound/outbound-message/{token}/"}
        phases: list[Phase] = []
        try:
            phase_no = 0
            # Round 0 warms both endpoints up (workers' first requests); it counts for correctness only.
            for round_no in range(0 if args.warmup > 0 else 1, args.rounds + 1):
                for endpoint in ("bare", "ingest"):
                    phase_no += 1
                    phase = run_phase(
                        endpoint,
                        urls[endpoint],
                        round_no,
                        args.clients,
                        args.per_message,
                        args.duration if round_no else args.warmup,
                        phase_no,
                    )
                    phases.append(phase)
                    print(
                        f"  round {round_no} {endpoint:6s} {phase.requests / phase.seconds:8.1f} req/s"
                        f"  errors {phase.errors}",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
        load_after = os.getloadavg()

        from sync.pipeline.models import InboxMessage

        rows = InboxMessage.objects.count()
        distinct = InboxMessage.objects.values("notification_id").distinct().count()
        connection.close()
        server_log = log.read_text(errors="replace")[-4000:]

    bare = summarise(phases, "bare", args.per_message)
    ingest = summarise(phases, "ingest", args.per_message)
    ratio = ingest.per_second / bare.per_second if bare.per_second else 0.0
    acknowledged = sum(p.notifications for p in phases if p.endpoint == "ingest")  # warm-up included
    errors = sum(p.errors for p in phases)
    exactly_once = rows == acknowledged == distinct
    correct = exactly_once and errors == 0

    print()
    print(
        f"{'endpoint':8s} {'requests':>9s} {'seconds':>8s} {'req/s':>8s} {'notif/s':>8s} {'errors':>7s} "
        f"{'p50 ms':>7s} {'p95 ms':>7s}"
    )
    for row in (bare, ingest):
        print(
            f"{row.endpoint:8s} {row.requests:9d} {row.seconds:8.1f} {row.per_second:8.1f} "
            f"{row.notifications_per_second:8.1f} {row.errors:7d} {row.p50_ms:7.2f} {row.p95_ms:7.2f}"
        )
    print()
    print(
        f"ratio ingest/bare (requests/s): {ratio:.2f}"
        f"  (goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'})"
    )
    print(
        f"inbox rows {rows}, distinct ids {distinct}, acknowledged notifications {acknowledged}: "
        f"{'exactly once' if exactly_once else 'MISMATCH'}; every answer the exact Ack: {errors == 0}"
    )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} CPUs)")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "load_average_before": load_before,
                "load_average_after": load_after,
                "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
                "server": f"gunicorn gthread, {args.workers} workers x {args.threads} threads",
                "arguments": vars(args),
                "rows": [asdict(bare), asdict(ingest)],
                "phases": [{**asdict(p), "latencies_ms": None} for p in phases],
                "ratio": round(ratio, 3),
                "goal": GOAL,
                "acknowledged_notifications": acknowledged,
                "inbox_rows": rows,
                "distinct_notification_ids": distinct,
                "correct": correct,
            },
            indent=2,
        )
    )
    print(f"wrote {OUT.relative_to(ROOT)}")
    if not correct:
        print(server_log, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
