"""Finding the chain: which link an id names, up to the opportunity, then down to every payment.

Each step is one query over indexed columns whatever the chain's size: cross-references for the sales
orders Concord wrote, the return flow's ReturnRecords for NetSuite's invoices and payments. Every step
stays within one integration (:class:`~governance.traceability.within.Within`): another org's deal may
carry the same opportunity id.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from governance.traceability.chain import INVOICE, KINDS, PAYMENT, SALES_ORDER, Keys, TraceLink
from governance.traceability.within import Within
from sync.pipeline.models import CrossReference, InboxMessage, ReturnRecord, SyncRecord


def resolve(key: str, within: Within) -> Keys:
    """Which link ``key`` names in one integration: a sales order's ids, an opportunity, an invoice (either
    system's id) or a payment. Four queries at most."""
    keys = Keys()
    xrefs, returns = _xrefs(within), _returns(within)
    for row in xrefs.filter(
        Q(netsuite_type=SALES_ORDER) & (Q(netsuite_id=key) | Q(external_id=key) | Q(salesforce_id=key))
    ).values("netsuite_id", "external_id", "salesforce_id"):
        keys.opportunities.add(row["salesforce_id"])
        keys.orders.add(row["netsuite_id"])
    for found in returns.filter(Q(netsuite_id=key) | Q(salesforce_id=key) | Q(opportunity_id=key)).values(
        "netsuite_type", "netsuite_id", "invoice_id", "salesforce_id", "opportunity_id"
    ):
        if found["netsuite_id"] == key:
            key_add(keys, found["netsuite_type"], key)
        if found["salesforce_id"] == key:
            # An Invoice__c Id names the invoice; an Opportunity Id (order status) the opportunity.
            if found["netsuite_type"] == SALES_ORDER:
                keys.opportunities.add(key)
            elif found["invoice_id"]:
                keys.invoices.add(found["invoice_id"])
        if found["opportunity_id"] == key:
            keys.opportunities.add(key)
    if keys.empty() and (
        SyncRecord.objects.filter(within.of_orgs("job__salesforce_connection"), opportunity_id=key).exists()
        or InboxMessage.objects.filter(
            within.of_orgs("salesforce_connection"), record_id=key, sobject="Opportunity"
        ).exists()
    ):
        keys.opportunities.add(key)
    return keys


def _xrefs(within: Within) -> QuerySet[CrossReference]:
    return CrossReference.objects.filter(within.xrefs())


def _returns(within: Within) -> QuerySet[ReturnRecord]:
    return ReturnRecord.objects.filter(within.of_orgs("job__salesforce_connection"))


def key_add(keys: Keys, netsuite_type: str, netsuite_id: str) -> None:
    {SALES_ORDER: keys.orders, INVOICE: keys.invoices, PAYMENT: keys.payments}.get(netsuite_type, set()).add(
        netsuite_id
    )


def climb(keys: Keys, within: Within) -> None:
    """From payments to their invoices, from invoices to their order and opportunity, from orders to
    their opportunity: one query per step."""
    if keys.payments:
        keys.invoices.update(
            value
            for value in _returns(within)
            .filter(netsuite_type=PAYMENT, netsuite_id__in=keys.payments)
            .values_list("invoice_id", flat=True)
            if value
        )
    if keys.invoices:
        for order, opportunity in (
            _returns(within)
            .filter(netsuite_type=INVOICE, netsuite_id__in=keys.invoices)
            .values_list("sales_order_id", "opportunity_id")
        ):
            if order:
                keys.orders.add(order)
            if opportunity:
                keys.opportunities.add(opportunity)
    if keys.orders:
        keys.opportunities.update(
            value
            for value in _xrefs(within)
            .filter(netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders)
            .values_list("salesforce_id", flat=True)
            if value
        )
        keys.opportunities.update(
            value
            for value in _returns(within)
            .filter(netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders)
            .values_list("opportunity_id", flat=True)
            if value
        )


