"""The rows the seed writes: the shared data set turned into Salesforce records, with stable ids.

Ids derive from the data set's indexes (record ``n`` of a seed is the same whatever size is asked for),
so the NetSuite side can name the Salesforce record it mirrors: :func:`account_id`, :func:`opportunity_id`.
Functions here are top-level and pure so that a worker process can run them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from simulators.dataset import CURRENCIES, PACKAGES, PRODUCTS, PRODUCTS_BY_SKU, Account, Dataset, Opportunity
from simulators.salesforce import ids
from simulators.salesforce.objects import STAGE_PROBABILITY
from simulators.salesforce.org import STANDARD_PRICEBOOK_ID
from simulators.salesforce.values import format_datetime

LINE_SLOTS = 32  # quote lines per quote fit in this many id numbers
_BASE = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
# Account n (and its children) was created n * 26 s after _BASE: a million accounts span 300 days, and
# record n is the same whatever size of data set is asked for.
_STEP_SECONDS = 26
# IsDeleted, CreatedById, LastModifiedById and OwnerId take their column defaults (live, integration user).
SYSTEM_COLUMNS = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp")
_OPPORTUNITY_TYPES = {"New Business": "New Business", "Expansion": "Existing Business", "Renewal": "Renewal"}

COLUMNS: dict[str, tuple[str, ...]] = {
    "Account": (
        "Name",
        "AccountNumber",
        "Type",
        "Industry",
        "BillingStreet",
        "BillingCity",
        "BillingPostalCode",
        "BillingCountry",
        "ShippingStreet",
        "ShippingCity",
        "ShippingPostalCode",
        "ShippingCountry",
        "Phone",
        "Website",
        "CurrencyIsoCode",
        "Subsidiary__c",
    ),
    "Contact": (
        "AccountId",
        "FirstName",
        "LastName",
        "Name",
        "Title",
        "Email",
        "Phone",
        "MailingCity",
        "MailingPostalCode",
        "MailingCountry",
        "CurrencyIsoCode",
        "Legacy_Id__c",
    ),
    "Opportunity": (
        "AccountId",
        "Name",
        "StageName",
        "Amount",
        "Probability",
        "CloseDate",
        "Type",
        "IsClosed",
        "IsWon",
        "Pricebook2Id",
        "CurrencyIsoCode",
        "SBQQ__PrimaryQuote__c",
    ),
    "OpportunityContactRole": ("OpportunityId", "ContactId", "Role", "IsPrimary", "CurrencyIsoCode"),
    "SBQQ__Quote__c": (
        "Name",
        "CurrencyIsoCode",
        "SBQQ__Account__c",
        "SBQQ__Opportunity2__c",
        "SBQQ__Primary__c",
        "SBQQ__Status__c",
        "SBQQ__Type__c",
        "SBQQ__StartDate__c",
        "SBQQ__EndDate__c",
        "SBQQ__SubscriptionTerm__c",
        "SBQQ__NetAmount__c",
        "Discount_Approved__c",
    ),
    "SBQQ__QuoteLine__c": (
        "Name",
        "CurrencyIsoCode",
        "SBQQ__Quote__c",
        "SBQQ__Product__c",
        "SBQQ__ProductCode__c",
        "SBQQ__Number__c",
        "SBQQ__Quantity__c",
        "SBQQ__ListPrice__c",
        "SBQQ__NetPrice__c",
        "SBQQ__NetTotal__c",
        "SBQQ__AdditionalDiscount__c",
        "SBQQ__RequiredBy__c",
        "SBQQ__StartDate__c",
        "SBQQ__EndDate__c",
        "SBQQ__SubscriptionTerm__c",
        "SBQQ__EffectiveQuantity__c",
        "SBQQ__EffectiveStartDate__c",
    ),
    "OpportunityLineItem": (
        "OpportunityId",
        "PricebookEntryId",
        "Product2Id",
        "ProductCode",
        "Name",
        "Quantity",
        "UnitPrice",
        "ListPrice",
        "TotalPrice",
        "ServiceDate",
        "CurrencyIsoCode",
    ),
    "Product2": (
        "Name",
        "ProductCode",
        "Description",
        "Family",
        "IsActive",
        "CurrencyIsoCode",
        "Taxable__c",
        "Tax_Code__c",
        "Revenue_Treatment__c",
        "Product_Type__c",
    ),
    "PricebookEntry": (
        "Name",
        "Pricebook2Id",
        "Product2Id",
        "UnitPrice",
        "IsActive",
        "UseStandardPrice",
        "ProductCode",
        "CurrencyIsoCode",
    ),
}
# Parents before children, so a reader never sees a dangling lookup mid-seed.
TABLE_ORDER = (
    "Product2",
    "PricebookEntry",
    "Account",
    "Contact",
    "Opportunity",
    "OpportunityContactRole",
    "SBQQ__Quote__c",
    "SBQQ__QuoteLine__c",
    "OpportunityLineItem",
)

Rows = dict[str, list[tuple[Any, ...]]]


def seeded_id(prefix: str, number: int) -> str:
    """The id the seed gives record ``number`` (1-based) of the object with key prefix ``prefix``."""
    return ids.decimal_id(prefix, number, pod=ids.SEED_POD)


def account_id(index: int) -> str:
    """The Salesforce id of the data set's account ``index`` (so the NetSuite side can cross-reference)."""
    return seeded_id("001", index + 1)


