"""A CPQ package whose subscription plan has no NetSuite price book in the deal's currency.

The Closed Won flow gives each subscription the price book of its plan and currency from the lookup table
``price_book_by_plan_currency`` (key ``<package SKU>-<currency>``). A new package's plan is created by the
flow, but its price book cannot be: Oracle's REST record for subscription plans "does not show price books
... there is no link available for creating price books"
(https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156027200907.html), and a price
book carries finance's price plans. So a lookup miss on that row is not a vague mapping problem: it opens
an exception of its own category, ``price_book_missing``, naming the plan and the currency, with a link to
the plan in NetSuite (the writer keeps the ids written before it stopped, the plan's among them) and the
runbook's steps. Its retry re-queues the opportunity like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.connections.connectors.errors import ConfigurationError
from sync.connections.connectors.netsuite import account_slug
from sync.mappings.engine import MappingProblem
from sync.pipeline.problems import RecordRef

PRICE_BOOK_MISSING = "PRICE_BOOK_MISSING"  # the failure's vendor code (no vendor said it: Concord did)
PRICE_BOOK_TABLE = "price_book_by_plan_currency"
CATEGORY = "price_book_missing"


def missing_price_book(problem: MappingProblem) -> str | None:
    """The lookup key (``<plan SKU>-<currency>``) when ``problem`` is a subscription's price book missing
    from :data:`PRICE_BOOK_TABLE`; None for any other problem."""
    if not problem.target.startswith("priceBook") or PRICE_BOOK_TABLE not in problem.message:
        return None
    return str(problem.value) if problem.value not in (None, "") else None


def plan_and_currency(key: str) -> tuple[str, str]:
    """``PKG-NEW-USD`` -> (``PKG-NEW``, ``USD``)."""
    plan, _, currency = key.rpartition("-")
    return (plan, currency) if plan else (key, "")


def plan_id_written(netsuite_ids: Mapping[str, Any], source_id: str) -> str:
    """The NetSuite id of the subscription plan written for the quote line ``source_id`` (ref key
    ``<plan object>[<line id>]``), or ""."""
    for ref_key, record_id in netsuite_ids.items():
        if "plan" in ref_key and ref_key.endswith(f"[{source_id}]") and record_id:
            return str(record_id)
    return ""


def netsuite_record_url(account_id: str, record_id: str) -> str:
    """The NetSuite UI page of an item record (a subscription plan is an item) in ``account_id``."""
    if not account_id or not record_id:
        return ""
    try:
        host = account_slug(account_id)
    except ConfigurationError:
        return ""
    return f"https://{host}.app.netsuite.com/app/common/item/item.nl?id={record_id}"


def price_book_title(opportunity_id: str, key: str) -> str:
    plan, currency = plan_and_currency(key)
    return (
        f"Opportunity {opportunity_id}: NetSuite subscription plan {plan} has no price book in {currency}; "
        "create it in NetSuite and add it to price_book_by_plan_currency"
    )[:200]


def plan_record(account_id: str, plan_id: str, key: str) -> RecordRef:
    """The plan as an exception's record, linked to its NetSuite page (by SKU when its id is unknown)."""
    plan, _ = plan_and_currency(key)
    return RecordRef(
        "netsuite", "subscriptionPlan", plan_id or plan, netsuite_record_url(account_id, plan_id)
    )
