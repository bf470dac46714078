"""The pure planning of amendments and activations: every case, including the second day (a re-run, a
run after a change order was saved but its answer lost, a line included but not yet activated)."""

from __future__ import annotations

from decimal import Decimal

from sync.lifecycle.planning import (
    ACTIVATE,
    MODIFY_PRICING,
    TERMINATE,
    AmendedLine,
    Subscription,
    SubscriptionLine,
    amendment_sales_lines,
    change_order_eid,
    day_after,
    delta_quantity,
    months_between,
    plan_activation,
    plan_amendment,
)

OPP = "006AMEND"


def _subscription(*lines: SubscriptionLine, status: str = "ACTIVE") -> Subscription:
    return Subscription("208", status, "2026-01-01", "2026-12-31", tuple(lines))


def _held(number: int, item: str, quantity: int | None, status: str = "ACTIVE") -> SubscriptionLine:
    included = status != "NOT_INCLUDED"
    return SubscriptionLine(number, item, None if quantity is None else Decimal(quantity), included, status)


def _line(
    item: str,
    quantity: int,
    prior: int | None = None,
    *,
    price: str | None = None,
    prior_price: str | None = None,
    effective: str = "2026-06-01",
) -> AmendedLine:
    return AmendedLine(
        line_id=f"a0q{item}",
        item=item,
        sku=f"SKU-{item}",
        quantity=Decimal(quantity),
        prior_quantity=None if prior is None else Decimal(prior),
        net_price=None if price is None else Decimal(price),
        prior_price=None if prior_price is None else Decimal(prior_price),
        effective_date=effective,
    )


SUB = _subscription(_held(1, "11", 10), _held(2, "12", 5), _held(3, "13", None, "NOT_INCLUDED"))


def test_quantity_up_is_one_modify_pricing_with_the_new_quantity_on_the_quote_date() -> None:
    plan = plan_amendment(OPP, SUB, [_line("11", 15, 10), _line("12", 5, 5)])
    assert plan.inclusions == [] and plan.problems == [] and plan.unchanged == 1
    [order] = plan.change_orders
    assert order.action == MODIFY_PRICING and order.effective_date == "2026-06-01"
    assert order.external_id == f"CO-{OPP}-208-MODIFY_PRICING-1"
    assert order.body() == {
        "action": "MODIFY_PRICING",
        "subscription": {"id": "208"},
        "effectiveDate": "2026-06-01",
        "externalId": f"CO-{OPP}-208-MODIFY_PRICING-1",
        "memo": "SKU-11: quantity 10 -> 15",
        "subline": {"items": [{"apply": True, "sequence": 1, "quantityNew": 15}]},
    }


def test_quantity_down_is_a_modify_pricing_and_zero_terminates_the_line() -> None:
    plan = plan_amendment(OPP, SUB, [_line("11", 4, 10), _line("12", 0, 5)])
    actions = {(o.action, o.lines[0].sequence, o.lines[0].quantity_new) for o in plan.change_orders}
    assert actions == {(MODIFY_PRICING, 1, Decimal(4)), (TERMINATE, 2, None)}
    terminate = next(o for o in plan.change_orders if o.action == TERMINATE)
    assert terminate.body()["subline"] == {"items": [{"apply": True, "sequence": 2}]}
    assert "quantityNew" not in str(terminate.body())  # NetSuite refuses quantityNew 0: TERMINATE instead


def test_a_plan_member_added_is_included_then_activated_co_termed_on_its_effective_date() -> None:
    plan = plan_amendment(OPP, SUB, [_line("13", 3, effective="2026-07-15")])
    [inclusion] = plan.inclusions
    assert inclusion.line_number == 3 and inclusion.quantity == 3
    assert inclusion.body() == {
        "subscriptionLine": {"items": [{"lineNumber": 3, "isIncluded": True, "quantity": 3}]}
    }
    [order] = plan.change_orders
    assert (order.action, order.effective_date, order.lines[0].sequence) == (ACTIVATE, "2026-07-15", 3)


def test_a_price_change_alone_is_a_modify_pricing_with_the_new_rate() -> None:
    plan = plan_amendment(OPP, SUB, [_line("11", 10, 10, price="12.5", prior_price="10")])
    [order] = plan.change_orders
    assert order.lines[0].body() == {"apply": True, "sequence": 1, "rateNew": 12.5}


def test_quantity_and_price_together_are_one_change_order_for_the_line() -> None:
    plan = plan_amendment(OPP, SUB, [_line("11", 12, 10, price="9", prior_price="10")])
    [order] = plan.change_orders
    assert order.lines[0].body() == {"apply": True, "sequence": 1, "quantityNew": 12, "rateNew": 9}


def test_same_price_or_unknown_prior_price_is_no_price_change() -> None:
    plan = plan_amendment(
        OPP, SUB, [_line("11", 10, 10, price="10", prior_price="10"), _line("12", 5, price="8")]
    )
    assert plan.empty and plan.unchanged == 2


