"""What the return flow reads around a changed NetSuite record before mapping it back to Salesforce.

Each changed record is read in full, then the records its mapping reads through it are added to its
graph: an invoice's customer, the invoices a payment applies to, a credit memo's invoice, the credit memos
a refund pays out (re-read, so the balances written are NetSuite's own whatever order they arrive in),
a fulfilment's sales order, a subscription's lines and its CPQ contract. Salesforce ids are found through
Concord's cross-references (the customer an account became, the sales order an opportunity became) or
read from Salesforce by the keys Concord wrote (an Invoice__c by its NetSuite id); the graph carries them
under ``salesforce``. The shipped mappings' descriptions name what each graph holds.

Subscriptions reach their contract through the quote Concord stamped on them
(``custrecord_sf_quote_id``): quote -> its opportunity -> the Contract whose ``SBQQ__Opportunity__c``
is that opportunity (CPQ contracts a won opportunity; amendments stay on the contract, a renewal makes a
new contract from its own opportunity, whose quote its new subscription names). A subscription without
the quote id is found through its cross-reference (the package quote line it came from). Each
SBQQ__Subscription__c of the contract is matched by product code: the package's own subscription by the
plan's item, its members by the line items (members of that package first, through RequiredById).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector, table_missing
from sync.connections.connectors.salesforce import SalesforceConnector, soql_literal
from sync.pipeline.eids import EidScope
from sync.pipeline.models import CrossReference

# A contract whose quote made several NetSuite subscriptions shows the liveliest of their statuses.
STATUS_ORDER = ("ACTIVE", "PENDING_ACTIVATION", "DRAFT", "SUSPENDED", "CLOSED", "TERMINATED")
CREDIT_MEMO_TYPE = "CustCred"


class CachedReader:
    """NetSuite reads of one run, each record read once (an invoice and its payment share a customer)."""

    def __init__(self, ns: NetSuiteConnector) -> None:
        self.ns = ns
        self.cache: dict[tuple[str, str, bool], dict[str, Any]] = {}

    def __call__(self, record_type: str, record_id: str, expand: bool | None = None) -> dict[str, Any]:
        # An invoice's customer is read without sublists; the customer flow's own read has its address book.
        expand = record_type != "customer" if expand is None else expand
        if (record_type, record_id, expand) not in self.cache:
            self.cache[record_type, record_id, expand] = self.ns.get(record_type, record_id, expand=expand)
        return self.cache[record_type, record_id, expand]


class SalesforceLinks:
    """Salesforce ids of NetSuite records, through cross-references or Salesforce reads (cached per run).

    ``scope``: the integration whose org is written; only its cross-references (its own and the shared
    ones) are followed, since another org may hold records with the very same ids."""

    def __init__(self, sf: SalesforceConnector, netsuite_pk: int, scope: EidScope | None = None) -> None:
        self.sf = sf
        self.netsuite_pk = netsuite_pk
        self.scope = scope
        self._by_key: dict[tuple[str, str, str], str] = {}

    def crossreference(self, netsuite_type: str, netsuite_id: str) -> str:
        """The Salesforce id of the record Concord made ``netsuite_type`` ``netsuite_id`` from, or ""."""
        if not netsuite_id:
            return ""
        rows = self.scope.xrefs() if self.scope is not None else CrossReference.objects.all()
        found = (
            rows.filter(
                netsuite_connection_id=self.netsuite_pk, netsuite_type=netsuite_type, netsuite_id=netsuite_id
            )
            .order_by("-synced_at")
            .values_list("salesforce_id", flat=True)
            .first()
        )
        return str(found or "")

    def by_key(self, sobject: str, key_field: str, key: str) -> str:
        """The Id of the ``sobject`` whose ``key_field`` is ``key`` (an external id Concord wrote), or ""."""
        if not key:
            return ""
        cache_key = (sobject, key_field, key)
        if cache_key not in self._by_key:
            rows = list(
                self.sf.query(
                    f"SELECT Id FROM {sobject} WHERE {key_field} = {soql_literal(key)} LIMIT 1"  # noqa: S608
                )
            )
            self._by_key[cache_key] = str(rows[0]["Id"]) if rows else ""
        return self._by_key[cache_key]

    def query(self, soql: str) -> list[dict[str, Any]]:
        return list(self.sf.query(soql))

    def owned_condition(self, column: str = "externalid") -> str:
        """SuiteQL: ``column`` is one of the integration's external ids ("" without a scope)."""
        return self.scope.suiteql_owned(column) if self.scope is not None else ""


