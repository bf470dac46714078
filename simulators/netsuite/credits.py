"""Credit memos and customer refunds.

- A credit memo is for a customer, optionally created from one of its invoices (whose lines it copies
  when it has none of its own); its lines total as a sales order's do. Its ``apply`` sublist applies it
  to the customer's open invoices (at most what each owes, no more than the memo has left), which lowers
  the invoices' amount remaining. ``amountRemaining`` = total - applied - refunded; status A Open, B Fully
  Applied.
- A customer refund pays money back against the customer's credit memos or payments (``apply``): each
  amount is at most what the document has left, which it lowers; the refund's total is their sum.
"""

from __future__ import annotations

from simulators.netsuite import billing
from simulators.netsuite.errors import user_error
from simulators.netsuite.writecontext import WriteContext, currency_precision, round_money

_COPIED_LINE = ("item", "quantity", "rate", "amount", "description", "taxCode", "custcol_revenue_treatment")


def _applied_elsewhere(context: WriteContext, column: str, record_id: int) -> float:
    other = "payment" if column == "invoice" else "invoice"
    found = context.connection.execute(
        f"SELECT COALESCE(SUM(amount), 0) FROM ns_applied WHERE {column} = ? AND {other} != ?",
        (record_id, context.record_id),
    ).fetchone()[0]
    return float(found)


def _apply_lines(
    context: WriteContext, owner: str, kinds: tuple[str, ...], available: float | None, label: str
) -> float:
    """Check and default the ``apply`` lines; returns the total applied."""
    body = context.body
    precision = currency_precision(context, body.get("currency"))
    total = 0.0
    for index, line in enumerate(body.get("apply") or []):
        path = f"apply.items[{index}]"
        doc = context.load("transaction", line.get("doc"))
        owner_id = body.get(owner)
        if (
            doc is None
            or doc.recordtype not in kinds
            or doc.body.get("entity", doc.body.get("customer")) != owner_id
        ):
            raise user_error(f"You can only apply this to the customer's own {label}.", f"{path}.doc")
        if doc.recordtype == "invoice":
            due = float(doc.body.get("total") or 0) - _applied_elsewhere(context, "invoice", doc.id)
        elif doc.recordtype == "creditMemo":
            due = (
                float(doc.body.get("total") or 0)
                - float(doc.body.get("applied") or 0)
                - _applied_elsewhere(context, "invoice", doc.id)
            )
        else:
            due = (
                float(doc.body.get("payment") or 0)
                - float(doc.body.get("applied") or 0)
                - _applied_elsewhere(context, "invoice", doc.id)
            )
        due = round_money(due, precision)
        line["total"] = doc.body.get("total", doc.body.get("payment"))
        line["due"] = due
        line.setdefault("apply", True)
        if not line["apply"]:
            line["amount"] = 0.0
            continue
        if line.get("amount") is None:
            line["amount"] = round_money(
                max(0.0, due if available is None else min(due, available)), precision
            )
        amount = float(line["amount"])
        if amount <= 0 or amount > due + 0.000001:
            raise user_error(
                f"The amount ({amount:g}) must be above 0 and at most {due:g}.", f"{path}.amount"
            )
        if available is not None:
            if amount > available + 0.000001:
                raise user_error(
                    f"The amount ({amount:g}) exceeds what is left ({available:g}).", f"{path}.amount"
                )
            available -= amount
        total += amount
    return round_money(total, precision)


def prepare_credit_memo(context: WriteContext) -> None:
    body = context.body
    customer = billing.transaction_header(context, "entity")
    billing.check_customer_currency(customer, body.get("currency"), "currency")
    invoice = context.load("transaction", body.get("createdFrom"))
    if invoice is not None:
        if invoice.body.get("entity") != body.get("entity"):
            raise user_error(
                "The invoice this credit memo is created from belongs to another customer.", "createdFrom"
            )
        if not body.get("item"):
            body["item"] = [
                {"line": n, **{k: x[k] for k in _COPIED_LINE if x.get(k) is not None}}
                for n, x in enumerate(invoice.body.get("item") or [], start=1)
            ]
    billing.item_lines(context)
    refunded = _applied_elsewhere(context, "invoice", context.record_id)
    body["applied"] = _apply_lines(
        context, "entity", ("invoice",), float(body.get("total") or 0) - refunded, "invoices"
    )
    body["amountRefunded"] = round(refunded, 6)
    body["amountRemaining"] = round(float(body.get("total") or 0) - body["applied"] - refunded, 6)
    body["status"] = "B" if body["amountRemaining"] <= 0.000001 else "A"


def prepare_customer_refund(context: WriteContext) -> None:
    body = context.body
    customer = billing.transaction_header(context, "customer")
    billing.check_customer_currency(customer, body.get("currency"), "currency")
    if not body.get("apply"):
        raise user_error("Apply the refund to a credit memo or payment of the customer.", "apply")
    body["total"] = _apply_lines(context, "customer", ("creditMemo", "customerPayment"), None, "credits")
    body["status"] = "A"