def opportunity_id(index: int) -> str:
    return seeded_id("006", index + 1)


def product_id(sku: str) -> str:
    return _PRODUCT_IDS[sku]


_PRODUCT_IDS = {product.sku: seeded_id("01t", n + 1) for n, product in enumerate(PRODUCTS)}
# The standard price book entry of each (product, currency).
_ENTRY_IDS = {
    (product.sku, currency.code): seeded_id("01u", p * len(CURRENCIES) + c + 1)
    for p, product in enumerate(PRODUCTS)
    for c, currency in enumerate(CURRENCIES)
}


def _rate(currency: str) -> Decimal:
    return Decimal(150) if currency == "JPY" else Decimal(1)


def _system(record_id: str, stamp: str) -> tuple[Any, ...]:
    return (record_id, stamp, stamp, stamp)


def catalogue_rows() -> Rows:
    """Products, and a standard price for each product in each currency."""
    stamp = format_datetime(_BASE)
    rows: Rows = {"Product2": [], "PricebookEntry": []}
    packaged = {package.sku for package in PACKAGES}
    for n, product in enumerate(PRODUCTS):
        record_id = seeded_id("01t", n + 1)
        description = "CPQ bundle" if product.sku in packaged else f"{product.family} item"
        rows["Product2"].append(
            _system(record_id, stamp)
            + (
                product.name,
                product.sku,
                description,
                product.family,
                1,
                "USD",
                int(product.taxable),
                product.tax_code,
                product.revenue_treatment,
                product.kind,
            )
        )
        for currency in CURRENCIES:
            price = float(product.list_price * _rate(currency.code))
            rows["PricebookEntry"].append(
                _system(_ENTRY_IDS[product.sku, currency.code], stamp)
                + (product.name, STANDARD_PRICEBOOK_ID, record_id, price, 1, 0, product.sku, currency.code)
            )
    return rows


def account_rows(seed: int, accounts: int, opportunities_per_account: int, start: int, stop: int) -> Rows:
    """Every row for the accounts ``start``..``stop`` of the data set (a top-level function: picklable)."""
    dataset = Dataset(seed=seed, accounts=accounts, opportunities_per_account=opportunities_per_account)
    rows: Rows = {name: [] for name in TABLE_ORDER if name not in ("Product2", "PricebookEntry")}
    for account in dataset.accounts(start, stop):
        _account(rows, account)
    return rows


def _account(rows: Rows, account: Account) -> None:
    stamp = format_datetime(_BASE + dt.timedelta(seconds=account.index * _STEP_SECONDS))
    record_id = account_id(account.index)
    country = account.country or None
    rows["Account"].append(
        _system(record_id, stamp)
        + (
            account.name,
            f"ACC-{account.index + 1:07d}",
            "Customer - Direct",
            account.industry,
            account.street,
            account.city,
            account.postal_code,
            country,
            account.street,
            account.city,
            account.postal_code,
            country,
            account.phone,
            account.website,
            account.currency,
            account.subsidiary,
        )
    )
    contact_ids = []
    for contact in account.contacts:
        contact_id = seeded_id("003", contact.index + 1)
        contact_ids.append(contact_id)
        rows["Contact"].append(
            _system(contact_id, stamp)
            + (
                record_id,
                contact.first_name,
                contact.last_name,
                f"{contact.first_name} {contact.last_name}",
                contact.title,
                contact.email,
                contact.phone,
                account.city,
                account.postal_code,
                country,
                account.currency,
                f"LEGACY-{account.index + 1:07d}",
            )
        )
    for opportunity in account.opportunities:
        _opportunity(rows, account, opportunity, contact_ids, stamp)


