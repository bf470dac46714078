"""What the platform and the CPQ package do on every write: derived fields and their side effects.

- Contact/User ``Name`` from first and last name.
- Opportunity ``IsClosed``/``IsWon`` from the stage (read-only), ``Probability`` defaulted per stage.
- PricebookEntry name and product code from the product; one price per book, product and currency;
  a custom price book needs the standard price first.
- OpportunityLineItem product, list price and currency from the price book entry, ``TotalPrice`` from
  quantity, unit price and discount; the opportunity takes the entry's price book.
- CPQ: one primary quote per opportunity, mirrored in ``Opportunity.SBQQ__PrimaryQuote__c``; quote
  lines take their quote's currency and a bundle parent (``SBQQ__RequiredBy__c``) must be on the same quote.
- The contract life cycle's derived fields: :mod:`simulators.salesforce.contract_rules`.

Opportunity ``Amount`` is *not* rolled up from line items: it stays as written (documented limitation).
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from simulators.salesforce import contract_rules
from simulators.salesforce.errors import ApiError
from simulators.salesforce.objects import STAGE_PROBABILITY
from simulators.salesforce.schema import Schema, SObject


@dataclass
class WriteContext:
    connection: sqlite3.Connection
    schema: Schema
    sobject: SObject
    values: dict[str, Any]
    existing: dict[str, Any] | None
    user_id: str
    now: str
    # The fields the caller wrote itself (as opposed to defaults).
    given: frozenset[str] = frozenset()

    def merged(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return (self.existing or {}).get(name)

    def changed(self, name: str) -> bool:
        return name in self.values and (self.existing is None or self.existing.get(name) != self.values[name])

    def row(self, table: str, record_id: str | None, columns: str) -> sqlite3.Row | None:
        if not record_id:
            return None
        return self.connection.execute(
            f'SELECT {columns} FROM "{table}" WHERE "Id" = ?', (record_id,)
        ).fetchone()

    def touch(self, table: str, record_id: str, assignments: dict[str, Any]) -> None:
        """A side-effect update of another record, stamped like any other change."""
        columns = ", ".join(f'"{name}" = ?' for name in assignments)
        self.connection.execute(
            f'UPDATE "{table}" SET {columns}, "SystemModstamp" = ?, "LastModifiedDate" = ? WHERE "Id" = ?',
            [*assignments.values(), self.now, self.now, record_id],
        )


def _integrity(message: str, field: str) -> ApiError:
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION", f"field integrity exception: {message}", [field])


def before_write(context: WriteContext) -> None:
    """Derive fields and enforce the object's own rules before the row is written."""
    handler = _BEFORE.get(context.sobject.name)
    if handler is not None:
        handler(context)


def after_write(context: WriteContext, record_id: str) -> None:
    handler = _AFTER.get(context.sobject.name)
    if handler is not None:
        handler(context, record_id)


def _full_name(context: WriteContext) -> None:
    if "FirstName" in context.values or "LastName" in context.values:
        parts = [context.merged("FirstName"), context.merged("LastName")]
        context.values["Name"] = " ".join(part for part in parts if part) or None


def _opportunity(context: WriteContext) -> None:
    if context.existing is None or "StageName" in context.values:
        stage = context.merged("StageName")
        context.values["IsClosed"] = int(stage in ("Closed Won", "Closed Lost"))
        context.values["IsWon"] = int(stage == "Closed Won")
        if (
            context.changed("StageName")
            and "Probability" not in context.values
            and stage in STAGE_PROBABILITY
        ):
            context.values["Probability"] = float(STAGE_PROBABILITY[stage])


