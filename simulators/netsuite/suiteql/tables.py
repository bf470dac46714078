"""The SuiteQL tables and columns the simulator exposes, derived from the record catalogue.

Every column is a SQL template over a table alias ``{t}``: a real column for stored fields, a
``json_extract`` of the record body otherwise, so every record field is queryable. Nothing a client
writes is ever pasted into SQL: names are looked up here and only these templates are emitted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from simulators.netsuite.catalog import Catalog
from simulators.netsuite.pricing import PRICE_LEVELS, PRICING_COLUMNS, pricing_physical
from simulators.netsuite.schema import Field
from simulators.netsuite.store import physical_table, stored_columns
from simulators.netsuite.values import COUNTRY_NAMES

SQL_TYPE_OF_KIND = {
    "text": "text",
    "bool": "bool",
    "int": "int",
    "float": "float",
    "date": "date",
    "datetime": "datetime",
    "ref": "int",
    "select": "text",
    "country": "text",
}


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    type: str
    # What BUILTIN.DF(column) shows: a template over {t}, or "" for the value itself.
    display: str = ""
    target: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    physical: str
    columns: dict[str, Column]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _case(expression: str, options: dict[str, str]) -> str:
    if not options:
        return ""
    whens = " ".join(f"WHEN {_quote(key)} THEN {_quote(value)}" for key, value in options.items())
    return f"(CASE {expression} {whens} ELSE {expression} END)"


def _ref_display(expression: str, target: str) -> str:
    return f"(SELECT refname FROM {physical_table(target)} WHERE id = {expression})"


def _column(field: Field, stored: bool) -> Column | None:
    name = field.column_name
    if name is None or field.kind == "address":
        return None
    kind = field.kind
    raw = f'{{t}}."{name}"' if stored else f"json_extract({{t}}.body, '$.{field.name}')"
    if kind == "bool":
        return Column(name, f"(CASE {raw} WHEN 1 THEN 'T' ELSE 'F' END)", "bool")
    if kind == "ref":
        return Column(name, raw, "int", _ref_display(raw, field.target), field.target)
    if kind == "select":
        return Column(name, raw, "text", _case(raw, dict(field.options)))
    if kind == "country":
        return Column(name, raw, "text", _case(raw, COUNTRY_NAMES))
    return Column(name, raw, SQL_TYPE_OF_KIND[kind])


def _record_table(catalog: Catalog, table: str) -> Table:
    stored = stored_columns(catalog, table)
    columns: dict[str, Column] = {
        "id": Column("id", "{t}.id", "int"),
        "externalid": Column("externalid", "{t}.externalid", "text"),
        "datecreated": Column("datecreated", "{t}.datecreated", "datetime"),
        "lastmodifieddate": Column("lastmodifieddate", "{t}.lastmodifieddate", "datetime"),
        "recordtype": Column("recordtype", "LOWER({t}.recordtype)", "text"),
    }
    if table == "transaction":
        columns["type"] = Column("type", "{t}.typecode", "text")
    if table == "item":
        columns["itemtype"] = Column("itemtype", "{t}.typecode", "text")
    if table == "customer":
        columns["defaultbillingaddress"] = Column("defaultbillingaddress", _DEFAULT_BILLING, "int")
    for record_type in catalog.in_table(table):
        for field in record_type.fields:
            name = field.column_name
            if name is None or name in columns:
                continue
            column = _column(field, field.stored and name in stored)
            if column is not None:
                columns[name] = column
    if table == "transaction" and "status" in columns:
        options = {
            f"{record_type.type_code}:{option}": text
            for record_type in catalog.in_table(table)
            for field in record_type.fields
            if field.column_name == "status"
            for option, text in field.options
        }
        status = columns["status"]
        columns["status"] = Column(
            "status", status.sql, "text", _case("({t}.typecode || ':' || {t}.status)", options)
        )
    return Table(table, physical_table(table), columns)


# Address book lines have no account-wide id here (the store numbers them per record), so an address's
# nKey is derived: owner id * ADDRESS_KEY_SPAN + line id. Clients only compare it, never parse it.
ADDRESS_KEY_SPAN = 100_000
_DEFAULT_BILLING = (
    f"(SELECT {{t}}.id * {ADDRESS_KEY_SPAN} + CAST(json_extract(l.value, '$.id') AS INTEGER) "
    "FROM json_each({t}.body, '$.addressBook') l "
    "WHERE json_extract(l.value, '$.defaultBilling') = 1 LIMIT 1)"
)
_ADDRESS_FIELDS = ("addressee", "attention", "addr1", "addr2", "addr3", "city", "state", "zip", "country")


def _entity_address_table() -> Table:
    """``EntityAddress``: the addresses of customers' address books, joined on
    ``EntityAddress.nKey = Customer.defaultBillingAddress`` (or ``defaultShippingAddress``)."""
    extracts = ", ".join(
        f"json_extract(l.value, '$.addressBookAddress.{name}') AS {name}" for name in _ADDRESS_FIELDS
    )
    physical = (
        f"(SELECT c.id * {ADDRESS_KEY_SPAN} + CAST(json_extract(l.value, '$.id') AS INTEGER) AS nkey, "
        f"{extracts} FROM {physical_table('customer')} c, json_each(c.body, '$.addressBook') l)"
    )
    columns = {"nkey": Column("nkey", "{t}.nkey", "int")}
    for name in _ADDRESS_FIELDS:
        columns[name] = Column(name, f"{{t}}.{name}", "text")
    columns["country"] = Column("country", "{t}.country", "text", _case("{t}.country", COUNTRY_NAMES))
    return Table("entityaddress", physical, columns)


def _change_order_line_table() -> Table:
    """``subscriptionchangeorderline``: the ``subline`` lines of change orders, joined on
    ``subscriptionchangeorderline.changeorder = subscriptionchangeorder.id``."""
    physical = (
        "(SELECT c.id AS changeorder, c.lastmodifieddate AS lastmodifieddate, "
        "CAST(json_extract(l.value, '$.sequence') AS INTEGER) AS sequence, "
        "json_extract(l.value, '$.apply') AS apply, json_extract(l.value, '$.item') AS item, "
        "json_extract(l.value, '$.quantity') AS quantityold, "
        "json_extract(l.value, '$.quantityNew') AS quantitynew, "
        "json_extract(l.value, '$.rateNew') AS ratenew, "
        "json_extract(l.value, '$.pricePlanNew') AS priceplannew "
        f"FROM {physical_table('subscriptionchangeorder')} c, json_each(c.body, '$.subline') l)"
    )
    columns = {
        "changeorder": Column(
            "changeorder",
            "{t}.changeorder",
            "int",
            _ref_display("{t}.changeorder", "subscriptionchangeorder"),
            "subscriptionchangeorder",
        ),
        "sequence": Column("sequence", "{t}.sequence", "int"),
        "apply": Column("apply", "(CASE {t}.apply WHEN 1 THEN 'T' ELSE 'F' END)", "bool"),
        "item": Column("item", "{t}.item", "int", _ref_display("{t}.item", "item"), "item"),
        "quantityold": Column("quantityold", "{t}.quantityold", "float"),
        "quantitynew": Column("quantitynew", "{t}.quantitynew", "float"),
        "ratenew": Column("ratenew", "{t}.ratenew", "float"),
        "priceplannew": Column("priceplannew", "{t}.priceplannew", "int"),
        "lastmodifieddate": Column("lastmodifieddate", "{t}.lastmodifieddate", "datetime"),
    }
    return Table("subscriptionchangeorderline", physical, columns)


def _line_table(catalog: Catalog) -> Table:
    columns = {
        "uniquekey": Column("uniquekey", "{t}.uniquekey", "int"),
        "transaction": Column(
            "transaction",
            '{t}."transaction"',
            "int",
            _ref_display('{t}."transaction"', "transaction"),
            "transaction",
        ),
        "id": Column("id", "{t}.id", "int"),
        "linesequencenumber": Column("linesequencenumber", "{t}.linesequencenumber", "int"),
        "mainline": Column("mainline", "{t}.mainline", "bool"),
        "quantity": Column("quantity", "{t}.quantity", "float"),
        "rate": Column("rate", "{t}.rate", "float"),
        "foreignamount": Column("foreignamount", "{t}.foreignamount", "float"),
        "netamount": Column("netamount", "{t}.netamount", "float"),
        "memo": Column("memo", "{t}.memo", "text"),
    }
    for name, target in (
        ("item", "item"),
        ("taxcode", "salestaxitem"),
        ("entity", "customer"),
        ("subsidiary", "subsidiary"),
    ):
        sql = f"{{t}}.{name}"
        columns[name] = Column(name, sql, "int", _ref_display(sql, target), target)
    for record_type in catalog.in_table("transaction"):
        sublist = record_type.sublist("item")
        for field in sublist.fields if sublist else ():
            if field.name.startswith("cust") and field.name not in columns:
                columns[field.name] = Column(
                    field.name,
                    f"json_extract({{t}}.body, '$.{field.name}')",
                    SQL_TYPE_OF_KIND.get(field.kind, "text"),
                )
    return Table("transactionline", "ns_transactionline", columns)


def _price_level_table() -> Table:
    """``pricelevel``: read-only rows of :data:`PRICE_LEVELS` (nothing a client sends reaches this SQL)."""
    rows = " UNION ALL ".join(
        f"SELECT {level_id} AS id, {_quote(name)} AS name, "
        f"{'NULL' if discount is None else discount} AS discountpct, "
        f"{_quote('T' if inactive else 'F')} AS isinactive"
        for level_id, name, discount, inactive in PRICE_LEVELS
    )
    columns = {
        "id": Column("id", "{t}.id", "int"),
        "name": Column("name", "{t}.name", "text"),
        "discountpct": Column("discountpct", "{t}.discountpct", "float"),
        "isinactive": Column("isinactive", "{t}.isinactive", "bool"),
    }
    return Table("pricelevel", f"({rows})", columns)


def _pricing_table() -> Table:
    """``pricing``: each item's price per price level and currency (simulators/netsuite/pricing.py)."""
    columns = {name: Column(name, f"{{t}}.{name}", kind) for name, kind in PRICING_COLUMNS.items()}
    columns["item"] = Column("item", "{t}.item", "int", _ref_display("{t}.item", "item"), "item")
    columns["currency"] = Column(
        "currency", "{t}.currency", "int", _ref_display("{t}.currency", "currency"), "currency"
    )
    return Table("pricing", pricing_physical(physical_table("item"), physical_table("currency")), columns)


