"""``python -m simulators seed``: write the deterministic data set into both simulators' stores.

Run it before starting the simulators (or restart them after): it writes the SQLite files directly,
which is what makes seeding a million records take seconds rather than hours of API calls.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from simulators.core.runner import DEFAULT_DATA_DIR
from simulators.dataset import Dataset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--accounts", type=int, default=100, help="number of accounts (default %(default)s)")
    parser.add_argument("--opportunities-per-account", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
    parser.add_argument("--only", choices=("salesforce", "netsuite"), default=None)
    parser.add_argument(
        "--currencies",
        choices=("single", "multi"),
        default=None,
        help="the Salesforce org's currencies (default: as the data directory says, else multi)",
    )
    parser.add_argument(
        "--cpq",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether the Salesforce org has CPQ quotes (default: as the data directory says, else yes)",
    )
    parser.add_argument(
        "--corporate-currency",
        default=None,
        help="the Salesforce org's corporate currency (default: as the data directory says, else USD)",
    )
    parser.add_argument(
        "--field-set",
        choices=("concord", "acme"),
        default=None,
        help="the Salesforce org's custom fields (default: as the data directory says, else concord)",
    )


def run(options: dict[str, Any]) -> int:
    from simulators.netsuite.seed import seed as seed_netsuite
    from simulators.salesforce.seed import seed as seed_salesforce

    dataset = Dataset(
        seed=options["seed"],
        accounts=options["accounts"],
        opportunities_per_account=options["opportunities_per_account"],
    )
    data_dir = Path(options["data_dir"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in ("salesforce", "netsuite"):
        if options.get("only") not in (None, name):
            continue
        started = time.perf_counter()
        if name == "salesforce":
            counts = seed_salesforce(
                data_dir,
                dataset,
                currencies=options.get("currencies"),
                cpq=options.get("cpq"),
                corporate_currency=options.get("corporate_currency"),
                field_set=options.get("field_set"),
            )
        else:
            counts = seed_netsuite(data_dir, dataset)
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        print(f"{name}: {summary} in {time.perf_counter() - started:.1f}s")
    return 0
