"""Helpers for the exception queue's tests: a sample problem and a retry function that remembers calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.exceptions.models import ExceptionItem
from sync.exceptions.retry import retryable
from sync.exceptions.services import RecordRef, exception_raise

RETRY_CALLS: list[dict[str, Any]] = []


@retryable
def remember_retry(**kwargs: Any) -> None:
    RETRY_CALLS.append(kwargs)


def not_marked(**kwargs: Any) -> None:  # a function without @retryable must never be called
    RETRY_CALLS.append({"unmarked": kwargs})


def raise_sample(
    *,
    key: str = "sync_failure:Opportunity:006A",
    subsidiary: str | None = "SUB-A",
    category: str = "sync_failure",
    now: datetime | None = None,
    **extra: Any,
) -> ExceptionItem:
    arguments: dict[str, Any] = {
        "title": "NetSuite refused the sales order",
        "severity": "high",
        "records": [
            RecordRef("salesforce", "Opportunity", "006A", "https://sf.example/006A"),
            RecordRef(
                "netsuite",
                "salesOrder",
                "77",
                "https://ns.example/app/accounting/transactions/salesord.nl?id=77",
            ),
        ],
        "vendor_code": "INVALID_FLD_VALUE",
        "vendor_message": "Invalid amount",
        "error_path": "item[0].amount",
        "mapping_row": "opportunity_to_sales_order.amount",
        "rule": "amount_positive",
        "details": {"values": {"Amount": {"salesforce": 1200, "netsuite": 1000}, "Memo": {"netsuite": "x"}}},
        "retry_task": "tests.sync.exceptions.support.remember_retry",
        "retry_kwargs": {"opportunity_id": "006A"},
    }
    arguments.update(extra)
    return exception_raise(category=category, dedup_key=key, subsidiary=subsidiary, now=now, **arguments)
