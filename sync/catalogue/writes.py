"""Writing the catalogue into Salesforce: products matched by code, price book entries found by their key.

Products: a NetSuite item's product is the one carrying its id in ``NetSuite_Item_Id__c``; failing that,
the one product with its item name as ``ProductCode`` and no NetSuite id yet (a product made in Salesforce
before Concord: it is linked, never duplicated); failing that a new one, upserted on
``NetSuite_Item_Id__c`` (a retried create finds what the first made). A code shared by several unlinked
products, or held by a product linked to another item, is refused with an exception: a person chooses.

Price book entries have no external id: an entry is found by (Product2Id, Pricebook2Id, CurrencyIsoCode)
(without the currency in a single-currency org), updated when its price or active flag differs, created
when missing. Salesforce wants a product's standard price before any custom price book's entry, so the
standard entries are created first, in their own call.

Nothing is written that Salesforce already holds: a re-run writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.connections.connectors.salesforce import RecordResult, SalesforceConnector
from sync.pipeline.ownership import same_value

PRODUCT_KEY = "NetSuite_Item_Id__c"
EntryKey = tuple[str, str, str]  # (Product2Id, Pricebook2Id, CurrencyIsoCode or "")


@dataclass
class ProductPlan:
    """One item's product: what to send and what became of it."""

    item_id: str  # NetSuite internal id
    code: str
    body: dict[str, Any]  # the mapped Product2 body, with NetSuite_Item_Id__c
    salesforce_id: str = ""
    written: bool = False
    error: str = ""
    error_code: str = ""


@dataclass
class EntryPlan:
    item_id: str
    body: dict[str, Any]  # the mapped PricebookEntry body (Product2Id filled in)
    standard: bool
    salesforce_id: str = ""
    written: bool = False
    error: str = ""
    error_code: str = ""

    def key(self, multi_currency: bool) -> EntryKey:
        currency = str(self.body.get("CurrencyIsoCode") or "") if multi_currency else ""
        return (str(self.body["Product2Id"]), str(self.body["Pricebook2Id"]), currency)


@dataclass
class WriteCount:
    products_written: int = 0
    entries_written: int = 0
    calls: list[str] = field(default_factory=list)


def products_write(sf: SalesforceConnector, plans: list[ProductPlan], count: WriteCount) -> None:
    """Match, link, update or create each plan's product (see the module docstring)."""
    if not plans:
        return
    fields = sorted({name for plan in plans for name in plan.body} | {"Id", "ProductCode", PRODUCT_KEY})
    columns = ", ".join(fields)
    linked = {
        str(row[PRODUCT_KEY]): row
        for row in sf.query_in(
            f"SELECT {columns} FROM Product2 WHERE {PRODUCT_KEY} IN ({{ids}})",  # noqa: S608
            [plan.item_id for plan in plans],
        )
    }
    unlinked = [plan for plan in plans if plan.item_id not in linked]
    by_code: dict[str, list[dict[str, Any]]] = {}
    for row in sf.query_in(
        f"SELECT {columns} FROM Product2 WHERE ProductCode IN ({{ids}})",  # noqa: S608
        [plan.code for plan in unlinked],
    ):
        by_code.setdefault(str(row.get("ProductCode") or ""), []).append(row)
    updates: list[tuple[ProductPlan, dict[str, Any]]] = []
    creates: list[ProductPlan] = []
    for plan in plans:
        held = linked.get(plan.item_id) or _matched_by_code(plan, by_code.get(plan.code, []))
        if plan.error:
            continue
        if held is None:
            creates.append(plan)
            continue
        plan.salesforce_id = str(held["Id"])
        changed = {name: value for name, value in plan.body.items() if not same_value(held.get(name), value)}
        if changed:
            updates.append((plan, changed))
    _products_send(sf, updates, creates, count)


def _products_send(
    sf: SalesforceConnector,
    updates: list[tuple[ProductPlan, dict[str, Any]]],
    creates: list[ProductPlan],
    count: WriteCount,
) -> None:
    if updates:
        count.calls.append(f"Product2 update x{len(updates)}")
        outcomes = sf.collections_update(
            "Product2", [{"Id": plan.salesforce_id, **body} for plan, body in updates]
        )
        for (plan, _), outcome in zip(updates, outcomes, strict=True):
            count.products_written += _noted(plan, outcome)
    if creates:
        count.calls.append(f"Product2 upsert x{len(creates)}")
        outcomes = sf.collections_upsert("Product2", PRODUCT_KEY, [plan.body for plan in creates])
        for plan, outcome in zip(creates, outcomes, strict=True):
            count.products_written += _noted(plan, outcome)


