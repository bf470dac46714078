"""Seeding the NetSuite store with the company's set-up: what an account has before Concord syncs.

Currencies and their exchange rates (:data:`EXCHANGE_RATES`), subsidiaries (the parent in the US, the
others under it), departments, classes and locations (:data:`CLASSIFICATION_LISTS`), payment terms,
tax codes, one item per product SKU (``itemId`` = SKU; subscription SKUs are non-inventory items marked
``custitem_concord_subscription``, services are service items, hardware inventory items), billing
schedules, subscription terms, a subscription plan per CPQ package with its members, and a price book
per plan and currency. Customers and orders are not seeded: Concord creates them by syncing.

Ids are fixed (record ``n`` of a kind always gets id ``n``) and writes replace, so seeding twice gives
the same account; it writes the SQLite file the server uses, so run it before starting the simulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulators.dataset import CURRENCIES, PACKAGES, PRODUCTS, SUBSIDIARIES, TAX_CODES, Dataset
from simulators.netsuite.schema import RecordType
from simulators.netsuite.spec import open_store
from simulators.netsuite.writes import RecordWriter

TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))
DEFAULT_TERMS = "Net 30"
BILLING_SCHEDULES = (
    ("Monthly", "MONTHLY", False),
    ("Annually in Advance", "ANNUALLY", False),
    ("Quarterly", "QUARTERLY", False),
    ("Semi-Annual", "SEMIANNUALLY", False),
)
ITEM_TYPE_BY_KIND = {
    "subscription": "nonInventorySaleItem",
    "service": "serviceSaleItem",
    "hardware": "inventoryItem",
}
_SUBSIDIARY_COUNTRIES = {"UK": "GB"}
# Departments, classes and locations: (name, parent's index or 0).
# Currency Exchange Rates against the base currency (USD, the parent subsidiary's): base units per one
# unit of the currency, from the effective date on. EUR changes mid-2026, so a period's rate depends on
# its date.
BASE_CURRENCY = "USD"
EXCHANGE_RATES: tuple[tuple[str, float, str], ...] = (
    ("CAD", 0.73, "2020-01-01"),
    ("GBP", 1.27, "2020-01-01"),
    ("EUR", 1.08, "2020-01-01"),
    ("AUD", 0.66, "2020-01-01"),
    ("JPY", 0.0067, "2020-01-01"),
    ("EUR", 1.1, "2026-07-01"),
)
CLASSIFICATION_LISTS: dict[str, tuple[tuple[str, int], ...]] = {
    "department": (("Sales", 0), ("Sales : EMEA", 1), ("Finance", 0), ("Services", 0)),
    "classification": (("Subscriptions", 0), ("Professional Services", 0)),
    "location": (("San Francisco", 0), ("London", 0), ("Berlin", 0)),
}


def _ref(external_id: str) -> dict[str, str]:
    return {"externalId": external_id}


def seed(data_dir: Path, dataset: Dataset) -> dict[str, int]:
    """Write the account set-up into ``data_dir``'s NetSuite store; returns how many of each were written."""
    del dataset  # the set-up is the same for every data set; customers come from syncing
    store = open_store(Path(data_dir))
    writer = RecordWriter(store)
    counts: dict[str, int] = {}

    def put(type_name: str, record_id: int, payload: dict[str, Any]) -> None:
        record_type: RecordType | None = store.catalog.get(type_name)
        if record_type is None:  # pragma: no cover - the catalogue defines every type used here
            raise KeyError(type_name)
        writer.create(record_type, payload, record_id=record_id)
        counts[type_name] = counts.get(type_name, 0) + 1

    try:
        with store.write():
            for index, currency in enumerate(CURRENCIES, start=1):
                put(
                    "currency",
                    index,
                    {
                        "externalId": currency.code,
                        "name": currency.name,
                        "symbol": currency.code,
                        "displaySymbol": currency.symbol,
                        "currencyPrecision": currency.precision,
                        "exchangeRate": 1.0,
                        "isBaseCurrency": index == 1,
                        "isInactive": False,
                    },
                )
            for index, (code, exchange_rate, effective) in enumerate(EXCHANGE_RATES, start=1):
                put(
                    "currencyRate",
                    index,
                    {
                        "baseCurrency": _ref(BASE_CURRENCY),
                        "transactionCurrency": _ref(code),
                        "exchangeRate": exchange_rate,
                        "effectiveDate": effective,
                    },
                )
            for index, subsidiary in enumerate(SUBSIDIARIES, start=1):
                payload: dict[str, Any] = {
                    "externalId": subsidiary.key,
                    "name": subsidiary.name,
                    "legalName": subsidiary.name,
                    "country": _SUBSIDIARY_COUNTRIES.get(subsidiary.key, subsidiary.country),
                    "currency": _ref(subsidiary.currency),
                    "isInactive": False,
                }
                if index > 1:
                    payload["parent"] = {"id": "1"}
                put("subsidiary", index, payload)
            for kind, names in CLASSIFICATION_LISTS.items():
                for index, (name, parent) in enumerate(names, start=1):
                    body: dict[str, Any] = {
                        "externalId": f"{kind}-{index}",
                        "name": name,
                        "isInactive": False,
                    }
                    if parent:
                        body["parent"] = {"id": str(parent)}
                    put(kind, index, body)
            for index, (name, days) in enumerate(TERMS, start=1):
                put(
                    "term",
                    index,
                    {"externalId": name.upper().replace(" ", "_"), "name": name, "daysUntilNetDue": days},
                )
            for index, (code, name, rate) in enumerate(TAX_CODES, start=1):
                put(
                    "salesTaxItem",
                    index,
                    {"externalId": code, "itemId": code, "description": name, "rate": float(rate)},
                )
            for index, product in enumerate(PRODUCTS, start=1):
                put(
                    ITEM_TYPE_BY_KIND[product.kind],
                    index,
                    {
                        "externalId": product.sku,
                        "itemId": product.sku,
                        "displayName": product.name,
                        "salesDescription": product.name,
                        "basePrice": float(product.list_price),
                        "subsidiary": {"id": "1"},
                        "includeChildren": True,
                        "salesTaxCode": _ref(product.tax_code),
                        "custitem_revenue_treatment": product.revenue_treatment,
                        "custitem_concord_family": product.family,
                        "custitem_concord_subscription": product.kind == "subscription",
                    },
                )
            for index, (name, frequency, in_arrears) in enumerate(BILLING_SCHEDULES, start=1):
                put(
                    "billingSchedule",
                    index,
                    {"externalId": frequency, "name": name, "frequency": frequency, "inArrears": in_arrears},
                )
            months = sorted({package.term_months for package in PACKAGES} | {12, 36})
            for index, count in enumerate(months, start=1):
                put(
                    "subscriptionTerm",
                    index,
                    {
                        "externalId": f"TERM-{count}M",
                        "name": f"{count} Months",
                        "duration": count,
                        "unit": "MONTH",
                    },
                )
            for index, package in enumerate(PACKAGES, start=1):
                members = [{"item": _ref(package.sku), "subscriptionLineType": "1", "isRequired": True}]
                members += [
                    {"item": _ref(sku), "subscriptionLineType": "1", "isRequired": False}
                    for sku in package.members
                ]
                put(
                    "subscriptionPlan",
                    index,
                    {
                        "externalId": package.sku,
                        "itemId": package.sku,
                        "displayName": package.name,
                        "initialTerm": _ref(f"TERM-{package.term_months}M"),
                        "subsidiary": {"id": "1"},
                        "member": {"items": members},
                    },
                )
                for offset, currency in enumerate(CURRENCIES):
                    put(
                        "priceBook",
                        (index - 1) * len(CURRENCIES) + offset + 1,
                        {
                            "externalId": f"{package.sku}-{currency.code}",
                            "name": f"{package.name} {currency.code}",
                            "subscriptionPlan": _ref(package.sku),
                            "currency": _ref(currency.code),
                        },
                    )
    finally:
        store.close()
    return counts