def _pricebook_entry(context: WriteContext) -> None:
    if context.existing is not None:
        return
    values = context.values
    product = context.row("Product2", values.get("Product2Id"), '"Name", "ProductCode"')
    if product is not None:
        values["Name"], values["ProductCode"] = product["Name"], product["ProductCode"]
    book = context.row("Pricebook2", values.get("Pricebook2Id"), '"IsStandard"')
    duplicate = context.connection.execute(
        'SELECT 1 FROM "PricebookEntry" WHERE "Pricebook2Id" = ? AND "Product2Id" = ? '
        'AND "CurrencyIsoCode" = ? AND "IsDeleted" = 0',
        (values.get("Pricebook2Id"), values.get("Product2Id"), values.get("CurrencyIsoCode")),
    ).fetchone()
    if duplicate:
        raise ApiError(400, "DUPLICATE_VALUE", "This price definition already exists in this price book")
    if book is not None and not book["IsStandard"]:
        standard = context.connection.execute(
            'SELECT 1 FROM "PricebookEntry" e JOIN "Pricebook2" b ON b."Id" = e."Pricebook2Id" '
            'WHERE b."IsStandard" = 1 AND e."Product2Id" = ? AND e."CurrencyIsoCode" = ? '
            'AND e."IsDeleted" = 0',
            (values.get("Product2Id"), values.get("CurrencyIsoCode")),
        ).fetchone()
        if standard is None:
            raise ApiError(400, "STANDARD_PRICE_NOT_DEFINED", "No standard price defined for this product")


def _line_item(context: WriteContext) -> None:
    values = context.values
    if context.existing is None:
        if values.get("PricebookEntryId") is None and values.get("Product2Id") is not None:
            values["PricebookEntryId"] = _entry_for_product(context)
        entry = context.row(
            "PricebookEntry",
            values.get("PricebookEntryId"),
            '"Product2Id", "UnitPrice", "CurrencyIsoCode", "Pricebook2Id", "ProductCode", "Name"',
        )
        opportunity = context.row(
            "Opportunity", values.get("OpportunityId"), '"CurrencyIsoCode", "Pricebook2Id", "Name"'
        )
        if entry is not None and values.get("Product2Id") not in (None, entry["Product2Id"]):
            raise _integrity("Product2Id (the product is not the price book entry's product)", "Product2Id")
        if entry is not None and opportunity is not None:
            if entry["CurrencyIsoCode"] != opportunity["CurrencyIsoCode"]:
                raise _integrity(
                    "PricebookEntryId (pricebook entry currency code does not match opportunity "
                    "currency code)",
                    "PricebookEntryId",
                )
            if opportunity["Pricebook2Id"] and opportunity["Pricebook2Id"] != entry["Pricebook2Id"]:
                raise _integrity(
                    "PricebookEntryId (pricebook entry is in a different pricebook than the one "
                    "assigned to the opportunity)",
                    "PricebookEntryId",
                )
            values.update(
                {
                    "Product2Id": entry["Product2Id"],
                    "ProductCode": entry["ProductCode"],
                    "ListPrice": entry["UnitPrice"],
                    "CurrencyIsoCode": opportunity["CurrencyIsoCode"],
                    "Name": f"{opportunity['Name']} {entry['Name'] or ''}".strip(),
                }
            )
        if values.get("UnitPrice") is not None and values.get("TotalPrice") is not None:
            raise _integrity("TotalPrice (cannot specify both unit price and total price)", "TotalPrice")
        if values.get("UnitPrice") is None and values.get("TotalPrice") is None:
            raise _integrity("unknown (must specify either UnitPrice or TotalPrice)", "UnitPrice")
    quantity = context.merged("Quantity") or 0.0
    factor = 1 - (context.merged("Discount") or 0.0) / 100
    if values.get("TotalPrice") is not None:
        values["UnitPrice"] = (
            round(values["TotalPrice"] / (quantity * factor), 2) if quantity and factor else 0.0
        )
    elif {"Quantity", "UnitPrice", "Discount"} & values.keys() or context.existing is None:
        values["TotalPrice"] = round(quantity * (context.merged("UnitPrice") or 0.0) * factor, 2)


def _entry_for_product(context: WriteContext) -> str | None:
    """The active entry for the line's product in its opportunity's book (standard if none) and currency."""
    opportunity = context.row(
        "Opportunity", context.values.get("OpportunityId"), '"Pricebook2Id", "CurrencyIsoCode"'
    )
    if opportunity is None:
        return None  # the required-field check reports the missing opportunity
    found = context.connection.execute(
        'SELECT e."Id" FROM "PricebookEntry" e JOIN "Pricebook2" b ON b."Id" = e."Pricebook2Id" '
        'WHERE e."Product2Id" = ? AND e."CurrencyIsoCode" = ? AND e."IsDeleted" = 0 AND e."IsActive" = 1 '
        'AND (b."Id" = ? OR (? IS NULL AND b."IsStandard" = 1))',
        (
            context.values["Product2Id"],
            opportunity["CurrencyIsoCode"],
            opportunity["Pricebook2Id"],
            opportunity["Pricebook2Id"],
        ),
    ).fetchone()
    if found is None:
        raise _integrity(
            "PricebookEntryId (no active price book entry for this product in the opportunity's "
            "price book and currency)",
            "Product2Id",
        )
    return str(found[0])