def _opportunity(
    rows: Rows, account: Account, opportunity: Opportunity, contact_ids: list[str], stamp: str
) -> None:
    record_id = opportunity_id(opportunity.index)
    quote_id = seeded_id("a0x", opportunity.index + 1)
    quote = opportunity.quote
    currency = opportunity.currency
    won = opportunity.stage == "Closed Won"
    kind = opportunity.name.rsplit(" - ", 1)[-1].rsplit(" ", 1)[0]
    rows["Opportunity"].append(
        _system(record_id, stamp)
        + (
            account_id(account.index),
            opportunity.name,
            opportunity.stage,
            float(opportunity.amount),
            float(STAGE_PROBABILITY[opportunity.stage]),
            opportunity.close_date.isoformat(),
            _OPPORTUNITY_TYPES.get(kind, "New Business"),
            int(opportunity.stage.startswith("Closed")),
            int(won),
            STANDARD_PRICEBOOK_ID,
            currency,
            quote_id,
        )
    )
    for n, contact_id in enumerate(contact_ids):
        contact = account.contacts[n]
        rows["OpportunityContactRole"].append(
            _system(seeded_id("00K", opportunity.index * 10 + n + 1), stamp)
            + (record_id, contact_id, contact.role, int(contact.is_primary), currency)
        )
    status = "Accepted" if won else ("Rejected" if opportunity.stage == "Closed Lost" else "Presented")
    start, end = quote.start_date.isoformat(), quote.end_date.isoformat()
    rows["SBQQ__Quote__c"].append(
        _system(quote_id, stamp)
        + (
            f"Q-{opportunity.index + 1:05d}",
            currency,
            account_id(account.index),
            record_id,
            1,
            status,
            "Quote",
            start,
            end,
            float(quote.term_months),
            float(quote.net_amount),
            int(quote.discount_approved),
        )
    )
    line_ids = [seeded_id("a0y", opportunity.index * LINE_SLOTS + line.number) for line in quote.lines]
    for line, line_id in zip(quote.lines, line_ids, strict=True):
        product = PRODUCTS_BY_SKU[line.sku]
        subscription = product.kind == "subscription"
        parent = line_ids[line.required_by] if line.required_by is not None else None
        rows["SBQQ__QuoteLine__c"].append(
            _system(line_id, stamp)
            + (
                f"QL-{opportunity.index * LINE_SLOTS + line.number:07d}",
                currency,
                quote_id,
                product_id(line.sku),
                line.sku,
                float(line.number),
                float(line.quantity),
                float(line.list_price),
                float(line.net_price),
                float(line.net_total),
                float(line.discount_percent),
                parent,
                start if subscription else None,
                end if subscription else None,
                float(quote.term_months) if subscription else None,
                float(line.quantity),  # a new-business quote: the effective quantity is the quantity
                start,  # the line's start date, else the quote's
            )
        )
        unit = float(round(line.net_total / line.quantity, 2)) if line.quantity else 0.0
        rows["OpportunityLineItem"].append(
            _system(seeded_id("00k", opportunity.index * LINE_SLOTS + line.number), stamp)
            + (
                record_id,
                _ENTRY_IDS[line.sku, currency],
                product_id(line.sku),
                line.sku,
                f"{opportunity.name} {product.name}",
                float(line.quantity),
                unit,
                float(line.list_price),
                float(line.net_total),
                start,
                currency,
            )
        )


def _column(table: str, name: str) -> int:
    return len(SYSTEM_COLUMNS) + COLUMNS[table].index(name)


def shape_rows(rows: Rows, *, currencies: str, cpq: bool, corporate_currency: str) -> Rows:
    """The rows as an org of this shape would hold them.

    Without CPQ there are no quotes (and no ``Opportunity.SBQQ__PrimaryQuote__c``). A single-currency org
    has every record in the corporate currency: one standard price per product, the line items on it
    (amounts keep the data set's figures).
    """
    shaped = dict(rows)
    if not cpq:
        shaped = {table: batch for table, batch in shaped.items() if not table.startswith("SBQQ__")}
        if "Opportunity" in shaped:
            at = _column("Opportunity", "SBQQ__PrimaryQuote__c")
            shaped["Opportunity"] = [(*row[:at], None, *row[at + 1 :]) for row in shaped["Opportunity"]]
    if currencies == "single":
        entry_in_corporate = {
            entry: _ENTRY_IDS[sku, corporate_currency] for (sku, _), entry in _ENTRY_IDS.items()
        }
        for table, batch in shaped.items():
            if "CurrencyIsoCode" not in COLUMNS[table]:
                continue
            at = _column(table, "CurrencyIsoCode")
            if table == "PricebookEntry":
                shaped[table] = [row for row in batch if row[at] == corporate_currency]
                continue
            batch = [(*row[:at], corporate_currency, *row[at + 1 :]) for row in batch]
            if table == "OpportunityLineItem":
                entry_at = _column(table, "PricebookEntryId")
                batch = [
                    (*row[:entry_at], entry_in_corporate[row[entry_at]], *row[entry_at + 1 :])
                    for row in batch
                ]
            shaped[table] = batch
    return shaped
