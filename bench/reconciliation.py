"""Reconciling N accounts with N NetSuite customers (issue 9: 1,000,000 per side, the comparison under
30 s of CPU and 500 MB peak memory; the time spent reading each side reported beside it).

1. Seed (once, cached in ``bench/out/recon-<N>/``): the Salesforce simulator with N accounts (the
   deterministic data set), the NetSuite simulator with its set-up and a customer per account, written
   through the simulator's own record writer, with deliberate differences: every 1,000th account has no
   customer, every 997th customer has another name, every 1,499th another currency, and 250 customers
   have no account.
2. Start both simulators as processes, as a user would, and read each side in full over HTTPS through
   Concord's connectors: SOQL ``SELECT Id, Name, CurrencyIsoCode FROM Account`` (2,000-record pages),
   SuiteQL ``SELECT id, externalid, companyname, currency FROM customer`` with keyset paging (1,000-row
   pages). Each side is canonicalised to ``(key, (name, currency code))`` and spilled to a file as it
   arrives, so reading never holds a side in memory.
3. Compare in a fresh process (so its peak memory is its own): :func:`reconciliation.engine.compare`
   over the two files, counting mismatches per class. CPU time is ``time.process_time()`` of that
   process; peak memory its ``VmHWM`` (high-water resident set).

    PYTHONPATH=. .venv/bin/python -m bench.reconciliation --records 1000000
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.simulators import ROOT, start

OUT = ROOT / "bench" / "out"
BATCH = 10_000
MISSING_EVERY, NAME_EVERY, CURRENCY_EVERY, EXTRA_CUSTOMERS = 1_000, 997, 1_499, 250


def seed(data_dir: Path, records: int) -> None:
    from simulators.dataset import CURRENCIES, Dataset
    from simulators.netsuite.seed import seed as seed_netsuite
    from simulators.netsuite.spec import open_store
    from simulators.netsuite.writes import RecordWriter
    from simulators.salesforce.seed import seed as seed_salesforce

    marker = data_dir / "seeded.json"
    if marker.exists() and json.loads(marker.read_text()).get("records") == records:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    dataset = Dataset(seed=7, accounts=records, opportunities_per_account=0)
    started = time.perf_counter()
    seed_salesforce(data_dir, dataset)
    print(f"seeded {records:,} Salesforce accounts in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    seed_netsuite(data_dir, dataset)
    store = open_store(data_dir)
    writer = RecordWriter(store)
    customer = store.catalog.get("customer")
    if customer is None:
        raise RuntimeError("the NetSuite catalog has no customer type")
    currency_ids = {currency.code: str(n) for n, currency in enumerate(CURRENCIES, start=1)}
    other = {
        code: currency_ids[CURRENCIES[(n + 1) % len(CURRENCIES)].code] for n, code in enumerate(currency_ids)
    }
    from simulators.salesforce.seed_rows import account_id  # the ids the Salesforce seed gave the accounts

    def customers() -> Iterator[dict[str, Any]]:
        for account in dataset.accounts():
            n = account.index + 1
            if n % MISSING_EVERY == 0:
                continue
            currency = currency_ids[account.currency]
            yield {
                "externalId": account_id(account.index),
                "companyName": account.name + (" (renamed)" if n % NAME_EVERY == 0 else ""),
                "subsidiary": {"id": "1"},
                "currency": {"id": other[account.currency] if n % CURRENCY_EVERY == 0 else currency},
            }
        for n in range(EXTRA_CUSTOMERS):
            yield {
                "externalId": f"EXTRA-{n:05d}",
                "companyName": f"Only in NetSuite {n}",
                "subsidiary": {"id": "1"},
            }

    batch: list[dict[str, Any]] = []
    for body in customers():
        batch.append(body)
        if len(batch) == BATCH:
            with store.write():
                for item in batch:
                    writer.create(customer, item)
            batch.clear()
    with store.write():
        for item in batch:
            writer.create(customer, item)
    store.close()
    print(f"seeded NetSuite customers in {time.perf_counter() - started:.0f} s", flush=True)
    marker.write_text(json.dumps({"records": records}))


def spill(path: Path, pairs: Iterator[tuple[str, tuple[Any, ...]]]) -> int:
    count = 0
    with path.open("wb") as out:
        batch: list[tuple[str, tuple[Any, ...]]] = []
        for pair in pairs:
            batch.append(pair)
            if len(batch) == BATCH:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
                count += len(batch)
                batch = []
        pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        count += len(batch)
    return count


def replay(path: Path) -> Iterator[tuple[str, tuple[Any, ...]]]:
    with path.open("rb") as source:
        while True:
            try:
                yield from pickle.load(source)  # noqa: S301 - the file this benchmark wrote
            except EOFError:
                return


def read_sides(data_dir: Path, work: Path) -> dict[str, Any]:
    from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
    from simulators.salesforce import login
    from sync.connections.connectors.netsuite import NetSuiteConfig, NetSuiteConnector, TokenAuth
    from sync.connections.connectors.salesforce import PasswordAuth, SalesforceConfig, SalesforceConnector

    sf_process, sf_info = start("salesforce", data_dir)
    ns_process, ns_info = start("netsuite", data_dir)
    try:
        salesforce = SalesforceConnector(
            SalesforceConfig(
                login_url=sf_info["url"],
                auth=PasswordAuth(
                    username=login.DEMO_USERNAME,
                    password=login.DEMO_PASSWORD,
                    security_token=login.DEMO_SECURITY_TOKEN,
                    client_id=login.DEMO_CLIENT_ID,
                    client_secret=login.DEMO_CLIENT_SECRET,
                ),
                ca_bundle=sf_info["ca_file"],
                read_timeout=300,
            )
        )
        netsuite = NetSuiteConnector(
            NetSuiteConfig(
                account_id=DEFAULT_ACCOUNT_ID,
                auth=TokenAuth(
                    consumer_key=DEMO_INTEGRATION.consumer_key,
                    consumer_secret=DEMO_INTEGRATION.consumer_secret,
                    token_id=DEMO_INTEGRATION.token_id,
                    token_secret=DEMO_INTEGRATION.token_secret,
                ),
                base_url=ns_info["url"],
                ca_bundle=ns_info["ca_file"],
                read_timeout=300,
            )
        )
        figures: dict[str, Any] = {}
        started = time.perf_counter()
        rows = salesforce.query("SELECT Id, Name, CurrencyIsoCode FROM Account")
        figures["salesforce_records"] = spill(
            work / "salesforce.pickle", ((row["Id"], (row["Name"], row["CurrencyIsoCode"])) for row in rows)
        )
        figures["salesforce_read_seconds"] = round(time.perf_counter() - started, 1)
        figures["salesforce_api_calls"] = salesforce.api_calls
        print(f"read Salesforce: {figures['salesforce_records']:,} in {figures['salesforce_read_seconds']} s")
        started = time.perf_counter()
        codes = {str(row["id"]): row["symbol"] for row in netsuite.suiteql("SELECT id, symbol FROM currency")}
        customers = netsuite.suiteql_by_key("SELECT id, externalid, companyname, currency FROM customer")
        figures["netsuite_records"] = spill(
            work / "netsuite.pickle",
            (
                (row["externalid"], (row["companyname"], codes.get(str(row.get("currency")))))
                for row in customers
                if row.get("externalid")
            ),
        )
        figures["netsuite_read_seconds"] = round(time.perf_counter() - started, 1)
        print(f"read NetSuite: {figures['netsuite_records']:,} in {figures['netsuite_read_seconds']} s")
        return figures
    finally:
        for process in (sf_process, ns_process):
            process.terminate()
            process.wait(timeout=30)


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries that over ``exec`` from
    the forking parent, so a child of a big parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def compare_files(work: Path) -> dict[str, Any]:
    """Runs in its own process: the comparison alone, its CPU time and peak memory."""
    from reconciliation.engine import Comparison, FieldSpec, compare

    fields = [FieldSpec("name", "text"), FieldSpec("currency", "text")]
    result = Comparison(fields)
    cpu = time.process_time()
    wall = time.perf_counter()
    mismatches = 0
    for _ in compare(
        replay(work / "salesforce.pickle"), replay(work / "netsuite.pickle"), fields, result=result
    ):
        mismatches += 1
    return {
        "compare_cpu_seconds": round(time.process_time() - cpu, 2),
        "compare_wall_seconds": round(time.perf_counter() - wall, 2),
        "compare_peak_rss_mb": peak_rss_mb(),
        "mismatches": mismatches,
        **result.as_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--compare-only", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.compare_only:
        print(json.dumps(compare_files(options.compare_only)))
        return 0
    data_dir = OUT / f"recon-{options.records}"
    seed(data_dir, options.records)
    work = data_dir / "sides"
    work.mkdir(exist_ok=True)
    figures = read_sides(data_dir, work)
    child = subprocess.run(
        [sys.executable, "-m", "bench.reconciliation", "--compare-only", str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
    expected_missing = options.records // MISSING_EVERY
    figures["expected"] = {
        "missing_in_netsuite": expected_missing,
        "missing_in_salesforce": EXTRA_CUSTOMERS,
    }
    (OUT / f"reconciliation-{options.records}.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    ok = (
        figures["counts"]["missing_in_netsuite"] == expected_missing
        and figures["counts"]["missing_in_salesforce"] == EXTRA_CUSTOMERS
        and figures["compare_cpu_seconds"] < 30
        and figures["compare_peak_rss_mb"] < 500
    )
    print("within target" if ok else "OUTSIDE TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
