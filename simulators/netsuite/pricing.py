"""Item prices per price level and currency: the item's ``price`` sublist and the SuiteQL ``pricing`` table.

With the Multiple Prices and Multiple Currencies features, an item holds a pricing matrix: one price per
price level and currency (and quantity break). Oracle documents it in REST as the item's ``price``
sublist, lines ``{"currencyPage": {"id"}, "priceLevel": {"id"}, "quantity": {"value"}, "price"}``
("Working with the Pricing Sublist on Item Records",
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_159531460854.html). SuiteQL reads
the matrix from the ``pricing`` table (columns ``item``, ``pricelevel``, ``currency``, ``quantity``,
``unitprice``; community queries such as ``... JOIN pricing ON pricing.item = item.id AND
pricing.pricelevel = 1``). The price levels themselves are the ``pricelevel`` table (:data:`PRICE_LEVELS`).

Here a line is ``currencyPage`` + ``priceLevel`` + ``price``; quantity breaks are not simulated (every
row's quantity is 1, and a ``quantity`` sent is refused as an unknown field). The sublist is not keyed:
an update appends its lines unless it names ``replace=price``, as for any unkeyed sublist. An item's
``basePrice`` is the Base Price level in the base currency: when the sublist has no such line, the
``pricing`` table serves ``basePrice`` there, so items written without a matrix still have one price.
"""

from __future__ import annotations

from simulators.netsuite.schema import Sublist, number, ref, select

# Price levels (the Multiple Prices feature): a fixed list here, as a new account has it.
# (id, name, discount %, inactive)
PRICE_LEVELS = (
    (1, "Base Price", None, False),
    (2, "Alternate Price 1", -10.0, False),
    (3, "Alternate Price 2", -15.0, False),
    (4, "Alternate Price 3", -20.0, True),
    (5, "Online Price", None, False),
)
BASE_PRICE_LEVEL = 1
PRICING_COLUMNS = {
    "item": "int",
    "pricelevel": "int",
    "currency": "int",
    "quantity": "float",
    "unitprice": "float",
}


def price_sublist() -> Sublist:
    """The item's ``price`` sublist (unkeyed: lines append unless ``replace=price``)."""
    return Sublist(
        "price",
        label="Pricing",
        key="",
        fields=(
            ref("currencyPage", "currency", label="Currency", required=True),
            select(
                "priceLevel",
                tuple((str(level_id), name) for level_id, name, _, _ in PRICE_LEVELS),
                label="Price Level",
                required=True,
            ),
            number("price", label="Price", required=True),
        ),
    )


def pricing_physical(item_table: str, currency_table: str) -> str:
    """The SQL of the ``pricing`` table over the stored items: each ``price`` line, plus ``basePrice`` at
    the Base Price level in the base currency where no line gives that price."""
    base_currency = (
        f"(SELECT c.id FROM {currency_table} c "
        "WHERE json_extract(c.body, '$.isBaseCurrency') = 1 ORDER BY c.id LIMIT 1)"
    )
    lines = (
        "SELECT i.id AS item, CAST(json_extract(l.value, '$.priceLevel') AS INTEGER) AS pricelevel, "
        "CAST(json_extract(l.value, '$.currencyPage') AS INTEGER) AS currency, 1.0 AS quantity, "
        "CAST(json_extract(l.value, '$.price') AS REAL) AS unitprice "
        f"FROM {item_table} i, json_each(i.body, '$.price') l"
    )
    base = (
        f"SELECT i.id AS item, {BASE_PRICE_LEVEL} AS pricelevel, {base_currency} AS currency, "
        "1.0 AS quantity, CAST(json_extract(i.body, '$.basePrice') AS REAL) AS unitprice "
        f"FROM {item_table} i WHERE json_extract(i.body, '$.basePrice') IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM json_each(i.body, '$.price') l "
        f"WHERE CAST(json_extract(l.value, '$.priceLevel') AS INTEGER) = {BASE_PRICE_LEVEL} "
        f"AND CAST(json_extract(l.value, '$.currencyPage') AS INTEGER) = {base_currency})"
    )
    return f"({lines} UNION ALL {base})"