class ReturnOwnership:
    """Which changed NetSuite records an integration's return flow brings back to its org.

    A record is the integration's when its external id is (a customer, a sales order, a subscription),
    when the sales order it comes from is (an invoice, a fulfilment, a credit memo's invoice, a payment's
    first invoice), else when its customer is; a customer the integration shares (a shared
    cross-reference) is its own too. For the primary integration a record without an external id is its
    own (as before integrations existed).
    """

    OWN_ID_TYPES = ("customer", "salesOrder", "subscription")

    def __init__(self, scope: EidScope, read: CachedReader, netsuite_pk: int) -> None:
        self.scope = scope
        self.read = read
        self.shared = set(
            scope.xrefs()
            .filter(netsuite_connection_id=netsuite_pk, shared=True)
            .values_list("netsuite_type", "netsuite_id")
        )

    def owns(self, record_type: str, graph: dict[str, Any]) -> bool:
        if record_type in self.OWN_ID_TYPES:
            return self._own_record(record_type, ref_id(graph.get("id")), graph)
        order = self._order_of(record_type, graph)
        if order:
            return self._own_record("salesOrder", order, None)
        customer = ref_id(graph.get("entity") or graph.get("customer"))
        return not customer or self._own_record("customer", customer, None)

    def _own_record(self, record_type: str, record_id: str, body: dict[str, Any] | None) -> bool:
        if (record_type, record_id) in self.shared:
            return True
        if body is None:
            body = self.read(record_type, record_id, False)
        external_id = str(body.get("externalId") or "")
        return self.scope.owns(external_id) if external_id else self.scope.is_primary

    @staticmethod
    def _order_of(record_type: str, graph: dict[str, Any]) -> str:
        if record_type in ("invoice", "itemFulfillment"):
            return ref_id(graph.get("createdFrom"))
        if record_type == "creditMemo":
            return ref_id((graph.get("invoice") or {}).get("createdFrom"))
        if record_type == "customerPayment":
            for line in (graph.get("apply") or {}).get("items") or []:
                if isinstance(line.get("invoice"), dict):
                    return ref_id(line["invoice"].get("createdFrom"))
        return ""


def ref_id(value: Any) -> str:
    """The internal id of a NetSuite reference (``{"id": "12", "refName": ...}``) or a plain id."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def number(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def applied_lines(graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines of an ``apply`` sublist that apply (with a document)."""
    items = (graph.get("apply") or {}).get("items") or []
    return [line for line in items if line.get("apply") and ref_id(line.get("doc"))]


# -- credit memos and refunds ------------------------------------------------------------------------


def credit_memo_graph(read: CachedReader, links: SalesforceLinks, record_id: str) -> dict[str, Any]:
    """A credit memo with its customer, its invoice, its balances and its Salesforce links."""
    graph = dict(read("creditMemo", record_id))
    graph.update(credit_memo_balances(graph))
    customer_id = ref_id(graph.get("entity"))
    if customer_id:
        graph["customer"] = read("customer", customer_id)
    invoice_id = ref_id(graph.get("createdFrom"))
    if not invoice_id:
        invoice_id = next((ref_id(line.get("doc")) for line in applied_lines(graph)), "")
    invoice: dict[str, Any] = {}
    if invoice_id:
        try:
            invoice = read("invoice", invoice_id)
        except ConnectorError as error:
            if error.status != 404:  # created from something other than an invoice: no link
                raise
    graph["invoice"] = invoice
    graph["salesforce"] = {
        "Account": links.crossreference("customer", customer_id),
        "Opportunity": links.crossreference("salesOrder", ref_id(invoice.get("createdFrom"))),
        "Invoice__c": links.by_key("Invoice__c", "NetSuite_Invoice_Id__c", invoice_id) if invoice else "",
    }
    return graph


