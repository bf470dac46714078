"""Applying a deal's step against an in-memory NetSuite that keeps SuiteBilling's rules that matter here:
an amendment becomes change orders (and a line inclusion), a re-run writes nothing, a retry after a lost
answer writes nothing twice, a renewal names its parent and starts the day after it ends, and a billing
account's currency is added to its customer first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from sync.connections.connectors.errors import ConnectorError
from sync.lifecycle.applying import Lifecycle, LifecycleProblem, LifecycleWrite
from sync.mappings.engine import ObjectPayload, StaticLookups

ITEMS = {"SKU-A": "11", "SKU-B": "12", "SKU-C": "13", "SKU-X": "99"}


class _Items:
    def get(self, key: str) -> Any:
        return ITEMS.get(key)


class FakeNetSuite:
    """Subscriptions with lines, change orders by external id, customers with currencies."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, dict[str, Any]] = {
            "208": {
                "id": "208",
                "externalId": "SUB-a0qORIG",
                "subscriptionStatus": "ACTIVE",
                "startDate": "2026-01-01",
                "endDate": "2026-12-31",
            }
        }
        self.lines: dict[str, list[dict[str, Any]]] = {
            "208": [
                {"linenumber": 1, "item": "11", "quantity": 10, "isincluded": "T", "status": "ACTIVE"},
                {"linenumber": 2, "item": "12", "quantity": 5, "isincluded": "T", "status": "ACTIVE"},
                {"linenumber": 3, "item": "13", "quantity": 0, "isincluded": "F", "status": "NOT_INCLUDED"},
            ]
        }
        self.change_orders: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {"5": {"id": "5", "currency": {"id": "1"}}}
        self.writes: list[tuple[str, str]] = []
        self.lose_answer_of: str | None = None  # the next change order with this action saves, then fails

    def get(
        self, record_type: str, record_id: str, *, expand: bool = False, fields: Any = None
    ) -> dict[str, Any]:
        table = self.subscriptions if record_type == "subscription" else self.customers
        return dict(table[record_id])

    def get_by_external_id(self, record_type: str, external_id: str, *, expand: bool = False) -> Any:
        return next((dict(s) for s in self.subscriptions.values() if s["externalId"] == external_id), None)

    def patch(self, record_type: str, record_id: str, body: dict[str, Any], *, replace: Any = None) -> None:
        self.writes.append(("patch", f"{record_type}/{record_id}"))
        if record_type == "customer":
            self.customers[record_id]["currencyList"] = body["currencyList"]
            return
        for item in body["subscriptionLine"]["items"]:
            line = self._line(record_id, item["lineNumber"])
            line.update(isincluded="T", quantity=item["quantity"], status="PENDING_ACTIVATION")

    def subscription_lines(self, subscription_id: str) -> list[dict[str, Any]]:
        return [dict(line) for line in self.lines.get(subscription_id, [])]

    def change_orders_by_external_id(self, external_ids: Sequence[str]) -> dict[str, str]:
        return {eid: str(self.change_orders[eid]["id"]) for eid in external_ids if eid in self.change_orders}

    def change_order_upsert(self, external_id: str, body: dict[str, Any]) -> str:
        if external_id in self.change_orders:
            assert self.change_orders[external_id]["body"] == body  # a saved change order never changes
            return str(self.change_orders[external_id]["id"])
        self.writes.append(("change_order", external_id))
        self.change_orders[external_id] = {"id": len(self.change_orders) + 40, "body": body}
        self._apply(body)
        if self.lose_answer_of == body["action"]:
            self.lose_answer_of = None
            raise ConnectorError("netsuite", True, "connection reset", code="NETWORK")
        return str(self.change_orders[external_id]["id"])

    def _line(self, subscription_id: str, number: int) -> dict[str, Any]:
        return next(line for line in self.lines[subscription_id] if line["linenumber"] == number)

    def _apply(self, body: dict[str, Any]) -> None:
        sub = body["subscription"]["id"]
        items = (body.get("subline") or {}).get("items") or []
        if body["action"] == "ACTIVATE" and not items:
            self.subscriptions[sub]["subscriptionStatus"] = "ACTIVE"
            for line in self.lines.get(sub, []):
                if line["isincluded"] == "T":
                    line["status"] = "ACTIVE"
        for item in items:
            line = self._line(sub, item["sequence"])
            if body["action"] == "ACTIVATE":
                line["status"] = "ACTIVE"
            elif body["action"] == "TERMINATE":
                line["status"] = "TERMINATED"
            elif "quantityNew" in item:
                line["quantity"] = item["quantityNew"]


