"""Applying a deal's life-cycle step in NetSuite: the writer's hook (sync.pipeline.writer).

The Closed Won writer maps and upserts the opportunity graph object by object as always; for each graph it
asks :meth:`Lifecycle.start` for a :class:`DealStep`, which

- gives the graph the mapping sees (:attr:`DealStep.graph`),
- adjusts or skips each mapped payload before it is written (:meth:`DealStep.payload`),
- writes what the mapping cannot express once the mapped records exist (:meth:`DealStep.finish`).

By deal kind (:mod:`sync.lifecycle.kinds`):

- **new**: the subscriptions the mapping created (with their ``subscriptionLine`` quantities) are activated
  by an ACTIVATE change order effective on their start date (not again once active).
- **amendment**: the customer, contacts and billing account go through the mapping as for any deal. A
  package that upgrades an existing subscription is *not* upserted (an active subscription's plan, price
  book, term and lines are locked): its member lines become change orders on the existing subscription
  (:func:`sync.lifecycle.planning.plan_amendment`: quantity up or down, a line terminated, a plan member
  added and co-termed, a price change). A new package on the amendment is a new subscription co-termed
  with the contract's (its end date is the existing subscriptions'), activated like a new one.
  **The amendment's sales order** holds the delta lines only: each line that adds quantity, with the
  added quantity (as NetSuite bills a change order's increase); decreases and removals are not on it (the
  change order's billing credits them). An amendment that adds nothing writes no sales order.
- **renewal**: a package that renews a subscription becomes a NEW subscription (the mapping's, with the
  renewal quote's plan, price book, term, billing frequency and lines) whose ``parentSubscription`` names
  the renewed one and whose start date is the day after the renewed one's end; then it is activated.

Terms (all kinds): the billing account's currency must be one of its customer's currencies, so when the
customer lacks the quote's currency it is added to the customer's ``currencyList`` before the billing
account is written.

Every write is idempotent: change orders by ``eid:`` upsert with the contract's external ids, found by
external id before they are planned; a re-run finds the quantities already equal and plans nothing.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sync.connections.connectors.errors import ConnectorError
from sync.integrations.namespacing import eid_namespaced
from sync.lifecycle import kinds
from sync.lifecycle.planning import (
    AmendedLine,
    ChangeOrder,
    LineInclusion,
    Subscription,
    SubscriptionLine,
    amendment_sales_lines,
    day,
    day_after,
    months_between,
    number,
    plan_activation,
    plan_amendment,
)
from sync.mappings.engine import LookupResolver, ObjectPayload
from sync.mappings.engine.lookups import MISSING

SUBSCRIPTION_PREFIX = "SUB-"
CHANGE_ORDER = "subscriptionChangeOrder"


class LifecycleConnector(Protocol):
    """The NetSuite calls a life-cycle step makes (NetSuiteConnector's)."""

    def get(
        self, record_type: str, record_id: str, *, expand: bool = False, fields: list[str] | None = None
    ) -> dict[str, Any]: ...

    def get_by_external_id(
        self, record_type: str, external_id: str, *, expand: bool = False
    ) -> dict[str, Any] | None: ...

    def patch(
        self,
        record_type: str,
        record_id: str,
        body: dict[str, Any],
        *,
        replace: list[str] | str | None = None,
    ) -> None: ...

    def subscription_lines(self, subscription_id: str) -> list[dict[str, Any]]: ...

    def change_orders_by_external_id(self, external_ids: Sequence[str]) -> dict[str, str]: ...

    def change_order_upsert(self, external_id: str, body: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class LifecycleWrite:
    """One record a life-cycle step wrote, for the job's written records and the cross-references."""

    netsuite_type: str
    external_id: str
    netsuite_id: str
    salesforce_id: str
    object_key: str
    summary: str = ""


class LifecycleProblem(Exception):
    """A step that needs a person (a product NetSuite cannot add, a subscription that cannot be found)."""

    def __init__(self, message: str, object_key: str = "change_order", source_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.object_key = object_key
        self.source_id = source_id


Record = Callable[[LifecycleWrite], None]


class Lifecycle:
    """One per batch, shared by its threads: the connector, the lookups, what is known of customers."""

    def __init__(self, netsuite: LifecycleConnector, lookups: LookupResolver, *, namespace: str = "") -> None:
        self.netsuite = netsuite
        self.lookups = lookups
        # The integration's namespace: the subscriptions it reads and the change orders it writes carry it.
        self.namespace = namespace
        self._currencies: dict[str, set[str]] = {}
        self._guard = threading.Lock()

    def start(self, graph: Mapping[str, Any], record: Record) -> DealStep:
        return DealStep(self, graph, record)

    # -- the customer's currencies (contract A6) -------------------------------------------------

    def currency_ensure(self, customer_id: str, currency_id: str, record: Record, source_id: str) -> None:
        """Add ``currency_id`` to the customer's currencies unless it is its primary one or listed."""
        with self._guard:
            known = self._currencies.get(customer_id)
        if known is not None and currency_id in known:
            return
        customer = self.netsuite.get("customer", customer_id, expand=True)
        listed = [_ref_id(row.get("currency")) for row in _items(customer.get("currencyList"))]
        have = {_ref_id(customer.get("currency")), *listed} - {""}
        if currency_id not in have:
            items = [{"currency": {"id": cid}} for cid in [*listed, currency_id] if cid]
            try:
                self.netsuite.patch("customer", customer_id, {"currencyList": {"items": items}})
            except ConnectorError as error:
                if error.transient:
                    raise
                # Refused (a currency id NetSuite does not know...): the billing account's own write then
                # fails with the vendor's error on its currency, where the exception belongs.
                return
            have.add(currency_id)
            record(
                LifecycleWrite(
                    "customerCurrency",
                    f"CUR-{customer_id}-{currency_id}",
                    customer_id,
                    source_id,
                    "customer_currency",
                    f"currency {currency_id} added to customer {customer_id}",
                )
            )
        with self._guard:
            self._currencies[customer_id] = have


class DealStep:
    """One opportunity's step (see the module docstring)."""

    def __init__(self, lifecycle: Lifecycle, graph: Mapping[str, Any], record: Record) -> None:
        self.lifecycle = lifecycle
        self.netsuite = lifecycle.netsuite
        self.record = record
        self.source = graph
        self.kind = kinds.deal_kind(graph)
        self.opportunity_id = str(graph.get("Id") or "")
        quote = graph.get("primary_quote")
        self.quote: Mapping[str, Any] = quote if isinstance(quote, Mapping) else {}
        self.lines: list[Mapping[str, Any]] = [
            line for line in self.quote.get("lines") or [] if isinstance(line, Mapping)
        ]
        self._parents: dict[str, Subscription] = {}  # renewal package line id -> renewed subscription
        # What this step's own writes created, as sent (no need to read them back): the customer's
        # primary currency, and each new subscription's body by its ref key.
        self._created_customer: tuple[str, str] | None = None  # (internal id, currency id)
        self._created_subscriptions: dict[str, Mapping[str, Any]] = {}
        self._coterm = ""
        self._upgraded_found: dict[str, Subscription] = {}

    def mapped_graph(self) -> dict[str, Any]:
        """The graph the mapping sees. For an amendment: the lines that add quantity, with the added
        quantity (its sales order), and the contract's term rather than the amendment's remaining months
        (CPQ quotes an amendment for the months left; the plan and any co-termed new subscription keep
        the contract's term, read from the amended NetSuite subscription)."""
        graph: dict[str, Any] = dict(self.source)
        if self.kind != kinds.AMENDMENT or not self.quote:
            return graph
        quote = {**self.quote, "lines": amendment_sales_lines(self.lines)}
        amended = next(
            (line for line in self.lines if not line.get("SBQQ__RequiredBy__c") and _upgraded(line)), None
        )
        if amended is not None:
            subscription = self._upgraded_subscription(amended)
            months = months_between(subscription.start_date, subscription.end_date)
            if months:
                quote["SBQQ__SubscriptionTerm__c"] = months
        graph["primary_quote"] = quote
        return graph

    # -- before each mapped write ----------------------------------------------------------------

    def payload(self, payload: ObjectPayload, refs: Mapping[str, str]) -> ObjectPayload | None:
        """The payload to write (adjusted), or None to leave it out."""
        if payload.object_key == "billing_account":
            self._billing_currency(payload, refs)
        elif payload.object_key == "subscription":
            return self._subscription(payload)
        elif payload.object_key == "sales_order" and self.kind == kinds.AMENDMENT:
            items = payload.body.get("item")
            if isinstance(items, dict) and not items.get("items"):
                return None
        return payload

    def written(self, payload: ObjectPayload, netsuite_id: str, created: Mapping[str, Any] | None) -> None:
        """After each mapped write: ``created`` is the body of a record this write created (an upsert by
        external id of a record without cross-reference), else None."""
        if created is None:
            return
        if payload.object_key == "customer":
            self._created_customer = (netsuite_id, _ref_id(created.get("currency")))
        elif payload.object_key == "subscription":
            self._created_subscriptions[payload.ref_key] = created

    def _billing_currency(self, payload: ObjectPayload, refs: Mapping[str, str]) -> None:
        customer = refs.get("customer") or _ref_id(payload.body.get("customer"))
        currency = _ref_id(payload.body.get("currency"))
        if self._created_customer is not None and self._created_customer == (customer, currency):
            return  # created by this step with that primary currency
        if customer and currency:
            self.lifecycle.currency_ensure(customer, currency, self.record, self.opportunity_id)

    def _subscription(self, payload: ObjectPayload) -> ObjectPayload | None:
        line = self._line(payload.source_id)
        if self.kind == kinds.AMENDMENT:
            if _upgraded(line):
                return None  # an existing subscription: changed by change orders in finish()
            coterm = self._coterm_date()
            if coterm:
                return _with_create_fields(payload, {"endDate": coterm})
            return payload
        if self.kind == kinds.RENEWAL and _renewed(line):
            parent = self._renewed_subscription(line)
            self._parents[str(line.get("Id"))] = parent
            fields: dict[str, Any] = {"parentSubscription": {"id": parent.id}}
            if parent.end_date:
                fields["startDate"] = day_after(parent.end_date)
            return _with_create_fields(payload, fields)
        return payload

    # -- after the mapped writes -----------------------------------------------------------------

    def finish(self, refs: Mapping[str, str]) -> None:
        if self.kind == kinds.AMENDMENT:
            self._amend()
        created = {
            key[len("subscription[") : -1]: value
            for key, value in refs.items()
            if key.startswith("subscription[") and key.endswith("]")
        }
        for line_id, subscription_id in created.items():
            self._activate(
                line_id, subscription_id, self._created_subscriptions.get(f"subscription[{line_id}]")
            )

    def _activate(self, line_id: str, subscription_id: str, sent: Mapping[str, Any] | None = None) -> None:
        """Activate a subscription Concord wrote. One this step created (``sent``: its body) is a draft
        starting on the date sent: nothing to read, and no change order to look for, since the only way
        one exists is an earlier run whose answers were lost, and saving the same change order again by
        its external id is a no-op (``change_order_upsert``)."""
        if sent is not None and day(sent.get("startDate")):
            subscription = Subscription(
                subscription_id, "DRAFT", day(sent.get("startDate")), day(sent.get("endDate"))
            )
            order = plan_activation(self.opportunity_id, subscription, namespace=self.lifecycle.namespace)
            if order is not None:
                self._change_order_write(order, line_id)
            return
        subscription = self._subscription_read(subscription_id, lines=False)
        order = plan_activation(self.opportunity_id, subscription, namespace=self.lifecycle.namespace)
        if order is None:
            return
        if self.netsuite.change_orders_by_external_id([order.external_id]):
            return  # saved on an earlier run (its answer lost), NetSuite not yet showing it active
        self._change_order_write(order, line_id)

    def _amend(self) -> None:
        problems: list[str] = []
        for package in self._packages():
            if not _upgraded(package):
                continue
            subscription = self._upgraded_subscription(package, fresh=True)
            members = [line for line in self.lines if line.get("SBQQ__RequiredBy__c") == package.get("Id")]
            amended = [self._amended_line(line) for line in members]
            namespace = self.lifecycle.namespace
            wanted = plan_amendment(self.opportunity_id, subscription, amended, namespace=namespace)
            saved = self.netsuite.change_orders_by_external_id([o.external_id for o in wanted.change_orders])
            plan = plan_amendment(
                self.opportunity_id, subscription, amended, existing=saved, namespace=namespace
            )
            problems += plan.problems
            for inclusion in plan.inclusions:
                self._include(inclusion, str(package.get("Id")))
            for order in plan.change_orders:
                self._change_order_write(order, str(package.get("Id")))
        if problems:
            raise LifecycleProblem("; ".join(problems), source_id=self.opportunity_id)

    # -- reads -----------------------------------------------------------------------------------

    def _packages(self) -> list[Mapping[str, Any]]:
        parents = {line.get("SBQQ__RequiredBy__c") for line in self.lines if line.get("SBQQ__RequiredBy__c")}
        return [
            line for line in self.lines if not line.get("SBQQ__RequiredBy__c") and line.get("Id") in parents
        ]

    def _line(self, line_id: str | None) -> Mapping[str, Any]:
        return next((line for line in self.lines if line.get("Id") == line_id), {})

    def _subscription_by_origin(self, link: Mapping[str, Any], what: str, line_id: str) -> Subscription:
        origin = str(link.get("SBQQ__OriginalQuoteLine__c") or link.get("SBQQ__QuoteLine__c") or "")
        if not origin:
            raise LifecycleProblem(
                f"quote line {line_id}: the {what} Salesforce subscription names no quote line, so its "
                "NetSuite subscription cannot be found",
                object_key="subscription",
                source_id=line_id,
            )
        external_id = eid_namespaced(self.lifecycle.namespace, SUBSCRIPTION_PREFIX + origin)
        found = self.netsuite.get_by_external_id("subscription", external_id)
        if found is None:
            raise LifecycleProblem(
                f"quote line {line_id}: NetSuite has no subscription {external_id} "
                f"(the {what} one); sync the original deal first",
                object_key="subscription",
                source_id=line_id,
            )
        return self._subscription_read(str(found["id"]), lines=True, body=found)

    def _upgraded_subscription(self, package: Mapping[str, Any], *, fresh: bool = False) -> Subscription:
        key = str(package.get("Id"))
        if fresh or key not in self._upgraded_found:
            self._upgraded_found[key] = self._subscription_by_origin(_upgraded(package), "upgraded", key)
        return self._upgraded_found[key]

    def _renewed_subscription(self, package: Mapping[str, Any]) -> Subscription:
        return self._subscription_by_origin(_renewed(package), "renewed", str(package.get("Id")))

    def _subscription_read(
        self, subscription_id: str, *, lines: bool, body: Mapping[str, Any] | None = None
    ) -> Subscription:
        record = body if body is not None else self.netsuite.get("subscription", subscription_id)
        held: tuple[SubscriptionLine, ...] = ()
        if lines:
            held = tuple(
                SubscriptionLine(
                    int(row.get("linenumber") or 0),
                    str(row.get("item") or ""),
                    number(row.get("quantity")),
                    _truthy(row.get("isincluded")),
                    str(row.get("status") or ""),
                )
                for row in self.netsuite.subscription_lines(subscription_id)
            )
        return Subscription(
            subscription_id,
            _status(record.get("subscriptionStatus")),
            day(record.get("startDate")),
            day(record.get("endDate")),
            held,
        )

    def _coterm_date(self) -> str:
        """The end date a new package on an amendment is co-termed to: the contract's subscriptions'."""
        if not self._coterm:
            for package in self.lines:
                if not package.get("SBQQ__RequiredBy__c") and _upgraded(package):
                    self._coterm = self._upgraded_subscription(package).end_date
                    break
            else:
                self._coterm = day(self.quote.get("SBQQ__EndDate__c"))
        return self._coterm

    def _amended_line(self, line: Mapping[str, Any]) -> AmendedLine:
        sku = str(line.get("SBQQ__ProductCode__c") or "")
        item = self.lifecycle.lookups.dynamic("netsuite_item_by_sku", sku) if sku else MISSING
        upgraded = _upgraded(line)
        return AmendedLine(
            line_id=str(line.get("Id") or ""),
            item="" if item is MISSING or item is None else str(item),
            sku=sku,
            quantity=number(line.get("SBQQ__Quantity__c")) or Decimal(0),
            prior_quantity=number(line.get("SBQQ__PriorQuantity__c")),
            net_price=number(line.get("SBQQ__NetPrice__c")),
            prior_price=number(upgraded.get("SBQQ__NetPrice__c")) if upgraded else None,
            effective_date=day(
                line.get("SBQQ__EffectiveStartDate__c") or self.quote.get("SBQQ__StartDate__c")
            ),
        )

    # -- writes ----------------------------------------------------------------------------------

    def _change_order_write(self, order: ChangeOrder, source_id: str) -> None:
        netsuite_id = self.netsuite.change_order_upsert(order.external_id, order.body())
        self.record(
            LifecycleWrite(
                CHANGE_ORDER,
                order.external_id,
                netsuite_id,
                source_id or self.opportunity_id,
                "change_order",
                f"{order.action} subscription {order.subscription_id} on {order.effective_date}",
            )
        )

    def _include(self, inclusion: LineInclusion, source_id: str) -> None:
        self.netsuite.patch("subscription", inclusion.subscription_id, inclusion.body())
        self.record(
            LifecycleWrite(
                "subscriptionLine",
                f"SUBLINE-{inclusion.subscription_id}-{inclusion.line_number}",
                inclusion.subscription_id,
                source_id,
                "subscription_line",
                f"line {inclusion.line_number} included (quantity {inclusion.quantity})",
            )
        )


def _with_create_fields(payload: ObjectPayload, fields: Mapping[str, Any]) -> ObjectPayload:
    """``payload`` with ``fields`` set on creation only (never sent to a subscription that exists)."""
    body = {**payload.body, **fields}
    paths = tuple(((name, None),) for name in fields)
    return dataclasses.replace(
        payload,
        body=body,
        create_only_paths=tuple(dict.fromkeys((*payload.create_only_paths, *paths))),
        create_only_fields=tuple(dict.fromkeys((*payload.create_only_fields, *fields))),
    )


def _upgraded(line: Mapping[str, Any]) -> Mapping[str, Any]:
    """The upgraded Salesforce subscription as read through the line ({} when the line upgrades none)."""
    if not line.get("SBQQ__UpgradedSubscription__c"):
        return {}
    related = line.get("SBQQ__UpgradedSubscription__r")
    return related if isinstance(related, Mapping) else {"Id": line["SBQQ__UpgradedSubscription__c"]}


def _renewed(line: Mapping[str, Any]) -> Mapping[str, Any]:
    if not line.get("SBQQ__RenewedSubscription__c"):
        return {}
    related = line.get("SBQQ__RenewedSubscription__r")
    return related if isinstance(related, Mapping) else {"Id": line["SBQQ__RenewedSubscription__c"]}


def _ref_id(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def _items(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [row for row in value.get("items") or [] if isinstance(row, Mapping)]
    return []


def _status(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("id") or value.get("refName") or "")
    return str(value or "")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().upper() in {"T", "TRUE", "Y", "YES", "1"}