def credit_memo_balances(memo: dict[str, Any]) -> dict[str, Decimal]:
    """What a credit memo applies to invoices (its apply sublist; its ``applied`` field when the sublist
    was not read), and what refunds took: NetSuite lowers amountRemaining for both, so the refunded part
    is what is neither applied nor remaining."""
    if "apply" in memo:
        applied = sum((number(line.get("amount")) for line in applied_lines(memo)), Decimal(0))
    else:
        applied = number(memo.get("applied"))
    refunded = number(memo.get("total")) - applied - number(memo.get("amountRemaining"))
    return {"amountApplied": applied, "amountRefunded": max(refunded, Decimal(0))}


def refund_graph(read: CachedReader, links: SalesforceLinks, record_id: str) -> dict[str, Any]:
    """A customer refund with its customer and, on each apply line of a credit memo, that memo re-read."""
    graph = dict(read("customerRefund", record_id))
    customer_id = ref_id(graph.get("customer") or graph.get("entity"))
    if customer_id:
        graph["customer"] = read("customer", customer_id)
    lines = applied_lines(graph)
    memos = credit_memo_ids(read.ns, [ref_id(line.get("doc")) for line in lines])
    first_memo = ""
    for line in lines:
        doc = ref_id(line.get("doc"))
        if doc not in memos:
            continue  # a payment or deposit refunded: no credit memo to update
        memo = dict(read("creditMemo", doc))
        memo.update(credit_memo_balances(memo))
        line["creditMemo"] = memo
        first_memo = first_memo or doc
    graph["salesforce"] = {
        "Account": links.crossreference("customer", customer_id),
        "Credit_Memo__c": links.by_key("Credit_Memo__c", "NetSuite_Credit_Memo_Id__c", first_memo),
    }
    return graph


def credit_memo_ids(ns: NetSuiteConnector, ids: Iterable[str]) -> set[str]:
    """Which of the transaction ``ids`` are credit memos."""
    numeric = sorted({int(i) for i in ids if str(i).isdigit()})
    if not numeric:
        return set()
    listed = ", ".join(str(i) for i in numeric)
    rows = ns.suiteql(f"SELECT id, type FROM transaction WHERE id IN ({listed})")  # noqa: S608 - integers
    return {str(row["id"]) for row in rows if str(row.get("type")) == CREDIT_MEMO_TYPE}


# -- fulfilment --------------------------------------------------------------------------------------


def fulfillment_graph(read: CachedReader, links: SalesforceLinks, record_id: str) -> dict[str, Any]:
    """An item fulfilment with its sales order (re-read), how far the order is fulfilled and when."""
    graph = dict(read("itemFulfillment", record_id))
    order_id = ref_id(graph.get("createdFrom"))
    order: dict[str, Any] = dict(read("salesOrder", order_id)) if order_id else {}
    if order:
        order["fulfilment"] = order_fulfilment(order)
        order["lastFulfilledDate"] = last_fulfilled_date(read, order_id) or graph.get("tranDate")
    graph["salesOrder"] = order
    graph["salesforce"] = {"Opportunity": links.crossreference("salesOrder", order_id)}
    return graph


ORDER_STATUS_FULFILMENT = {"A": "none", "B": "none", "D": "partial", "E": "partial", "F": "full", "G": "full"}


def order_fulfilment(order: dict[str, Any]) -> str:
    """``none``, ``partial`` or ``full``: the order's lines' quantities fulfilled against their quantities
    (closed lines count as far as they were fulfilled); the order status where lines say nothing."""
    items = (order.get("item") or {}).get("items") or []
    lines = [line for line in items if number(line.get("quantity")) > 0]
    if lines and all("quantityFulfilled" in line for line in lines):
        fulfilled = [number(line.get("quantityFulfilled")) for line in lines]
        if not any(fulfilled):
            return "none"
        open_lines = [
            (line, done) for line, done in zip(lines, fulfilled, strict=True) if not line.get("isClosed")
        ]
        complete = all(done >= number(line.get("quantity")) for line, done in open_lines)
        return "full" if complete else "partial"
    return ORDER_STATUS_FULFILMENT.get(ref_id(order.get("orderStatus")), "none")


