"""Cancellations: which deals cancel (pure), what closing an order sends, and that the NetSuite writes run
once however often they are asked (a fake NetSuite records every call)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sync.lifecycle.cancellations import (
    CancellationResult,
    cancellation_allowed,
    cancellation_reason,
    change_order_external_id,
    closing_body,
    effective_date,
    order_close,
    subscription_terminate,
)
from sync.lifecycle.models import CancellationReason
from sync.rules.engine.ruleset import RuleSet, RuleSpec, compile_rule
from tests.sync.lifecycle.support import ORDER, FakeNetSuite


def won(**extra: Any) -> dict[str, Any]:
    return {"Id": "006A", "IsWon": True, "IsClosed": True, "StageName": "Closed Won", **extra}


def test_a_lost_deal_is_a_cancellation_and_a_won_or_open_one_is_not() -> None:
    assert cancellation_reason(
        {"Id": "006A", "IsWon": False, "IsClosed": True, "StageName": "Closed Lost"}
    ) == (CancellationReason.LOST)
    assert (
        cancellation_reason({"Id": "006A", "IsWon": False, "StageName": "Closed Lost"})
        == CancellationReason.LOST
    )
    assert cancellation_reason(won()) == ""
    assert (
        cancellation_reason({"Id": "006A", "IsWon": False, "IsClosed": False, "StageName": "Prospecting"})
        == ""
    )


def test_an_amendment_taking_every_line_to_zero_cancels_the_contract() -> None:
    lines = [{"Id": "a0L1", "SBQQ__Quantity__c": 0}, {"Id": "a0L2", "SBQQ__Quantity__c": 0.0}]
    amendment = won(
        SBQQ__AmendedContract__c="800A", primary_quote={"SBQQ__Type__c": "Amendment", "lines": lines}
    )
    assert cancellation_reason(amendment) == CancellationReason.ZERO_QUANTITIES
    lines[1]["SBQQ__Quantity__c"] = 1
    assert cancellation_reason(amendment) == ""
    # a new deal with quantity 0 lines is not a cancellation (nothing was amended)
    assert cancellation_reason(won(primary_quote={"lines": [{"SBQQ__Quantity__c": 0}]})) == ""


def test_the_effective_date_is_the_amendment_start_or_the_close_date() -> None:
    lost = {"Id": "006A", "IsWon": False, "StageName": "Closed Lost", "CloseDate": "2026-11-30"}
    assert effective_date(lost) == dt.date(2026, 11, 30)
    amendment = won(
        CloseDate="2026-11-01",
        SBQQ__AmendedContract__c="800A",
        primary_quote={"SBQQ__Type__c": "Amendment", "SBQQ__StartDate__c": "2026-12-15", "lines": []},
    )
    assert effective_date(amendment) == dt.date(2026, 12, 15)
    assert effective_date({"Id": "006A"}, today=dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)


def test_closing_sends_every_line_with_is_closed_and_nothing_once_closed() -> None:
    body = closing_body(ORDER)
    assert body == {
        "item": {
            "items": [
                {
                    "line": 1,
                    "item": {"id": "5"},
                    "quantity": 2,
                    "rate": 10.0,
                    "amount": 20.0,
                    "isClosed": True,
                },
                {
                    "line": 2,
                    "item": {"id": "6"},
                    "quantity": 1,
                    "rate": 99.0,
                    "amount": 99.0,
                    "isClosed": True,
                },
            ]
        }
    }
    assert closing_body({**ORDER, "orderStatus": "H"}) is None
    assert closing_body({**ORDER, "orderStatus": "C"}) is None
    closed_lines = {"items": [{**line, "isClosed": True} for line in ORDER["item"]["items"]]}  # type: ignore[index]
    assert closing_body({**ORDER, "item": closed_lines}) is None


def test_closing_an_order_patches_its_full_lines_once_and_never_deletes() -> None:
    ns = FakeNetSuite()
    ns.records[("salesOrder", "12")] = {**ORDER}
    first, second = CancellationResult(), CancellationResult()
    order_close(ns, "12", first)
    order_close(ns, "12", second)
    writes = ns.writes()
    assert [(verb, kind, pk) for verb, kind, pk, _ in writes] == [("PATCH", "salesOrder", "12")]
    assert writes[0][3]["replace"] == "item"
    assert first.writes == ["sales order 12 closed (2 lines)"]
    assert second.writes == [] and second.skipped == ["sales order 12 closed"]


def test_terminating_a_subscription_is_one_change_order_by_external_id() -> None:
    ns = FakeNetSuite()
    ns.records[("subscription", "31")] = {"id": "31", "subscriptionStatus": "ACTIVE"}
    for _ in range(2):
        subscription_terminate(
            ns,
            opportunity_id="006A",
            subscription_id="31",
            effective=dt.date(2026, 12, 31),
            result=CancellationResult(),
        )
    writes = ns.writes()
    assert len(writes) == 1
    verb, kind, external_id, sent = writes[0]
    assert (verb, kind, external_id) == ("PUT", "subscriptionChangeOrder", "CO-006A-31-TERMINATE-0")
    assert external_id == change_order_external_id("006A", "31")
    assert sent["body"]["action"] == "TERMINATE"
    assert sent["body"]["effectiveDate"] == "2026-12-31"
    assert sent["body"]["subscription"] == {"id": "31"}


def _rules(*conditions: str) -> RuleSet:
    return RuleSet(
        [
            compile_rule(
                RuleSpec(
                    key=f"allow_{number}",
                    name="Allow small cancellations",
                    subject="opportunity",
                    placement="cancellation",
                    severity="block",
                    message="needs finance",
                    condition=condition,
                )
            )
            for number, condition in enumerate(conditions)
        ]
    )


@pytest.mark.django_db
def test_a_published_cancellation_rule_allows_a_cancellation_without_approval() -> None:
    small = {"Id": "006A", "IsWon": False, "StageName": "Closed Lost", "Amount": 500}
    big = {**small, "Amount": 50000}
    assert cancellation_allowed(small, ruleset=_rules("Amount < 1000")) == "allow_0"
    assert cancellation_allowed(big, ruleset=_rules("Amount < 1000")) == ""
    assert cancellation_allowed(small, ruleset=_rules()) == ""  # no rule: finance approves
    assert cancellation_allowed(small, ruleset=_rules("Amount < 1000", "Amount < 100")) == ""