def _after_line_item(context: WriteContext, record_id: str) -> None:
    if context.existing is None:
        opportunity_id = context.values.get("OpportunityId")
        opportunity = context.row("Opportunity", opportunity_id, '"Pricebook2Id"')
        entry = context.row("PricebookEntry", context.values.get("PricebookEntryId"), '"Pricebook2Id"')
        if opportunity is not None and entry is not None and not opportunity["Pricebook2Id"]:
            context.touch("Opportunity", str(opportunity_id), {"Pricebook2Id": entry["Pricebook2Id"]})


def _quote(context: WriteContext) -> None:
    if context.existing is None:
        opportunity = context.row(
            "Opportunity", context.values.get("SBQQ__Opportunity2__c"), '"AccountId", "CurrencyIsoCode"'
        )
        if opportunity is not None:
            if context.values.get("SBQQ__Account__c") is None:
                context.values["SBQQ__Account__c"] = opportunity["AccountId"]
            if "CurrencyIsoCode" not in context.given:
                context.values["CurrencyIsoCode"] = opportunity["CurrencyIsoCode"]


def _after_quote(context: WriteContext, record_id: str) -> None:
    contract_rules.quote_after(context, record_id)
    opportunity_id = context.merged("SBQQ__Opportunity2__c")
    if not opportunity_id or "SBQQ__Primary__c" not in context.values:
        return
    if context.values["SBQQ__Primary__c"]:
        others = context.connection.execute(
            'SELECT "Id" FROM "SBQQ__Quote__c" WHERE "SBQQ__Opportunity2__c" = ? AND "SBQQ__Primary__c" = 1 '
            'AND "Id" != ?',
            (opportunity_id, record_id),
        ).fetchall()
        for other in others:
            context.touch("SBQQ__Quote__c", other[0], {"SBQQ__Primary__c": 0})
        current = context.row("Opportunity", opportunity_id, '"SBQQ__PrimaryQuote__c"')
        if current is not None and current[0] != record_id:
            context.touch("Opportunity", opportunity_id, {"SBQQ__PrimaryQuote__c": record_id})
    else:
        current = context.row("Opportunity", opportunity_id, '"SBQQ__PrimaryQuote__c"')
        if current is not None and current[0] == record_id:
            context.touch("Opportunity", opportunity_id, {"SBQQ__PrimaryQuote__c": None})


def _quote_line(context: WriteContext) -> None:
    _quote_line_links(context)
    contract_rules.quote_line_before(context)


def _quote_line_links(context: WriteContext) -> None:
    values = context.values
    quote_id = context.merged("SBQQ__Quote__c")
    if context.existing is None:
        quote = context.row("SBQQ__Quote__c", quote_id, '"CurrencyIsoCode"')
        if quote is not None:
            values["CurrencyIsoCode"] = quote["CurrencyIsoCode"]
        if values.get("SBQQ__ProductCode__c") is None:
            product = context.row("Product2", values.get("SBQQ__Product__c"), '"ProductCode"')
            if product is not None:
                values["SBQQ__ProductCode__c"] = product["ProductCode"]
    parent = values.get("SBQQ__RequiredBy__c")
    if parent:
        parent_row = context.row("SBQQ__QuoteLine__c", parent, '"SBQQ__Quote__c"')
        if parent_row is not None and parent_row[0] != quote_id:
            raise _integrity(
                "SBQQ__RequiredBy__c (the required-by line belongs to another quote)", "SBQQ__RequiredBy__c"
            )


_BEFORE = {
    "Contact": _full_name,
    "User": _full_name,
    "Opportunity": _opportunity,
    "PricebookEntry": _pricebook_entry,
    "OpportunityLineItem": _line_item,
    "SBQQ__Quote__c": _quote,
    "SBQQ__QuoteLine__c": _quote_line,
    "Contract": contract_rules.contract_before,
}
_AFTER = {"OpportunityLineItem": _after_line_item, "SBQQ__Quote__c": _after_quote}