def last_fulfilled_date(read: CachedReader, order_id: str) -> str:
    """The date of the order's latest fulfilment (a fulfilment read again later must not move it back)."""
    if not order_id.isdigit():
        return ""
    try:
        rows = read.ns.suiteql(
            f"SELECT id FROM transaction WHERE type = 'ItemShip' AND createdfrom = {int(order_id)}"  # noqa: S608
        )
        dates = [str(read("itemFulfillment", str(row["id"])).get("tranDate") or "") for row in rows]
    except ConnectorError as error:
        if error.status != 400:
            raise
        return ""  # an account that cannot say: the fulfilment's own date
    return max((date for date in dates if date), default="")


# -- subscriptions -----------------------------------------------------------------------------------


def subscription_graph(read: CachedReader, links: SalesforceLinks, record_id: str) -> dict[str, Any] | None:
    """A subscription with its lines, its contract and the contract's matching SBQQ__Subscription__c
    records; None when it is not Concord's (no quote id and no cross-reference) or its deal has no contract
    yet."""
    graph = dict(read("subscription", record_id))
    quote_id = str(graph.get("custrecord_sf_quote_id") or "")
    if not quote_id:
        quote_line = links.crossreference("subscription", record_id)
        if not quote_line:
            return None
        rows = links.query(
            f"SELECT SBQQ__Quote__c FROM SBQQ__QuoteLine__c WHERE Id = {soql_literal(quote_line)}"  # noqa: S608
        )
        quote_id = str(rows[0].get("SBQQ__Quote__c") or "") if rows else ""
    lines = subscription_lines(read, graph)
    graph["lines"] = lines
    contract = contract_of_quote(links, quote_id)
    if contract is None:
        # Not contracted in CPQ yet: read again once the contract exists (returns._contracts_waiting).
        return None
    siblings = sibling_statuses(read.ns, quote_id, owned=links.owned_condition()) or {
        record_id: ref_id(graph.get("subscriptionStatus"))
    }
    siblings[record_id] = ref_id(graph.get("subscriptionStatus"))  # the record read wins over the query
    graph["contract"] = {
        "Id": contract["Id"],
        "subscriptionIds": ",".join(sorted(siblings, key=lambda i: (len(i), i))),
        "status": liveliest(siblings.values()),
    }
    plan_sku = plan_item_sku(read, graph)
    graph["salesforceSubscriptions"] = match_subscriptions(links, contract["Id"], graph, lines, plan_sku)
    return graph