def _matched_by_code(plan: ProductPlan, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one unlinked product with the item's code; None when there is none (or an error on ``plan``
    when the code is ambiguous or taken by another item's product)."""
    free = [row for row in candidates if not row.get(PRODUCT_KEY)]
    taken = [row for row in candidates if row.get(PRODUCT_KEY)]
    if len(free) > 1:
        plan.error_code = "AMBIGUOUS_PRODUCT_CODE"
        plan.error = (
            f"{len(free)} Salesforce products have the product code {plan.code!r} and no NetSuite item: "
            f"link the right one by setting its {PRODUCT_KEY} to {plan.item_id} "
            f"({', '.join(str(row['Id']) for row in free)})."
        )
        return None
    if not free and taken:
        plan.error_code = "PRODUCT_CODE_TAKEN"
        plan.error = (
            f"The Salesforce product {taken[0]['Id']} with the product code {plan.code!r} belongs to "
            f"NetSuite item {taken[0][PRODUCT_KEY]}, not to item {plan.item_id}: two NetSuite items "
            "share one code; rename one of them in NetSuite."
        )
        return None
    return free[0] if free else None


def entries_write(
    sf: SalesforceConnector, plans: list[EntryPlan], *, multi_currency: bool, count: WriteCount
) -> None:
    """Update the entries that differ and create the missing ones, standard price book first."""
    if not plans:
        return
    columns = "Id, Product2Id, Pricebook2Id, UnitPrice, IsActive" + (
        ", CurrencyIsoCode" if multi_currency else ""
    )
    held: dict[EntryKey, dict[str, Any]] = {}
    for row in sf.query_in(
        f"SELECT {columns} FROM PricebookEntry WHERE Product2Id IN ({{ids}})",  # noqa: S608
        [str(plan.body["Product2Id"]) for plan in plans],
    ):
        currency = str(row.get("CurrencyIsoCode") or "") if multi_currency else ""
        held[(str(row["Product2Id"]), str(row["Pricebook2Id"]), currency)] = row
    updates: list[tuple[EntryPlan, dict[str, Any]]] = []
    creates: list[EntryPlan] = []
    for plan in plans:
        found = held.get(plan.key(multi_currency))
        if found is None:
            creates.append(plan)
            continue
        plan.salesforce_id = str(found["Id"])
        changed = {
            name: plan.body[name]
            for name in ("UnitPrice", "IsActive")
            if name in plan.body and not same_value(found.get(name), plan.body[name])
        }
        if changed:
            updates.append((plan, changed))
    if updates:
        count.calls.append(f"PricebookEntry update x{len(updates)}")
        outcomes = sf.collections_update(
            "PricebookEntry", [{"Id": plan.salesforce_id, **body} for plan, body in updates]
        )
        for (plan, _), outcome in zip(updates, outcomes, strict=True):
            count.entries_written += _noted(plan, outcome)
    _entries_create(sf, creates, multi_currency=multi_currency, count=count)


def _entries_create(
    sf: SalesforceConnector, creates: list[EntryPlan], *, multi_currency: bool, count: WriteCount
) -> None:
    """Create the missing entries: the standard price book's first, then the custom books' (a custom
    book's entry needs the product's standard price in its currency; where that failed, it is not tried)."""
    standard = [plan for plan in creates if plan.standard]
    custom = [plan for plan in creates if not plan.standard]
    if standard:
        count.calls.append(f"PricebookEntry create x{len(standard)}")
        outcomes = sf.collections_create("PricebookEntry", [plan.body for plan in standard])
        for plan, outcome in zip(standard, outcomes, strict=True):
            count.entries_written += _noted(plan, outcome)
    refused = {(p.key(multi_currency)[0], p.key(multi_currency)[2]) for p in standard if p.error}
    for plan in custom:
        if (plan.key(multi_currency)[0], plan.key(multi_currency)[2]) in refused:
            plan.error_code = "STANDARD_PRICE_NOT_DEFINED"
            plan.error = "the product's standard price could not be created, so this price was not sent"
    custom = [plan for plan in custom if not plan.error]
    if custom:
        count.calls.append(f"PricebookEntry create x{len(custom)}")
        outcomes = sf.collections_create("PricebookEntry", [plan.body for plan in custom])
        for plan, outcome in zip(custom, outcomes, strict=True):
            count.entries_written += _noted(plan, outcome)


def standard_pricebook_id(sf: SalesforceConnector) -> str:
    rows = list(sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1"))
    return str(rows[0]["Id"]) if rows else ""


def org_currency(sf: SalesforceConnector) -> str:
    """The org's corporate currency (a single-currency org's only one)."""
    rows = list(sf.query("SELECT DefaultCurrencyIsoCode FROM Organization LIMIT 1"))
    return str(rows[0].get("DefaultCurrencyIsoCode") or "") if rows else ""


def is_multi_currency(sf: SalesforceConnector) -> bool:
    """Whether the org has multiple currencies (``CurrencyIsoCode`` exists on PricebookEntry)."""
    return any(f.get("name") == "CurrencyIsoCode" for f in sf.describe("PricebookEntry").get("fields") or [])


def _noted(plan: ProductPlan | EntryPlan, outcome: RecordResult) -> int:
    if outcome.success:
        plan.salesforce_id = outcome.id or plan.salesforce_id
        plan.written = True
        return 1
    error = outcome.error("catalogue")
    plan.error, plan.error_code = error.message, error.code
    return 0