def _lifecycle(ns: FakeNetSuite) -> Lifecycle:
    return Lifecycle(ns, StaticLookups({}, {"netsuite_item_by_sku": _Items()}))


def _line(line_id: str, sku: str, quantity: int, prior: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "Id": line_id,
        "SBQQ__ProductCode__c": sku,
        "SBQQ__Quantity__c": quantity,
        "SBQQ__PriorQuantity__c": prior,
        "SBQQ__RequiredBy__c": "a0qPKG",
        **extra,
    }


def _amendment(*members: dict[str, Any]) -> dict[str, Any]:
    package = {
        "Id": "a0qPKG",
        "SBQQ__ProductCode__c": "PKG-GROWTH",
        "SBQQ__Quantity__c": 1,
        "SBQQ__PriorQuantity__c": 1,
        "SBQQ__UpgradedSubscription__c": "a0zPKG",
        "SBQQ__UpgradedSubscription__r": {"SBQQ__QuoteLine__c": "a0qORIG"},
    }
    quote = {"Id": "a0Q1", "SBQQ__Type__c": "Amendment", "SBQQ__StartDate__c": "2026-06-01"}
    return {
        "Id": "006AM",
        "SBQQ__AmendedContract__c": "800C",
        "primary_quote": {**quote, "lines": [package, *members]},
    }


AMENDMENT = _amendment(
    _line("a0qA", "SKU-A", 15, 10, SBQQ__UpgradedSubscription__c="a0zA"),
    _line("a0qB", "SKU-B", 0, 5, SBQQ__UpgradedSubscription__c="a0zB"),
    _line("a0qC", "SKU-C", 3, SBQQ__EffectiveStartDate__c="2026-07-01"),
)


def _run(ns: FakeNetSuite, graph: dict[str, Any], refs: dict[str, str] | None = None) -> list[LifecycleWrite]:
    written: list[LifecycleWrite] = []
    step = _lifecycle(ns).start(graph, written.append)
    step.finish(refs or {})
    return written


def test_an_amendment_becomes_change_orders_on_the_existing_subscription() -> None:
    ns = FakeNetSuite()
    written = _run(ns, AMENDMENT)
    assert sorted(ns.change_orders) == [
        "CO-006AM-208-ACTIVATE-3",
        "CO-006AM-208-MODIFY_PRICING-1",
        "CO-006AM-208-TERMINATE-2",
    ]
    assert ns.change_orders["CO-006AM-208-ACTIVATE-3"]["body"]["effectiveDate"] == "2026-07-01"
    assert ns.change_orders["CO-006AM-208-MODIFY_PRICING-1"]["body"]["effectiveDate"] == "2026-06-01"
    assert [(line["quantity"], line["status"]) for line in ns.lines["208"]] == [
        (15, "ACTIVE"),
        (5, "TERMINATED"),
        (3, "ACTIVE"),
    ]
    assert {w.object_key for w in written} == {"change_order", "subscription_line"}
    assert all(w.netsuite_type in ("subscriptionChangeOrder", "subscriptionLine") for w in written)


def test_second_day_the_same_amendment_writes_nothing() -> None:
    ns = FakeNetSuite()
    _run(ns, AMENDMENT)
    before = list(ns.writes)
    assert _run(ns, AMENDMENT) == [] and ns.writes == before


def test_second_day_a_retry_after_a_lost_answer_writes_nothing_twice() -> None:
    ns = FakeNetSuite()
    ns.lose_answer_of = "MODIFY_PRICING"
    with pytest.raises(ConnectorError):
        _run(ns, AMENDMENT)
    _run(ns, AMENDMENT)  # the writer's retry
    assert [w for w in ns.writes if w[0] == "change_order"] == [
        ("change_order", "CO-006AM-208-MODIFY_PRICING-1"),
        ("change_order", "CO-006AM-208-TERMINATE-2"),
        ("change_order", "CO-006AM-208-ACTIVATE-3"),
    ]
    assert ns.lines["208"][0]["quantity"] == 15