def subscription_lines(read: CachedReader, graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscription's lines: ``id`` (the subscriptionLine record), ``lineNumber``, ``item`` (id),
    ``sku`` and ``status``; from SuiteQL, or the sublist (without line ids) where the table is missing."""
    record_id = str(graph["id"])
    lines: list[dict[str, Any]] = []
    try:
        rows = read.ns.suiteql(
            "SELECT id, linenumber, item, status FROM subscriptionline "  # noqa: S608 - an internal id
            f"WHERE subscription = {int(record_id)} ORDER BY linenumber"
        )
        lines = [
            {
                "id": str(row["id"]),
                "lineNumber": str(row.get("linenumber") or ""),
                "item": str(row.get("item") or ""),
                "status": str(row.get("status") or ""),
            }
            for row in rows
        ]
    except ConnectorError as error:
        if not table_missing(error, "subscriptionline"):
            raise
    if not lines:
        for line in (graph.get("subscriptionLine") or {}).get("items") or []:
            lines.append(
                {
                    "id": str(line.get("id") or ""),
                    "lineNumber": str(line.get("lineNumber") or ""),
                    "item": ref_id(line.get("item")),
                    "status": ref_id(line.get("subscriptionLineStatus")),
                }
            )
    skus = item_skus(read.ns, [line["item"] for line in lines])
    for line in lines:
        line["sku"] = skus.get(line["item"], "")
    return lines


def item_skus(ns: NetSuiteConnector, ids: Iterable[str]) -> dict[str, str]:
    """The SKU (``itemid``) of each item id."""
    numeric = sorted({int(i) for i in ids if str(i).isdigit()})
    if not numeric:
        return {}
    listed = ", ".join(str(i) for i in numeric)
    rows = ns.suiteql(f"SELECT id, itemid FROM item WHERE id IN ({listed})")  # noqa: S608 - integers
    return {str(row["id"]): str(row.get("itemid") or "") for row in rows}


def plan_item_sku(read: CachedReader, graph: dict[str, Any]) -> str:
    plan_id = ref_id(graph.get("subscriptionPlan"))
    if not plan_id:
        return ""
    return str(read("subscriptionPlan", plan_id, expand=False).get("itemId") or "")


def contract_of_quote(links: SalesforceLinks, quote_id: str) -> dict[str, Any] | None:
    """The CPQ contract of the quote's opportunity (the one naming this quote when there are several)."""
    if not quote_id:
        return None
    quotes = links.query(
        f"SELECT Id, SBQQ__Opportunity2__c FROM SBQQ__Quote__c WHERE Id = {soql_literal(quote_id)}"  # noqa: S608
    )
    opportunity = str(quotes[0].get("SBQQ__Opportunity2__c") or "") if quotes else ""
    if not opportunity:
        return None
    contracts = links.query(
        "SELECT Id, SBQQ__Quote__c FROM Contract "  # noqa: S608
        f"WHERE SBQQ__Opportunity__c = {soql_literal(opportunity)} ORDER BY Id"
    )
    if not contracts:
        return None
    return next((c for c in contracts if c.get("SBQQ__Quote__c") == quote_id), contracts[0])


def sibling_statuses(ns: NetSuiteConnector, quote_id: str, *, owned: str = "") -> dict[str, str]:
    """Every NetSuite subscription made from the quote, with its status code; ``owned``: a SuiteQL
    condition keeping the integration's own (another org's quote may have the same id)."""
    escaped = quote_id.replace("'", "''")
    also = f" AND {owned}" if owned else ""
    rows = ns.suiteql(
        f"SELECT id, status FROM subscription WHERE custrecord_sf_quote_id = '{escaped}'{also}"  # noqa: S608
    )
    return {str(row["id"]): str(row.get("status") or "") for row in rows}


def liveliest(statuses: Iterable[str]) -> str:
    """The first of :data:`STATUS_ORDER` among ``statuses`` (a contract is active while any is)."""
    present = [status for status in statuses if status]
    ranked = sorted(present, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER))
    return ranked[0] if ranked else ""


def match_subscriptions(
    links: SalesforceLinks,
    contract_id: str,
    graph: dict[str, Any],
    lines: list[dict[str, Any]],
    plan_sku: str,
) -> list[dict[str, Any]]:
    """One entry per SBQQ__Subscription__c of the contract this NetSuite subscription speaks for: the
    package's own (by the plan's SKU) takes the subscription's status, each member (by its line's SKU)
    its line's status and id. Members are taken among those the package requires where it has any."""
    rows = links.query(
        "SELECT Id, SBQQ__ProductCode__c, SBQQ__RequiredById__c FROM SBQQ__Subscription__c "  # noqa: S608
        f"WHERE SBQQ__Contract__c = {soql_literal(contract_id)} ORDER BY Id"
    )
    status = ref_id(graph.get("subscriptionStatus"))
    parents = [row for row in rows if plan_sku and row.get("SBQQ__ProductCode__c") == plan_sku]
    parent_ids = {str(row["Id"]) for row in parents}
    parent_ids |= {pid[:15] for pid in parent_ids}
    matched = [{"Id": str(row["Id"]), "status": status, "lineId": ""} for row in parents]
    for line in lines:
        if not line["sku"]:
            continue
        same_code = [row for row in rows if row.get("SBQQ__ProductCode__c") == line["sku"]]
        members = [row for row in same_code if str(row.get("SBQQ__RequiredById__c") or "") in parent_ids]
        for row in members or same_code:
            if row in parents:
                continue
            matched.append({"Id": str(row["Id"]), "status": line["status"], "lineId": line["id"]})
    return matched
