"""The records every org has from day one: the integration user and the standard price book.

Their ids are fixed, so the seed and the server agree on them whatever order they run in.
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import sqlite3

from simulators.dataset import CURRENCIES
from simulators.salesforce import ids

DEFAULT_ORG_ID = ids.make_id("00D", 1_000_001, pod="5g")
INTEGRATION_USER_ID = ids.make_id("005", 1, pod=ids.SEED_POD)
STANDARD_PRICEBOOK_ID = ids.make_id("01s", 1, pod=ids.SEED_POD)
CORPORATE_CURRENCY = "USD"
# When the org was "created": the system fields of the built-in records, fixed for repeatable seeds.
ORG_CREATED = "2025-12-01T00:00:00.000+0000"


def _system(record_id: str) -> dict[str, object]:
    return {
        "Id": record_id,
        "IsDeleted": 0,
        "CreatedDate": ORG_CREATED,
        "CreatedById": INTEGRATION_USER_ID,
        "LastModifiedDate": ORG_CREATED,
        "LastModifiedById": INTEGRATION_USER_ID,
        "SystemModstamp": ORG_CREATED,
    }


def ensure_org_records(
    connection: sqlite3.Connection,
    *,
    username: str,
    org_id: str = DEFAULT_ORG_ID,
    is_sandbox: bool | None = None,
    corporate_currency: str = CORPORATE_CURRENCY,
) -> None:
    """Create the built-in records if missing (the user's name follows the configured username, the one
    Organization row the configured org id and the shape's corporate currency; ``is_sandbox`` None keeps
    what the org says, new orgs are sandboxes, as the demo's connections expect)."""
    user = {
        **_system(INTEGRATION_USER_ID),
        "Username": username,
        "FirstName": "Concord",
        "LastName": "Integration",
        "Name": "Concord Integration",
        "Email": username,
        "IsActive": 1,
        "CurrencyIsoCode": corporate_currency,
    }
    book = {
        **_system(STANDARD_PRICEBOOK_ID),
        "Name": "Standard Price Book",
        "IsActive": 1,
        "IsStandard": 1,
        "Description": "The org's standard price book",
    }
    organization = {
        **_system(org_id),
        "Name": "Concord Simulated Org",
        "IsSandbox": 1,
        "OrganizationType": "Enterprise Edition",
        "InstanceName": "CS5",
        "DefaultCurrencyIsoCode": corporate_currency,
    }
    # One org: a restart with another --org-id replaces the row.
    connection.execute('DELETE FROM "Organization" WHERE "Id" != ?', (org_id,))
    for table, row in (("User", user), ("Pricebook2", book), ("Organization", organization)):
        columns = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        connection.execute(
            f'INSERT OR IGNORE INTO "{table}" ({columns}) VALUES ({marks})', list(row.values())
        )
    # The shape decides the corporate currency (an org file written before the field existed has none).
    connection.execute('UPDATE "Organization" SET "DefaultCurrencyIsoCode" = ?', (corporate_currency,))
    _currency_types(connection, corporate_currency)
    connection.execute(
        'UPDATE "User" SET "Username" = ?, "Email" = ?, "CurrencyIsoCode" = ? WHERE "Id" = ?',
        (username, username, corporate_currency, INTEGRATION_USER_ID),
    )
    if is_sandbox is not None:
        organization_set_sandbox(connection, is_sandbox=is_sandbox)


def _currency_types(connection: sqlite3.Connection, corporate_currency: str) -> None:
    """One ``CurrencyType`` row per currency, the corporate one marked (the API shows them only in a
    multi-currency shape). Rates are nominal: Concord never converts with Salesforce's rates."""
    for number, currency in enumerate(CURRENCIES, start=1):
        row = {
            **_system(ids.make_id("02y", number, pod=ids.SEED_POD)),
            "IsoCode": currency.code,
            "IsCorporate": int(currency.code == corporate_currency),
            "IsActive": 1,
            "ConversionRate": 1.0,
            "DecimalPlaces": currency.precision,
        }
        columns = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        connection.execute(
            f'INSERT OR IGNORE INTO "CurrencyType" ({columns}) VALUES ({marks})', list(row.values())
        )
    connection.execute('UPDATE "CurrencyType" SET "IsCorporate" = ("IsoCode" = ?)', (corporate_currency,))


def organization_set_sandbox(connection: sqlite3.Connection, *, is_sandbox: bool) -> None:
    """Make the org answer as a sandbox or as production (``Organization.IsSandbox``, ``InstanceName``)."""
    connection.execute(
        'UPDATE "Organization" SET "IsSandbox" = ?, "InstanceName" = ?',
        (int(is_sandbox), "CS5" if is_sandbox else "NA5"),
    )


def organization_is_sandbox(connection: sqlite3.Connection) -> bool:
    row = connection.execute('SELECT "IsSandbox" FROM "Organization" LIMIT 1').fetchone()
    return bool(row[0]) if row else True
