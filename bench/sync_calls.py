"""API calls per opportunity of the Closed Won pipeline, with the sync status written to both systems and
without (issue 13 point 4: what showing the status costs against Salesforce's daily API budget and
NetSuite's request pool).

    PYTHONPATH=. .venv/bin/python -m bench.sync_calls [--accounts 60]

For each mode (``status``: the shipped field settings; ``off``: ``SYNC_STATUS_FIELDS`` naming no field
on any object, so only the NetSuite ids are written back) the bench seeds both simulators afresh
(``--accounts`` accounts, two opportunities each), starts them in this process over HTTPS, migrates a
throw-away SQLite database and runs ``run_batch`` over every won opportunity through the real
connectors, in five phases:

1. ``fail``: every SKU resolves to an item NetSuite does not have, so NetSuite refuses each sales order
   after the customer, contacts and billing account are written;
2. ``fail again``: the same, unchanged;
3. ``fix``: the real item ids: every order is written;
4. ``re-run``: nothing changed;
5. ``first sync`` (a second fresh seed): a plain first sync.

Salesforce calls are the simulator's API usage counter (what the daily limit counts); NetSuite requests
are the simulator's received-request counter (token requests included). Prints a table and writes
bench/out/sync_calls.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "sync_calls.json"
OFF: dict[str, dict[str, dict[str, Any]]] = {
    "salesforce": {"Opportunity": {}, "Account": {}, "Contact": {}},
    "netsuite": {"customer": {}, "contact": {}, "salesOrder": {}},
}


def django_setup(var_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "console.settings",
            "DATABASE_URL": f"sqlite:///{var_dir / 'bench.sqlite3'}",
            "VAR_DIR": str(var_dir),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def counters(running: Any, path: str) -> int:
    from tests.simulators.conftest import https_session

    answer = https_session(running.ca_file).get(running.url + path, timeout=30)
    answer.raise_for_status()
    body = answer.json()
    return int(body["used"]) if "used" in body else int(body["counters"].get("received", 0))


def run_mode(mode: str, accounts: int, work: Path) -> list[dict[str, Any]]:
    from django.test import override_settings

    from demo.launcher import simulator_connection_ensure
    from simulators.core.runner import start_in_thread
    from simulators.dataset import Dataset
    from simulators.netsuite.seed import seed as seed_netsuite
    from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
    from simulators.salesforce.seed import seed as seed_salesforce
    from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
    from sync.connections.connectors.netsuite import NetSuiteConnector
    from sync.connections.services import salesforce_connector
    from sync.pipeline import sources
    from sync.pipeline.runner import run_batch

    rows: list[dict[str, Any]] = []
    real_fetch = sources._item_fetch

    def unknown_items(netsuite: NetSuiteConnector) -> Callable[[Sequence[str]], dict[str, str]]:
        return lambda skus: dict.fromkeys(skus, "987654")

    for round_no, phases in enumerate((("fail", "fail again", "fix", "re-run"), ("first sync",))):
        data_dir = work / f"{mode}-{round_no}"
        dataset = Dataset(seed=3, accounts=accounts, opportunities_per_account=2)
        seed_salesforce(data_dir, dataset)
        seed_netsuite(data_dir, dataset)
        sf_sim = start_in_thread(SALESFORCE_SPEC, data_dir)
        ns_sim = start_in_thread(NETSUITE_SPEC, data_dir)
        try:
            salesforce = simulator_connection_ensure(
                "salesforce",
                name=f"sf-{mode}-{round_no}",
                url=sf_sim.url,
                ca_bundle=Path(sf_sim.ca_file).read_text(),
            )
            netsuite = simulator_connection_ensure(
                "netsuite",
                name=f"ns-{mode}-{round_no}",
                url=ns_sim.url,
                ca_bundle=Path(ns_sim.ca_file).read_text(),
                concurrency_limit=5,
            )
            sf = salesforce_connector(salesforce)
            ids = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")]
            for phase in phases:
                sources._item_fetch = unknown_items if phase.startswith("fail") else real_fetch  # type: ignore[assignment, unused-ignore]
                sf_before = counters(sf_sim, "/_control/salesforce/api-usage")
                ns_before = counters(ns_sim, "/_control/stats")
                started = time.perf_counter()
                with override_settings(**({"SYNC_STATUS_FIELDS": OFF} if mode == "off" else {})):
                    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
                seconds = time.perf_counter() - started
                sf_calls = counters(sf_sim, "/_control/salesforce/api-usage") - sf_before
                ns_requests = counters(ns_sim, "/_control/stats") - ns_before
                rows.append(
                    {
                        "mode": mode,
                        "phase": phase,
                        "opportunities": len(ids),
                        "synced": job.records_synced,
                        "failed": job.records_failed,
                        "netsuite_upserts": job.netsuite_writes,
                        "salesforce_calls": sf_calls,
                        "salesforce_calls_per_opportunity": round(sf_calls / len(ids), 3),
                        "netsuite_requests": ns_requests,
                        "netsuite_requests_per_opportunity": round(ns_requests / len(ids), 2),
                        "seconds": round(seconds, 2),
                        "problems": job.message[:200],
                    }
                )
        finally:
            sources._item_fetch = real_fetch  # type: ignore[assignment, unused-ignore]
            sf_sim.stop()
            ns_sim.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=60)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="concord-sync-calls-") as tmp:
        work = Path(tmp)
        django_setup(work)
        rows = [row for mode in ("status", "off") for row in run_mode(mode, options.accounts, work)]
    header = f"{'mode':<7} {'phase':<11} {'opps':>5} {'ok':>4} {'err':>4} {'upserts':>7} "
    header += f"{'SF calls':>8} {'SF/opp':>7} {'NS reqs':>7} {'NS/opp':>7} {'s':>6}"
    print(header)
    for r in rows:
        print(
            f"{r['mode']:<7} {r['phase']:<11} {r['opportunities']:>5} {r['synced']:>4} {r['failed']:>4} "
            f"{r['netsuite_upserts']:>7} {r['salesforce_calls']:>8} "
            f"{r['salesforce_calls_per_opportunity']:>7} "
            f"{r['netsuite_requests']:>7} {r['netsuite_requests_per_opportunity']:>7} {r['seconds']:>6}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "accounts": options.accounts,
                "machine": platform.platform(),
                "load": os.getloadavg(),
                "rows": rows,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
