"""The exception policy Concord ships: every category the stages raise, with its SLA, default severity,
owner, runbook and a two-level escalation path to the role groups (:mod:`core.roles`).

Read by :mod:`sync.exceptions.policy`; the stages' keys: ``sync.pipeline.failures`` (``sync_failure``,
``mapping_problem``, ``blocked_rule``), ``sync.pipeline.prematch`` and go-live (``duplicate_suspect``),
``sync.pipeline.inbox`` (``inbox_failed``), ``sync.pipeline.returns`` (``return_flow``),
``sync.catalogue`` (``catalogue``), the Closed Won flow's missing price book (``price_book_missing``) and
``reconciliation.exceptions`` (``reconciliation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.roles import ADMIN, FINANCE, REVOPS
from sync.exceptions.models import Severity


@dataclass(frozen=True)
class ShippedCategory:
    name: str
    sla: timedelta
    severity: str
    owner_group: str
    path: tuple[tuple[str, timedelta], ...]
    runbook: str
    auto_ticket: bool = False


_PIPELINE_PATH = ((FINANCE.name, timedelta(hours=8)), (ADMIN.name, timedelta(days=1)))
_FINANCE_PATH = ((REVOPS.name, timedelta(hours=8)), (ADMIN.name, timedelta(days=1)))

SHIPPED: dict[str, ShippedCategory] = {
    "sync_failure": ShippedCategory(
        "Sync failure",
        timedelta(hours=4),
        Severity.HIGH,
        REVOPS.name,
        _PIPELINE_PATH,
        "NetSuite refused the record, or a value could not be sent.\n"
        "1. Read NetSuite's message and the field it points at (the mapping row is linked).\n"
        "2. If the data is wrong, fix it in Salesforce; if the mapping is, fix it in a draft mapping and "
        "publish it.\n"
        "3. Retry. A value that must differ for this record only can be changed here (a financial field "
        "waits for Finance's approval).",
    ),
    "mapping_problem": ShippedCategory(
        "Mapping problem",
        timedelta(hours=4),
        Severity.HIGH,
        REVOPS.name,
        _PIPELINE_PATH,
        "The published mapping could not produce a value (a missing lookup entry, a bad transform).\n"
        "1. Open the mapping row named here and the lookup table it reads.\n"
        "2. Add the missing entry or fix the row in a draft, and publish it.\n"
        "3. Retry.",
    ),
    "blocked_rule": ShippedCategory(
        "Blocked by a rule",
        timedelta(days=1),
        Severity.MEDIUM,
        REVOPS.name,
        _PIPELINE_PATH,
        "A published business rule stopped this deal before it reached NetSuite.\n"
        "1. Read the rule named here and what it says is wrong.\n"
        "2. Fix the deal in Salesforce (the next change syncs it again), or retry with an approved value.\n"
        "3. If the rule itself is wrong, change it through a draft rule and its approval.",
    ),
    "duplicate_suspect": ShippedCategory(
        "Duplicate suspect",
        timedelta(days=1),
        Severity.MEDIUM,
        REVOPS.name,
        _PIPELINE_PATH,
        "NetSuite already holds one or more records that look like this one; nothing was created.\n"
        "Compare the candidates and link the right one, or choose 'create new' if none is the same.",
    ),
    "inbox_failed": ShippedCategory(
        "Inbox message set aside",
        timedelta(hours=4),
        Severity.HIGH,
        REVOPS.name,
        _PIPELINE_PATH,
        "A notification from Salesforce could not be processed after its retries and was set aside.\n"
        "Read the error; once the cause is fixed (connection, credentials, mapping), retry it: the "
        "message is processed again from the inbox.",
    ),
    "return_flow": ShippedCategory(
        "Return flow failure",
        timedelta(hours=8),
        Severity.MEDIUM,
        REVOPS.name,
        _PIPELINE_PATH,
        "An invoice or payment from NetSuite could not be written back to Salesforce.\n"
        "Read Salesforce's message (often a validation rule or a missing field on the object), fix it, "
        "and retry; the next return run also picks it up again.",
    ),
    "catalogue": ShippedCategory(
        "Catalogue sync failure",
        timedelta(days=1),
        Severity.MEDIUM,
        REVOPS.name,
        _PIPELINE_PATH,
        "A NetSuite item (or one of its prices) could not be written to Salesforce as a product or a price "
        "book entry.\n"
        "1. Read the message: a product code shared by several Salesforce products (keep one, or set the "
        "right one's NetSuite_Item_Id__c), a code taken by another item's product (rename one item in "
        "NetSuite), a currency the org does not have, or Salesforce's validation message.\n"
        "2. Fix it in Salesforce or NetSuite, then retry: the retry syncs that one item again; the next "
        "catalogue sync picks it up as well once it changes.",
    ),
    "price_book_missing": ShippedCategory(
        "Price book missing in NetSuite",
        timedelta(days=1),
        Severity.HIGH,
        REVOPS.name,
        _PIPELINE_PATH,
        "A CPQ package is sold on a subscription plan that has no NetSuite price book in the deal's "
        "currency. A price book carries the plan's price plans (finance's prices), so Concord never makes "
        "one: a person does, in NetSuite.\n"
        "1. Open the plan in NetSuite (linked here; Lists > Subscriptions > Subscription Plans) and create "
        "its price book for the currency named in the title, with its price plans (NetSuite help: Creating "
        "Price Books).\n"
        "2. Add the new price book's internal id to the lookup table price_book_by_plan_currency under "
        "<package SKU>-<currency> (or import the table from NetSuite), and publish it.\n"
        "3. Retry: the deal syncs with the new price book.",
    ),
    "reconciliation": ShippedCategory(
        "Reconciliation mismatch",
        timedelta(days=2),
        Severity.MEDIUM,
        FINANCE.name,
        _FINANCE_PATH,
        "A reconciliation check found the two systems disagree on this record.\n"
        "1. Compare both values shown here and decide which system is right.\n"
        "2. Correct the wrong side (or accept the other system's value here), then resolve; the next run "
        "closes it by itself when the values agree.",
    ),
}

# A category a stage raises that is not listed above: named after its key, with the pipeline's path.
FALLBACK = ShippedCategory(
    "", timedelta(days=1), Severity.MEDIUM, REVOPS.name, _PIPELINE_PATH, "", auto_ticket=False
)