def test_products_netsuite_cannot_add_are_problems_not_writes() -> None:
    plan = plan_amendment(OPP, SUB, [_line("99", 2), _line("", 1)])
    assert plan.empty
    assert "not a member of the subscription's plan" in plan.problems[0]
    assert "no item" in plan.problems[1]


def test_a_terminated_line_cannot_be_changed() -> None:
    sub = _subscription(_held(1, "11", 10, "TERMINATED"))
    plan = plan_amendment(OPP, sub, [_line("11", 12, 10)])
    assert plan.empty and "terminated" in plan.problems[0]
    assert plan_amendment(OPP, sub, [_line("11", 0, 10)]).empty  # already terminated: nothing to do


def test_second_day_re_run_plans_nothing() -> None:
    # What NetSuite holds after the first run: quantities changed, line 2 terminated, line 3 active.
    after = _subscription(_held(1, "11", 15), _held(2, "12", 5, "TERMINATED"), _held(3, "13", 3))
    plan = plan_amendment(OPP, after, [_line("11", 15, 10), _line("12", 0, 5), _line("13", 3)])
    assert plan.empty and plan.problems == [] and plan.unchanged == 3


def test_second_day_change_orders_already_saved_are_not_planned_again() -> None:
    # A price change leaves nothing to compare in the line: only the saved change order tells.
    lines = [_line("11", 10, 10, price="12", prior_price="10")]
    saved = [change_order_eid(OPP, "208", MODIFY_PRICING, 1)]
    assert plan_amendment(OPP, SUB, lines, existing=saved).empty


def test_second_day_after_a_partial_application_only_the_rest_is_planned() -> None:
    # First run: the quantity change was saved, the line inclusion made, then the answer was lost
    # before the activation of line 3.
    partial = _subscription(_held(1, "11", 15), _held(2, "12", 5), _held(3, "13", 3, "PENDING_ACTIVATION"))
    plan = plan_amendment(OPP, partial, [_line("11", 15, 10), _line("13", 3)])
    assert plan.inclusions == []  # already included with the right quantity
    assert [(o.action, o.lines[0].sequence) for o in plan.change_orders] == [(ACTIVATE, 3)]
    # ... and once the activation saved, with NetSuite not yet showing it: nothing.
    saved = [change_order_eid(OPP, "208", ACTIVATE, 3)]
    assert plan_amendment(OPP, partial, [_line("13", 3)], existing=saved).empty


def test_activation_of_a_new_subscription_once() -> None:
    pending = _subscription(status="PENDING_ACTIVATION")
    order = plan_activation(OPP, pending)
    assert order is not None and order.action == ACTIVATE and order.effective_date == "2026-01-01"
    assert order.external_id == f"CO-{OPP}-208-ACTIVATE-0" and "subline" not in order.body()
    assert plan_activation(OPP, _subscription(status="ACTIVE")) is None
    assert plan_activation(OPP, pending, existing=[order.external_id]) is None


def test_amendment_sales_lines_bill_the_added_quantities_only() -> None:
    lines = [
        {"Id": "P", "SBQQ__Quantity__c": 1, "SBQQ__PriorQuantity__c": 1},
        {"Id": "A", "SBQQ__RequiredBy__c": "P", "SBQQ__Quantity__c": 15, "SBQQ__PriorQuantity__c": 10},
        {"Id": "B", "SBQQ__RequiredBy__c": "P", "SBQQ__Quantity__c": 2, "SBQQ__PriorQuantity__c": 5},
        {"Id": "C", "SBQQ__RequiredBy__c": "P", "SBQQ__Quantity__c": 3, "SBQQ__PriorQuantity__c": None},
        {"Id": "D", "SBQQ__Quantity__c": 4, "SBQQ__PriorQuantity__c": 4},
    ]
    kept = amendment_sales_lines(lines)
    assert [(line["Id"], line["SBQQ__Quantity__c"]) for line in kept] == [("P", 1), ("A", 5), ("C", 3)]
    assert amendment_sales_lines([lines[1] | {"SBQQ__Quantity__c": 10}]) == []


def test_delta_prefers_cpq_effective_quantity() -> None:
    assert delta_quantity({"SBQQ__Quantity__c": 5, "SBQQ__PriorQuantity__c": 2}) == 3
    assert delta_quantity({"SBQQ__EffectiveQuantity__c": -2, "SBQQ__Quantity__c": 5}) == -2
    assert day_after("2026-12-31") == "2027-01-01" and day_after("") == ""


def test_months_between_counts_whole_months() -> None:
    assert months_between("2026-01-01", "2026-12-31") == 12
    assert months_between("2026-04-01", "2026-12-31") == 9
    assert months_between("2027-01-01", "2029-12-31") == 36
    assert months_between("", "2026-12-31") == 0