def test_a_product_outside_the_plan_needs_a_person() -> None:
    ns = FakeNetSuite()
    with pytest.raises(LifecycleProblem, match="SKU-X: not a member"):
        _run(ns, _amendment(_line("a0qX", "SKU-X", 1)))


def test_an_unsynced_original_subscription_is_named() -> None:
    ns = FakeNetSuite()
    ns.subscriptions["208"]["externalId"] = "SUB-other"
    with pytest.raises(LifecycleProblem, match="NetSuite has no subscription SUB-a0qORIG"):
        _run(ns, AMENDMENT)


def _subscription_payload(line_id: str, body: dict[str, Any]) -> ObjectPayload:
    return ObjectPayload(
        object_key="subscription",
        target_type="subscription",
        mode="upsert",
        external_id=f"SUB-{line_id}",
        external_id_field="externalId",
        ref_key=f"subscription[{line_id}]",
        source_id=line_id,
        body=body,
        create_only_paths=((("startDate", None),),),
        create_only_fields=("startDate",),
    )


def test_an_amendment_leaves_upgraded_packages_to_change_orders_and_co_terms_a_new_package() -> None:
    ns = FakeNetSuite()
    graph = _amendment()
    graph["primary_quote"]["lines"] += [
        {"Id": "a0qNEW", "SBQQ__ProductCode__c": "PKG-STARTER", "SBQQ__Quantity__c": 1},
        {
            "Id": "a0qN1",
            "SBQQ__ProductCode__c": "SKU-A",
            "SBQQ__Quantity__c": 2,
            "SBQQ__RequiredBy__c": "a0qNEW",
        },
    ]
    step = _lifecycle(ns).start(graph, lambda write: None)
    assert step.payload(_subscription_payload("a0qPKG", {"name": "x"}), {}) is None
    new = step.payload(_subscription_payload("a0qNEW", {"startDate": "2026-06-01"}), {})
    assert new is not None and new.body["endDate"] == "2026-12-31"
    assert "endDate" not in new.to_json(update=True)  # never sent to a subscription that exists
    # The amendment's sales order sees the added quantities only.
    mapped = step.mapped_graph()["primary_quote"]
    assert mapped["SBQQ__SubscriptionTerm__c"] == 12  # the contract's, not the amendment's months left
    assert [(line["Id"], line["SBQQ__Quantity__c"]) for line in mapped["lines"]] == [
        ("a0qNEW", 1),
        ("a0qN1", 2),
    ]


def test_a_renewal_is_a_new_subscription_naming_its_parent_and_activated() -> None:
    ns = FakeNetSuite()
    package = {
        "Id": "a0qREN",
        "SBQQ__ProductCode__c": "PKG-GROWTH",
        "SBQQ__RenewedSubscription__c": "a0zPKG",
        "SBQQ__RenewedSubscription__r": {"SBQQ__OriginalQuoteLine__c": "a0qORIG"},
    }
    member = {"Id": "a0qR1", "SBQQ__RequiredBy__c": "a0qREN", "SBQQ__ProductCode__c": "SKU-A"}
    quote = {
        "Id": "a0Q2",
        "SBQQ__Type__c": "Renewal",
        "SBQQ__StartDate__c": "2027-01-01",
        "lines": [package, member],
    }
    graph = {"Id": "006RN", "SBQQ__RenewedContract__c": "800C", "primary_quote": quote}
    written: list[LifecycleWrite] = []
    step = _lifecycle(ns).start(graph, written.append)
    assert step.kind == "renewal"
    adjusted = step.payload(_subscription_payload("a0qREN", {"startDate": "2027-01-01", "name": "r"}), {})
    assert adjusted is not None
    assert adjusted.body["parentSubscription"] == {"id": "208"} and adjusted.body["startDate"] == "2027-01-01"
    assert adjusted.to_json(update=True) == {"name": "r"}
    # The writer created it (pending activation): finish() activates it on its start date, once.
    ns.subscriptions["301"] = {
        "id": "301",
        "externalId": "SUB-a0qREN",
        "subscriptionStatus": "PENDING_ACTIVATION",
        "startDate": "2027-01-01",
        "endDate": "2027-12-31",
    }
    step.finish({"subscription[a0qREN]": "301"})
    assert ns.change_orders["CO-006RN-301-ACTIVATE-0"]["body"]["effectiveDate"] == "2027-01-01"
    assert ns.subscriptions["301"]["subscriptionStatus"] == "ACTIVE"
    before = list(ns.writes)
    step.finish({"subscription[a0qREN]": "301"})
    assert ns.writes == before and len(written) == 1


