"""``python -m simulators netsuite``: flags and construction of the NetSuite simulator.

Demo credentials (all overridable by flags; more integrations/tokens can be registered at run time with
``POST /_control/netsuite/tokens``): account id ``1234567_SB1`` (the realm), consumer key
``concord-demo-consumer-key`` / secret ``concord-demo-consumer-secret``, token id
``concord-demo-token-id`` / secret ``concord-demo-token-secret``. The REST base URL is
``https://127.0.0.1:8444/services/rest/``. The account id says what the account answers as, as NetSuite's
do: ``1234567_SB1`` a sandbox (the default, as the demo's sandbox connections expect), ``--account-id
1234567`` production.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulators.netsuite.app import NetSuiteApp
from simulators.netsuite.auth import Integration
from simulators.netsuite.catalog import Catalog
from simulators.netsuite.store import NetSuiteStore, database_path

DEFAULT_ACCOUNT_ID = "1234567_SB1"
DEMO_INTEGRATION = Integration(
    consumer_key="concord-demo-consumer-key",
    consumer_secret="concord-demo-consumer-secret",
    token_id="concord-demo-token-id",
    token_secret="concord-demo-token-secret",
    name="Concord (demo)",
)


def open_store(data_dir: Path, *, one_world: bool = True) -> NetSuiteStore:
    """The simulator's store in ``data_dir`` (the seed command writes the same file)."""
    return NetSuiteStore(database_path(data_dir), Catalog(one_world=one_world))


class NetSuiteSpec:
    name = "netsuite"
    default_port = 8444

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("netsuite")
        group.add_argument(
            "--account-id", default=DEFAULT_ACCOUNT_ID, help="account id, also the OAuth realm"
        )
        group.add_argument("--consumer-key", default=DEMO_INTEGRATION.consumer_key)
        group.add_argument("--consumer-secret", default=DEMO_INTEGRATION.consumer_secret)
        group.add_argument("--token-id", default=DEMO_INTEGRATION.token_id)
        group.add_argument("--token-secret", default=DEMO_INTEGRATION.token_secret)
        group.add_argument(
            "--timestamp-window",
            type=float,
            default=300.0,
            help="seconds an oauth_timestamp may differ from the clock (default %(default)s)",
        )
        group.add_argument(
            "--no-oneworld",
            dest="one_world",
            action="store_false",
            help="an account without OneWorld (one legal entity): no subsidiary records, no subsidiary "
            "field on customers and transactions (metadata, REST and SuiteQL)",
        )
        group.add_argument(
            "--reset", action="store_true", help="start from an empty account (deletes the data)"
        )

    def create(self, options: dict[str, Any], data_dir: Path) -> NetSuiteApp:
        if options.get("reset"):
            path = database_path(data_dir)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        one_world = bool(options.get("one_world", True))
        store = open_store(data_dir, one_world=one_world)
        app = NetSuiteApp(
            store=store,
            account_id=options["account_id"],
            timestamp_window=float(options["timestamp_window"]),
            one_world=one_world,
        )
        app.tokens.register(
            Integration(
                options["consumer_key"],
                options["consumer_secret"],
                options["token_id"],
                options["token_secret"],
                DEMO_INTEGRATION.name,
            )
        )
        return app


SPEC = NetSuiteSpec()
