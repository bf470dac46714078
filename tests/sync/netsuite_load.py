"""A worker process for the cluster-wide limiter test: hammers NetSuite through one shared limiter.

``python -m tests.sync.netsuite_load '<json>'`` (Django settings and DATABASE_URL from the environment).
The worker builds a NetSuite connector, prints ``READY``, waits for a line on stdin, sends ``requests``
SuiteQL queries from ``threads`` threads, and prints one JSON line: ``{"ok": n, "errors": [...]}``.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django


def main(options: dict[str, Any]) -> None:
    django.setup()
    from django.db import connection

    from sync.connections.concurrency import LimiterSettings, slots_for
    from sync.connections.connectors.errors import ConnectorError
    from sync.connections.connectors.netsuite import NetSuiteConfig, NetSuiteConnector, TokenAuth
    from sync.connections.connectors.transport import RetryPolicy

    slots = None
    if options["backend"] != "none":
        settings = LimiterSettings(limit=options["limit"], wait_seconds=30)
        redis_url = options.get("redis_url") if options["backend"] == "redis" else None
        slots = slots_for(options["key"], settings, redis_url=redis_url)
    connector = NetSuiteConnector(
        NetSuiteConfig(
            account_id=options["account_id"],
            auth=TokenAuth(**options["auth"]),
            base_url=options["base_url"],
            ca_bundle=options["ca_file"],
            # The control run must show refusals, not hide them behind retries.
            retry=RetryPolicy(max_attempts=1) if slots is None else RetryPolicy(),
        ),
        slots=slots,
    )

    def one(_: int) -> str | None:
        try:
            connector.suiteql_page("SELECT id FROM subsidiary", limit=1)
            return None
        except ConnectorError as error:
            return f"{error.status} {error.code}"
        finally:
            connection.close()  # each thread its own connection; do not leak them

    print("READY", flush=True)
    sys.stdin.readline()
    with ThreadPoolExecutor(max_workers=options["threads"]) as pool:
        outcomes = list(pool.map(one, range(options["requests"])))
    errors = [outcome for outcome in outcomes if outcome]
    print(json.dumps({"ok": len(outcomes) - len(errors), "errors": errors}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
