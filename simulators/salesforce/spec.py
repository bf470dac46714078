"""``python -m simulators salesforce``: flags and construction of the Salesforce simulator.

Demo credentials (all overridable by flags): username ``integration@concord.example``, password
``concord-demo`` with security token ``DEMOTOKEN``, connected app client id
``3MVG9Concord.Demo.ConnectedApp`` and secret ``concord-demo-secret``.

The org's shape (``--currencies single|multi``, ``--cpq/--no-cpq``, ``--corporate-currency``,
``--field-set concord|acme``) is kept in the data directory: a flag
given at start applies and is remembered, a start without it keeps the last shape (a new org is
multi-currency with CPQ). The file always holds every column, so data seeded in one shape can be served
in another: a single-currency start hides ``CurrencyIsoCode`` (records keep their stored currency inside,
new ones get the corporate currency), a ``--no-cpq`` start hides the quotes (they stay in the file). For
a clean org of another shape, ``--reset`` and seed again (the seed writes the shape it finds).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulators.salesforce import login
from simulators.salesforce.app import MIN_API_VERSION, SalesforceApp
from simulators.salesforce.auth import Credentials
from simulators.salesforce.customfields import load_custom_fields
from simulators.salesforce.fields import CURRENCY_CODES
from simulators.salesforce.fieldsets import FIELD_SETS
from simulators.salesforce.objects import CURRENCY_SHAPES, storage_schema
from simulators.salesforce.org import DEFAULT_ORG_ID, INTEGRATION_USER_ID, ensure_org_records
from simulators.salesforce.shape import resolve_shape
from simulators.salesforce.store import database_path, open_store


class SalesforceSpec:
    name = "salesforce"
    default_port = 8443

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("salesforce")
        group.add_argument("--org-id", default=DEFAULT_ORG_ID, help="18-character organization id")
        group.add_argument(
            "--environment",
            choices=("sandbox", "production"),
            default="sandbox",
            help="what the org answers as (Organization.IsSandbox); default %(default)s",
        )
        group.add_argument("--username", default=login.DEMO_USERNAME)
        group.add_argument("--password", default=login.DEMO_PASSWORD)
        group.add_argument("--security-token", default=login.DEMO_SECURITY_TOKEN)
        group.add_argument("--client-id", default=login.DEMO_CLIENT_ID)
        group.add_argument("--client-secret", default=login.DEMO_CLIENT_SECRET)
        group.add_argument(
            "--jwt-certificate",
            type=Path,
            default=None,
            help="PEM certificate (or public key) of the connected app, for the JWT bearer flow",
        )
        group.add_argument(
            "--api-version-max", type=int, default=62, help="newest API version served (v40.0 up)"
        )
        group.add_argument("--daily-api-limit", type=int, default=100_000)
        group.add_argument("--session-seconds", type=float, default=7200.0, help="access token lifetime")
        group.add_argument(
            "--outbound-time-scale",
            type=float,
            default=1.0,
            help="multiplies outbound retry intervals and the 24 h cut-off (tests use 0.0005)",
        )
        group.add_argument(
            "--currencies",
            choices=CURRENCY_SHAPES,
            default=None,
            help="single: an org without multiple currencies (no CurrencyIsoCode anywhere); multi (the "
            "default for a new org): CurrencyIsoCode on the usual objects. Kept in the data directory.",
        )
        group.add_argument(
            "--cpq",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="whether Salesforce CPQ is installed (SBQQ__ objects and fields); default: as the data "
            "directory says, installed for a new org",
        )
        group.add_argument(
            "--corporate-currency",
            choices=CURRENCY_CODES,
            default=None,
            help="the org's corporate currency (Organization.DefaultCurrencyIsoCode, new records' currency); "
            "default: as the data directory says, USD for a new org",
        )
        group.add_argument(
            "--field-set",
            choices=FIELD_SETS,
            default=None,
            help="the custom fields the org's admins created: concord (Concord_Sync_* status fields, "
            "Subsidiary__c) or acme (an acquired company's org: ERP_Sync_* status fields, Region__c, "
            "Acme_Deal_Code__c); default: as the data directory says, concord for a new org",
        )
        group.add_argument("--reset", action="store_true", help="start from an empty org (deletes the data)")

    def create(self, options: dict[str, Any], data_dir: Path) -> SalesforceApp:
        if options["api_version_max"] < MIN_API_VERSION:
            raise SystemExit(f"--api-version-max must be at least {MIN_API_VERSION}")
        if options.get("reset"):
            path = database_path(data_dir)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        # The file always has every column and table of the fullest shape; the shape decides what the API
        # shows. So one data directory can be started in any shape.
        store = open_store(data_dir, storage_schema())
        with store.write() as connection:
            shape = resolve_shape(
                connection,
                options.get("currencies"),
                options.get("cpq"),
                corporate_currency=options.get("corporate_currency"),
                field_set=options.get("field_set"),
            )
            schema = shape.schema()
            load_custom_fields(connection, schema)
            ensure_org_records(
                connection,
                username=options["username"],
                org_id=options["org_id"],
                is_sandbox=options.get("environment", "sandbox") == "sandbox",
                corporate_currency=shape.corporate_currency,
            )
        credentials = Credentials(
            org_id=options["org_id"],
            user_id=INTEGRATION_USER_ID,
            username=options["username"],
            password=options["password"],
            security_token=options["security_token"],
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            session_seconds=float(options["session_seconds"]),
        )
        app = SalesforceApp(
            store=store,
            schema=schema,
            credentials=credentials,
            api_version_max=options["api_version_max"],
            daily_api_limit=options["daily_api_limit"],
            outbound_time_scale=float(options["outbound_time_scale"]),
        )
        if options.get("jwt_certificate"):
            app.sessions.register_certificate(Path(options["jwt_certificate"]).read_text())
        return app


SPEC = SalesforceSpec()
