"""Words for the keys Concord works with: what the console, the API and the commands show a person.

The engine keeps its keys (``opportunity_to_netsuite``, ``missing_in_netsuite``, a version's number);
people read labels ("Closed Won deals to NetSuite", "Missing in NetSuite", "v2"), with the key as
secondary text for those who search the logs or the API by it. One registry, by domain:

- ``flow``: a mapping flow or a job's flow (the words are here: several layers show flows);
- ``check``: a reconciliation check, ``mismatch``: a mismatch class, registered by the reconciliation app
  from its own check definitions (``ReconciliationConfig.ready``: the titles live with the checks);
- ``status``: the status and state values of runs, jobs, versions and records, where a page only holds the
  key (a model's ``get_status_display`` says it better, for its own model, when the page has the object).

A key nobody gave words to is shown spelled out ("netsuite_thing_to_salesforce" -> "NetSuite thing to
Salesforce"), never as an error: a new flow or status must not break a page. Templates use the filters
of ``core/templatetags/labels.py``; serializers add ``*_label`` fields beside the keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FLOW = "flow"
CHECK = "check"
MISMATCH = "mismatch"
STATUS = "status"

FLOWS: dict[str, str] = {
    "opportunity_to_netsuite": "Closed Won deals to NetSuite",
    "netsuite_invoice_to_salesforce": "Invoices back to Salesforce",
    "netsuite_payment_to_salesforce": "Payments back to Salesforce (invoice balances)",
    "netsuite_order_status_to_salesforce": "Sales order status back to the opportunity",
    "netsuite_customer_to_salesforce": "Customer changes back to the account",
    "netsuite_credit_memo_to_salesforce": "Credit memos back to Salesforce",
    "netsuite_refund_to_salesforce": "Refunds back to Salesforce (credit memo balances)",
    "netsuite_fulfillment_to_salesforce": "Item fulfilment status back to the opportunity",
    "netsuite_subscription_to_salesforce": "Subscription status back to the CPQ contract and subscriptions",
    "netsuite_item_to_salesforce": "NetSuite items and prices to Salesforce products (the catalogue)",
    # The return flow's job (one job reads every NetSuite record type: sync.pipeline.returns).
    "netsuite_to_salesforce": "NetSuite changes back to Salesforce",
}

# Statuses whose plain spelling ("Running") says it all need no entry; these are the ones it does not.
STATUSES: dict[str, str] = {
    "partial": "Partly failed",
    "in_progress": "In progress",
    "pending_approval": "Pending approval",
    "signed_off": "Signed off",
    "rolled_back": "Rolled back",
    "claimed": "Claimed by a worker",
    "unreachable": "Not answering",
    "credentials_rejected": "Credentials rejected",
    "wrong_environment": "Wrong environment",
    "ok": "OK",
    "with_failures": "With failures",
    # A rule's outcome (sync.rules.engine.outcomes): passed, blocked, warned.
    "warned": "Passed with a warning",
    "blocked": "Blocked",
}

_REGISTRY: dict[str, dict[str, str]] = {FLOW: dict(FLOWS), CHECK: {}, MISMATCH: {}, STATUS: dict(STATUSES)}

# Product and vendor names spelled as their owners spell them when a key is spelled out.
_PROPER = {
    "netsuite": "NetSuite",
    "salesforce": "Salesforce",
    "cpq": "CPQ",
    "id": "id",
    "sku": "SKU",
    "api": "API",
    "url": "URL",
}
_WORD = re.compile(r"[A-Za-z0-9]+")
_KEY_SHAPED = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


def labels_register(domain: str, words: Mapping[str, str]) -> None:
    """Give the keys of ``domain`` their words (a feature registers its own once, from its app's
    ``ready``); later words for the same key replace earlier ones."""
    if domain not in _REGISTRY:
        raise ValueError(f"unknown label domain {domain!r} (domains: {', '.join(sorted(_REGISTRY))})")
    _REGISTRY[domain].update({str(key): str(label) for key, label in words.items()})


def spelled_out(key: Any) -> str:
    """A key nobody gave words to, as words: ``"missing_in_netsuite"`` -> ``"Missing in NetSuite"``."""
    words = [_PROPER.get(word.lower(), word.lower()) for word in _WORD.findall(str(key or ""))]
    if not words:
        return ""
    first = words[0]
    words[0] = first if first in _PROPER.values() else first[:1].upper() + first[1:]
    return " ".join(words)


def label(domain: str, key: Any) -> str:
    """The words for ``key`` in ``domain``; the key spelled out when it has none; "" for no key. A value
    that is no key ("cid 3f2a", already words) is given back as it is."""
    if key is None or key == "":
        return ""
    text = str(key)
    words = _REGISTRY.get(domain, {}).get(text)
    if words:
        return words
    return spelled_out(text) if _KEY_SHAPED.match(text) else text


def has_words(domain: str, key: Any) -> bool:
    """Whether somebody gave ``key`` its words (rather than it being spelled out)."""
    return str(key) in _REGISTRY.get(domain, {})


def key_adds(domain: str, key: Any) -> bool:
    """Whether showing the key beside its label tells a reader anything: not for ``"failed"`` ->
    "Failed", yes for ``"opportunity_to_netsuite"`` -> "Closed Won deals to NetSuite"."""
    if key is None or key == "":
        return False
    return has_words(domain, key) and spelled_out(key).lower() != label(domain, key).lower()


def flow_label(key: Any) -> str:
    return label(FLOW, key)


def check_label(key: Any) -> str:
    return label(CHECK, key)


def mismatch_label(key: Any) -> str:
    return label(MISMATCH, key)


def status_label(key: Any) -> str:
    return label(STATUS, key)


def version_label(version: Any) -> str:
    """``"v2"`` for version number 2, for a version object (its ``number``), or "" for none. A version's
    database id is not its number: pass the version (or its number), never ``mapping_version_id``."""
    number = getattr(version, "number", version)
    if number is None or number == "":
        return ""
    return f"v{number}"
