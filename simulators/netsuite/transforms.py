"""Record transformations and the controls that drive the return flow (orders -> invoices -> payments).

``POST record/v1/salesOrder/{id}/!transform/invoice`` bills a whole order (body fields override the
copied ones); ``POST record/v1/invoice/{id}/!transform/customerPayment`` pays what the invoice still
owes; ``salesOrder -> itemFulfillment`` fulfils what is left, ``invoice -> creditMemo`` credits the
invoice's lines and ``creditMemo -> customerRefund`` refunds what the memo has left. Partial billing by
line is not modelled: an order is billed in one invoice.
"""

from __future__ import annotations

from typing import Any

from simulators.netsuite.billing import BILLABLE_ORDER_STATUSES
from simulators.netsuite.errors import NetSuiteError, invalid_parameter, not_found_record, user_error
from simulators.netsuite.schema import RecordType
from simulators.netsuite.store import NetSuiteStore, Row
from simulators.netsuite.transactiontypes import ORDER_LINE_FIELDS
from simulators.netsuite.writecontext import round_money
from simulators.netsuite.writes import RecordWriter

_COPIED_HEADER = (
    "currency",
    "subsidiary",
    "terms",
    "exchangeRate",
    "otherRefNum",
    "memo",
    "custbody_sf_opportunity_id",
    "custbody_sf_quote_id",
)
_PAIRS = (
    ("salesOrder", "invoice"),
    ("invoice", "customerPayment"),
    ("salesOrder", "itemFulfillment"),
    ("invoice", "creditMemo"),
    ("creditMemo", "customerRefund"),
)
_REF_FIELDS = {"currency", "subsidiary", "terms", "item", "taxCode", "entity", "customer"}


def _wire(name: str, value: Any) -> Any:
    return {"id": str(value)} if name in _REF_FIELDS else value


class Transformer:
    def __init__(self, store: NetSuiteStore, writer: RecordWriter) -> None:
        self.store = store
        self.writer = writer

    def _type(self, name: str) -> RecordType:
        record_type = self.store.catalog.get(name)
        assert record_type is not None
        return record_type

    def transform(
        self, source: RecordType, source_id: int, target_name: str, overrides: dict[str, Any]
    ) -> int:
        target = self.store.catalog.get(target_name)
        pair = (source.name, target.name if target else target_name)
        if pair not in _PAIRS:
            raise invalid_parameter(f"Transforming {source.name} into {target_name} is not supported.")
        assert target is not None
        with self.store.write() as connection:
            row = self.store.load(source.table, source_id, connection)
            if row is None or row.recordtype != source.name:
                raise not_found_record(source.name, str(source_id))
            payload = self._payload(row, target.name)
            # Only what the target has in this account (an order written under OneWorld keeps its
            # subsidiary; billed without OneWorld, the invoice has no such field).
            payload = {
                name: value
                for name, value in payload.items()
                if target.field(name) is not None or target.sublist(name) is not None
            }
            payload.update(overrides)
            return self.writer.create(target, payload)

    def _payload(self, row: Row, target: str) -> dict[str, Any]:
        if target == "invoice":
            return self._invoice_from(row)
        if target == "customerPayment":
            return self._payment_from(row)
        # The other pairs take what the target's save rules derive from the source (lines, customer).
        if target == "itemFulfillment":
            return {"createdFrom": {"id": str(row.id)}}
        if target == "creditMemo":
            return {"entity": {"id": str(row.body["entity"])}, "createdFrom": {"id": str(row.id)}}
        return {
            "customer": {"id": str(row.body["entity"])},
            "apply": {"items": [{"doc": {"id": str(row.id)}}]},
        }

    def _invoice_from(self, order: Row) -> dict[str, Any]:
        status = order.body.get("orderStatus")
        if status not in BILLABLE_ORDER_STATUSES:
            reason = "is pending approval" if status == "A" else "is already billed or closed"
            raise user_error(f"You can not bill sales order {order.body.get('tranId')}: the order {reason}.")
        payload: dict[str, Any] = {
            "entity": {"id": str(order.body["entity"])},
            "createdFrom": {"id": str(order.id)},
        }
        payload.update({name: _wire(name, order.body[name]) for name in _COPIED_HEADER if name in order.body})
        lines = []
        for line in order.body.get("item") or []:
            if line.get("isClosed"):
                continue
            lines.append(
                {
                    name: _wire(name, value)
                    for name, value in line.items()
                    if name != "line" and name not in ORDER_LINE_FIELDS
                }
            )
        payload["item"] = {"items": lines}
        return payload

    def _payment_from(self, invoice: Row) -> dict[str, Any]:
        remaining = float(invoice.body.get("amountRemaining") or 0)
        if remaining <= 0:
            raise user_error(f"Invoice {invoice.body.get('tranId')} is already paid in full.")
        payload: dict[str, Any] = {
            "customer": {"id": str(invoice.body["entity"])},
            "payment": remaining,
            "apply": {"items": [{"doc": {"id": str(invoice.id)}, "apply": True, "amount": remaining}]},
        }
        for name in ("currency", "subsidiary"):
            if name in invoice.body:
                payload[name] = {"id": str(invoice.body[name])}
        return payload

    # -- controls ---------------------------------------------------------------------------------

    def invoice_orders(self, order_ids: list[int] | None, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Bill the given sales orders (or every billable one, oldest first, up to ``limit``)."""
        if order_ids is None:
            order_ids = [
                row[0]
                for row in self.store.read().execute(
                    "SELECT id FROM ns_transaction WHERE recordtype = 'salesOrder' "
                    "AND status IN ('B', 'D', 'E', 'F') "
                    "ORDER BY id LIMIT ?",
                    (limit,),
                )
            ]
        results = []
        for order_id in order_ids:
            try:
                invoice = self.transform(self._type("salesOrder"), int(order_id), "invoice", {})
                results.append({"salesOrder": str(order_id), "invoice": str(invoice)})
            except NetSuiteError as error:
                results.append({"salesOrder": str(order_id), "error": error.detail})
        return results

    def pay_invoices(
        self, invoice_ids: list[int] | None, *, fraction: float = 1.0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Pay ``fraction`` of what each invoice (or every open one, up to ``limit``) still owes."""
        if not 0 < fraction <= 1:
            raise invalid_parameter("fraction must be more than 0 and at most 1.", "fraction")
        if invoice_ids is None:
            invoice_ids = [
                row[0]
                for row in self.store.read().execute(
                    "SELECT id FROM ns_transaction WHERE recordtype = 'invoice' AND status = 'A' "
                    "ORDER BY id LIMIT ?",
                    (limit,),
                )
            ]
        results = []
        invoice_type = self._type("invoice")
        for invoice_id in invoice_ids:
            try:
                invoice = self.store.load("transaction", int(invoice_id))
                if invoice is None or invoice.recordtype != "invoice":
                    raise not_found_record("invoice", str(invoice_id))
                currency = self.store.load("currency", int(invoice.body.get("currency") or 0))
                precision = int(currency.body.get("currencyPrecision", 2)) if currency else 2
                amount = round_money(float(invoice.body.get("amountRemaining") or 0) * fraction, precision)
                overrides = {
                    "payment": amount,
                    "apply": {"items": [{"doc": {"id": str(invoice.id)}, "apply": True, "amount": amount}]},
                }
                payment = self.transform(invoice_type, invoice.id, "customerPayment", overrides)
                results.append(
                    {"invoice": str(invoice_id), "customerPayment": str(payment), "amount": amount}
                )
            except NetSuiteError as error:
                results.append({"invoice": str(invoice_id), "error": error.detail})
        return results
