"""What the catalogue sync reads from NetSuite: the items changed since a watermark, each item in full,
and its prices per price level and currency (SuiteQL ``pricing``).

Item types: the sale item types a Salesforce product stands for. Discounts, subtotals, descriptions and
payment items are lines on a transaction, not products, and are not read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.pipeline.keyset import PAGE_SIZE, keyset_rows

# SuiteQL item.itemtype -> REST record type.
ITEM_TYPES = {
    "InvtPart": "inventoryItem",
    "NonInvtPart": "nonInventorySaleItem",
    "Service": "serviceSaleItem",
    "OthCharge": "otherChargeSaleItem",
    "Kit": "kitItem",
    "Assembly": "assemblyItem",
}
IN_CHUNK = 500
STANDARD = "standard"  # pricebook_by_price_level's word for the org's standard price book


@dataclass(frozen=True)
class ChangedItem:
    id: str
    item_id: str  # the item's name/number: the Salesforce ProductCode
    record_type: str  # REST type
    modified: str  # lastmodifieddate as "YYYY-MM-DD HH:MM:SS"


def items_changed_since(
    netsuite: NetSuiteConnector, since: dt.datetime, *, page_size: int = PAGE_SIZE
) -> Iterator[ChangedItem]:
    """Sale items with ``lastmodifieddate >= since``, in (second, id) order."""
    codes = ", ".join(f"'{code}'" for code in ITEM_TYPES)
    for row in keyset_rows(
        netsuite, since, "item", "id, itemid, itemtype", f"itemtype IN ({codes})", page_size
    ):
        yield ChangedItem(
            str(row["id"]), str(row.get("itemid") or ""), ITEM_TYPES[row["itemtype"]], row["modified"]
        )


def items_by_id(netsuite: NetSuiteConnector, ids: Iterable[str]) -> list[ChangedItem]:
    """The sale items among ``ids`` (an exception's retry, a chosen item)."""
    wanted = [str(int(i)) for i in ids]  # ids go into SQL: whole numbers only
    codes = ", ".join(f"'{code}'" for code in ITEM_TYPES)
    found: list[ChangedItem] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = ", ".join(wanted[start : start + IN_CHUNK])
        columns = "id, itemid, itemtype, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified"
        where = f"id IN ({chunk}) AND itemtype IN ({codes})"
        query = f"SELECT {columns} FROM item WHERE {where} ORDER BY id"  # noqa: S608 - whole numbers, fixed codes
        for row in netsuite.suiteql(query):
            found.append(
                ChangedItem(
                    str(row["id"]), str(row.get("itemid") or ""), ITEM_TYPES[row["itemtype"]], row["modified"]
                )
            )
    return found


@dataclass(frozen=True)
class ItemPrice:
    level_id: str
    level_name: str
    currency: str  # ISO code
    price: Decimal


def price_level_names(netsuite: NetSuiteConnector) -> dict[str, str]:
    """Price level id -> name."""
    return {
        str(row["id"]): str(row.get("name") or "")
        for row in netsuite.suiteql("SELECT id, name FROM pricelevel")
    }


def item_prices(
    netsuite: NetSuiteConnector,
    item_ids: list[str],
    *,
    currency_codes: Mapping[str, Any],
    level_names: Mapping[str, str],
) -> dict[str, list[ItemPrice]]:
    """Each item's prices: one per price level and currency (the lowest quantity break's price).
    ``currency_codes`` maps NetSuite currency ids to ISO codes; a currency without one is left out."""
    best: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
    for start in range(0, len(item_ids), IN_CHUNK):
        chunk = ", ".join(str(int(i)) for i in item_ids[start : start + IN_CHUNK])
        query = (
            "SELECT item, pricelevel, currency, quantity, unitprice FROM pricing "  # noqa: S608
            f"WHERE item IN ({chunk}) ORDER BY item, pricelevel, currency"
        )
        for row in netsuite.suiteql(query):
            code = currency_codes.get(str(row.get("currency")))
            price = _decimal(row.get("unitprice"))
            if not code or price is None:
                continue
            quantity = _decimal(row.get("quantity")) or Decimal(0)
            key = (str(row["item"]), str(row["pricelevel"]), str(code))
            if key not in best or quantity < best[key][0]:
                best[key] = (quantity, price)
    prices: dict[str, list[ItemPrice]] = {}
    for (item, level, code), (_, price) in sorted(best.items()):
        prices.setdefault(item, []).append(ItemPrice(level, level_names.get(level, level), code, price))
    return prices


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