def descend(keys: Keys, within: Within) -> tuple[list[CrossReference], list[ReturnRecord]]:
    """Everything below the opportunities: their orders, the invoices of those orders and the payments
    applied to those invoices. Returns the cross-references and return-flow rows of the chain."""
    xrefs = list(
        _xrefs(within)
        .filter(
            Q(salesforce_id__in=keys.opportunities)
            | Q(netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders)
        )
        .order_by("netsuite_type", "external_id")
    )
    keys.orders.update(row.netsuite_id for row in xrefs if row.netsuite_type == SALES_ORDER)
    invoice_rows = (
        _returns(within)
        .filter(netsuite_type=INVOICE)
        .filter(
            Q(opportunity_id__in=keys.opportunities)
            | Q(sales_order_id__in=keys.orders)
            | Q(netsuite_id__in=keys.invoices)
        )
    )
    keys.invoices.update(invoice_rows.values_list("netsuite_id", flat=True))
    returns = list(
        _returns(within)
        .filter(
            Q(netsuite_type=INVOICE, netsuite_id__in=keys.invoices)
            | Q(netsuite_type=PAYMENT, invoice_id__in=keys.invoices)
            | Q(netsuite_type=PAYMENT, netsuite_id__in=keys.payments)
            | Q(netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders)
            | Q(netsuite_type=SALES_ORDER, opportunity_id__in=keys.opportunities)
        )
        .select_related("job")
        .order_by("created_at", "id")
    )
    for row in returns:
        key_add(keys, row.netsuite_type, row.netsuite_id)
    return xrefs, returns


def links_build(keys: Keys, xrefs: list[CrossReference], returns: list[ReturnRecord]) -> dict[str, TraceLink]:
    """One link per record, each knowing the links above it, in chain order."""
    links = _Links()
    for key in sorted(keys.opportunities):
        links.link("opportunity", key)
    _order_links(links, keys, xrefs, returns)
    _invoice_links(links, keys, returns)
    _payment_links(links, keys, returns)
    rank = {kind: position for position, kind in enumerate(KINDS)}
    return dict(sorted(links.by_ref.items(), key=lambda item: (rank[item[1].kind], item[1].key)))


class _Links:
    """The links found so far, by ``kind:key``; a link is made the first time it is named."""

    def __init__(self) -> None:
        self.by_ref: dict[str, TraceLink] = {}

    def link(self, kind: str, key: str) -> TraceLink:
        ref = f"{kind}:{key}"
        if ref not in self.by_ref:
            self.by_ref[ref] = TraceLink(kind=kind, key=key)
        return self.by_ref[ref]

    @staticmethod
    def parent(child: TraceLink, kind: str, key: str) -> None:
        if key and f"{kind}:{key}" not in child.parents:
            child.parents.append(f"{kind}:{key}")

    @staticmethod
    def name(target: TraceLink, value: str) -> None:
        if value and value != target.key and value not in target.names:
            target.names.append(value)


def _order_links(links: _Links, keys: Keys, xrefs: list[CrossReference], returns: list[ReturnRecord]) -> None:
    """Sales orders from the cross-references Concord wrote, the keys, then the return flow's rows."""
    for xref in xrefs:
        if xref.netsuite_type == SALES_ORDER:
            order = links.link("sales_order", xref.netsuite_id)
            links.name(order, xref.external_id)
            links.parent(order, "opportunity", xref.salesforce_id)
    for key in sorted(keys.orders):
        links.link("sales_order", key)
    for row in returns:
        if row.netsuite_type == SALES_ORDER:
            order = links.link("sales_order", row.netsuite_id)
            links.name(order, row.tran_id)
            links.parent(order, "opportunity", row.opportunity_id)


def _invoice_links(links: _Links, keys: Keys, returns: list[ReturnRecord]) -> None:
    """Invoices under their sales order (or straight under the opportunity when they name no order)."""
    for row in returns:
        if row.netsuite_type == INVOICE:
            invoice = links.link("invoice", row.netsuite_id)
            links.name(invoice, row.tran_id)
            links.name(invoice, row.salesforce_id)
            links.parent(invoice, "sales_order", row.sales_order_id)
            if not row.sales_order_id:
                links.parent(invoice, "opportunity", row.opportunity_id)
    for key in sorted(keys.invoices):
        links.link("invoice", key)


def _payment_links(links: _Links, keys: Keys, returns: list[ReturnRecord]) -> None:
    for row in returns:
        if row.netsuite_type == PAYMENT:
            payment = links.link("payment", row.netsuite_id)
            links.name(payment, row.tran_id)
            links.parent(payment, "invoice", row.invoice_id)
    for key in sorted(keys.payments):
        links.link("payment", key)