def _subscription_term_columns(table: Table) -> Table:
    """NetSuite's own SuiteQL names for a subscription term's length, ``subscriptiontermduration`` and
    ``subscriptiontermunit`` (``MONTHS``/``YEARS``), beside the record's ``duration`` and ``unit``."""
    columns = dict(table.columns)
    if "duration" in columns:
        columns["subscriptiontermduration"] = Column(
            "subscriptiontermduration", columns["duration"].sql, "int"
        )
    if "unit" in columns:
        unit = columns["unit"].sql
        columns["subscriptiontermunit"] = Column(
            "subscriptiontermunit",
            f"(CASE UPPER({unit}) WHEN 'MONTH' THEN 'MONTHS' WHEN 'YEAR' THEN 'YEARS' "
            f"ELSE UPPER({unit}) END)",
            "text",
        )
    return Table(table.name, table.physical, columns)


class TableRegistry:
    """Tables by SuiteQL name, rebuilt when custom fields change the catalogue.

    ``one_world=False`` is an account without OneWorld (a single legal entity): it has no ``subsidiary``
    table and no ``subsidiary`` column (the catalogue drops the field), and a query naming either is
    refused as NetSuite refuses an unknown record or field.
    """

    def __init__(self, catalog: Catalog, *, one_world: bool = True) -> None:
        self.catalog = catalog
        self.one_world = one_world
        self._lock = threading.Lock()
        self._version = -1
        self._tables: dict[str, Table] = {}

    def tables(self) -> dict[str, Table]:
        if self._version != self.catalog.version:
            with self._lock:
                version = self.catalog.version
                tables = {name: _record_table(self.catalog, name) for name in self.catalog.tables()}
                tables["transactionline"] = _line_table(self.catalog)
                tables["entityaddress"] = _entity_address_table()
                tables["pricelevel"] = _price_level_table()
                if "subscriptionchangeorder" in tables:
                    tables["subscriptionchangeorderline"] = _change_order_line_table()
                tables["pricing"] = _pricing_table()
                if "subscriptionterm" in tables:
                    tables["subscriptionterm"] = _subscription_term_columns(tables["subscriptionterm"])
                if not self.one_world:
                    tables.pop("subsidiary", None)
                    tables["transactionline"].columns.pop("subsidiary", None)
                self._tables, self._version = tables, version
        return self._tables

    def get(self, name: str) -> Table | None:
        return self.tables().get(name.lower())
