"""What a throughput run left in NetSuite, checked against what was seeded in Salesforce (issue 26 point 5).

Read straight from both simulators' SQLite files (read-only, no API call, no limiter slot), after the
run, independently of Concord's own records:

- every opportunity has one sales order (by externalId), for the customer of its account, whose lines
  are its primary quote's lines (package headers with a zero total left out, as the shipped mapping
  does), one for one by quote line id: the item whose itemid is the line's product code, the quantity,
  and the amount (the net total at the currency's precision);
- customers are unique: exactly one per account, by externalId and by count (no customer without one);
- contacts are unique: exactly one per contact with a role on a seeded opportunity, by externalId and
  by count, each under its account's customer.

``check_netsuite(salesforce_db, netsuite_db, opportunity_ids)`` returns the problems found (first few of
each kind) and the counts; an empty ``problems`` list means every check passed.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from simulators.dataset import CURRENCIES

PRECISION = {currency.code: currency.precision for currency in CURRENCIES}
SHOWN = 5  # problems listed per kind


def _read(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _money(value: Any, precision: int) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def _seeded(salesforce_db: Path, ids: set[str]) -> dict[str, Any]:
    with _read(salesforce_db) as sf:
        opportunities = {
            row[0]: {"account": row[1], "currency": row[2]}
            for row in sf.execute('SELECT "Id", "AccountId", "CurrencyIsoCode" FROM "Opportunity"')
            if row[0] in ids
        }
        quotes = {
            row[0]: row[1]
            for row in sf.execute(
                'SELECT "Id", "SBQQ__Opportunity2__c" FROM "SBQQ__Quote__c" WHERE "SBQQ__Primary__c" = 1'
            )
            if row[1] in opportunities
        }
        lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
        parents: set[str] = set()
        rows = sf.execute(
            'SELECT "Id", "SBQQ__Quote__c", "SBQQ__ProductCode__c", "SBQQ__Quantity__c", '
            '"SBQQ__NetTotal__c", "SBQQ__RequiredBy__c" FROM "SBQQ__QuoteLine__c"'
        ).fetchall()
        for line_id, quote, code, quantity, total, required_by in rows:
            if required_by:
                parents.add(required_by)
            if quote in quotes:
                lines[quotes[quote]].append(
                    {"id": line_id, "code": (code or "").upper(), "quantity": quantity, "total": total}
                )
        roles = [
            (row[0], row[1])
            for row in sf.execute(
                'SELECT "OpportunityId", "ContactId" FROM "OpportunityContactRole" WHERE "IsDeleted" = 0'
            )
            if row[0] in opportunities
        ]
    sf.close()
    for opportunity, kept in lines.items():  # package headers without a price are not sent
        lines[opportunity] = [
            line for line in kept if not (Decimal(str(line["total"] or 0)) == 0 and line["id"] in parents)
        ]
    return {"opportunities": opportunities, "lines": lines, "roles": roles}


def check_netsuite(salesforce_db: Path, netsuite_db: Path, opportunity_ids: list[str]) -> dict[str, Any]:
    seeded = _seeded(salesforce_db, set(opportunity_ids))
    opportunities: dict[str, dict[str, Any]] = seeded["opportunities"]
    problems: dict[str, list[str]] = defaultdict(list)
    with _read(netsuite_db) as ns:
        customers = ns.execute("SELECT id, externalid FROM ns_customer").fetchall()
        contacts = ns.execute("SELECT id, externalid, company FROM ns_contact").fetchall()
        items = dict(ns.execute("SELECT id, UPPER(itemid) FROM ns_item").fetchall())
        orders = ns.execute(
            "SELECT id, externalid, entity FROM ns_transaction WHERE typecode = 'SalesOrd'"
        ).fetchall()
        order_lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in ns.execute(
            'SELECT "transaction", item, quantity, netamount, body FROM ns_transactionline '
            "WHERE mainline = 'F'"
        ):
            order_lines[row[0]].append(row[1:])
    ns.close()

    # Customers: one per account, by externalId and by count.
    accounts = {o["account"] for o in opportunities.values()}
    by_account = Counter(external_id for _, external_id in customers)
    customer_of = {external_id: pk for pk, external_id in customers}
    for account in sorted(accounts):
        if by_account[account] != 1:
            problems["customer_not_exactly_one"].append(f"{account}: {by_account[account]}")
    if len(customers) != len(accounts):
        problems["customer_count"].append(f"{len(customers)} customers for {len(accounts)} accounts")

    # Contacts: one per contact with a role, by externalId and by count, under the account's customer.
    expected_company = {
        contact: customer_of.get(opportunities[opportunity]["account"])
        for opportunity, contact in seeded["roles"]
    }
    by_contact = Counter(external_id for _, external_id, _ in contacts)
    company_of = {external_id: company for _, external_id, company in contacts}
    for contact, company in sorted(expected_company.items()):
        if by_contact[contact] != 1:
            problems["contact_not_exactly_one"].append(f"{contact}: {by_contact[contact]}")
        elif company_of[contact] != company:
            problems["contact_wrong_customer"].append(f"{contact}: {company_of[contact]} != {company}")
    if len(contacts) != len(expected_company):
        problems["contact_count"].append(f"{len(contacts)} contacts for {len(expected_company)} seeded")

    # Sales orders: one per opportunity, for the account's customer, with the quote's lines.
    order_count = Counter(external_id for _, external_id, _ in orders)
    checked_lines = 0
    for pk, external_id, entity in orders:
        opportunity = opportunities.get(external_id)
        if opportunity is None:
            problems["sales_order_unexpected"].append(str(external_id))
            continue
        if entity != customer_of.get(opportunity["account"]):
            problems["sales_order_wrong_customer"].append(f"{external_id}: entity {entity}")
        precision = PRECISION.get(opportunity["currency"], 2)
        sent = {}
        for item, quantity, amount, body in order_lines.get(pk, []):
            line_id = json.loads(body or "{}").get("custcol_sf_quote_line_id")
            sent[line_id] = (items.get(item), Decimal(str(quantity)), _money(amount, precision))
        wanted = {
            line["id"]: (line["code"], Decimal(str(line["quantity"])), _money(line["total"], precision))
            for line in seeded["lines"].get(external_id, [])
        }
        if not wanted:
            problems["quote_without_lines"].append(external_id)
        if sent != wanted:
            problems["sales_order_lines_differ"].append(f"{external_id}: sent {sent} != quote {wanted}")
        checked_lines += len(wanted)
    for opportunity_id in opportunity_ids:
        if order_count[opportunity_id] != 1:
            problems["sales_order_not_exactly_one"].append(f"{opportunity_id}: {order_count[opportunity_id]}")

    return {
        "problems": [
            f"{kind} ({len(found)}): {'; '.join(found[:SHOWN])}" for kind, found in problems.items()
        ],
        "sales_orders_checked": len(orders),
        "order_lines_checked": checked_lines,
        "customers": len(customers),
        "accounts": len(accounts),
        "contacts": len(contacts),
        "contacts_seeded": len(expected_company),
    }