def test_an_activation_saved_with_its_answer_lost_is_not_sent_again() -> None:
    ns = FakeNetSuite()
    ns.subscriptions["208"]["subscriptionStatus"] = "PENDING_ACTIVATION"
    ns.lose_answer_of = "ACTIVATE"
    graph = {"Id": "006NEW", "primary_quote": {"Id": "a0Q3", "lines": []}}
    with pytest.raises(ConnectorError):
        _run(ns, graph, {"subscription[a0qORIG]": "208"})
    ns.subscriptions["208"]["subscriptionStatus"] = "PENDING_ACTIVATION"  # NetSuite not yet showing it
    assert _run(ns, graph, {"subscription[a0qORIG]": "208"}) == []
    assert ns.writes == [("change_order", "CO-006NEW-208-ACTIVATE-0")]


def test_the_quote_currency_is_added_to_the_customer_before_the_billing_account() -> None:
    ns = FakeNetSuite()
    lifecycle = _lifecycle(ns)
    written: list[LifecycleWrite] = []
    billing = ObjectPayload(
        object_key="billing_account",
        target_type="billingAccount",
        mode="upsert",
        external_id="BA-001-EUR",
        external_id_field="externalId",
        ref_key="billing_account",
        source_id="006NEW",
        body={"customer": {"id": "5"}, "currency": {"id": "4"}},
    )
    graph = {"Id": "006NEW"}
    assert lifecycle.start(graph, written.append).payload(billing, {"customer": "5"}) is billing
    assert ns.customers["5"]["currencyList"] == {"items": [{"currency": {"id": "4"}}]}
    assert [w.external_id for w in written] == ["CUR-5-4"]
    lifecycle.start(graph, written.append).payload(billing, {"customer": "5"})
    assert _lifecycle(ns).start(graph, written.append).payload(billing, {"customer": "5"}) is billing
    assert len(written) == 1 and ns.writes == [("patch", "customer/5")]
    # The primary currency needs nothing.
    usd = ObjectPayload(**{**_fields(billing), "body": {"customer": {"id": "5"}, "currency": {"id": "1"}}})
    _lifecycle(ns).start(graph, written.append).payload(usd, {"customer": "5"})
    assert len(written) == 1


def _fields(payload: ObjectPayload) -> dict[str, Any]:
    return {
        name: getattr(payload, name)
        for name in (
            "object_key",
            "target_type",
            "mode",
            "external_id",
            "external_id_field",
            "ref_key",
            "source_id",
            "body",
        )
    }


def test_a_currency_netsuite_refuses_is_left_to_the_billing_account_write() -> None:
    ns = FakeNetSuite()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectorError(
            "netsuite", False, "Invalid currency reference key 99.", code="INVALID_KEY_OR_REF"
        )

    ns.patch = refuse  # type: ignore[method-assign]
    billing = ObjectPayload(
        object_key="billing_account",
        target_type="billingAccount",
        mode="upsert",
        external_id="BA-001-XXX",
        external_id_field="externalId",
        ref_key="billing_account",
        source_id="006NEW",
        body={"customer": {"id": "5"}, "currency": {"id": "99"}},
    )
    written: list[LifecycleWrite] = []
    assert (
        _lifecycle(ns).start({"Id": "006NEW"}, written.append).payload(billing, {"customer": "5"}) is billing
    )
    assert written == []
