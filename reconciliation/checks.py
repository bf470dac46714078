"""The reconciliation checks, one small declarative definition each.

A check says how to read each side and turn every record into ``(key, values)``, with ``values`` aligned
to its :class:`FieldSpec` list, canonicalized so that equal business facts compare equal: NetSuite's
currency and subsidiary ids become the ISO code and the subsidiary name (read from the account's own
tables), and a Salesforce account's billing country becomes the subsidiary the mapping would choose.
Keys are the cross-references the pipeline writes: the Salesforce id as NetSuite ``externalId`` (or the
``custentity``/``custbody`` id field), and the NetSuite invoice id on ``Invoice__c``.

Tolerances here are defaults; :class:`reconciliation.models.Tolerance` rows override them per field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciliation import subscriptions
from reconciliation.engine import FieldSpec
from reconciliation.engine.sorting import Pair
from reconciliation.reading import Sources, grouped, number, suiteql_keyset

AMOUNT_TOLERANCE = 0.01
NETSUITE_NAME_LIMIT = 83  # NetSuite's companyName holds 83 characters


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    read_salesforce: Callable[[Sources], Iterator[Pair]]
    read_netsuite: Callable[[Sources], Iterator[Pair]]
    # Where the records of some keys live, for their mismatches' exceptions: key -> (NetSuite subsidiary
    # id, Salesforce billing country), read for a batch of mismatched keys only. None: a check whose keys
    # span subsidiaries (period totals).
    places: Callable[[Sources, Sequence[str]], dict[str, tuple[str, str]]] | None = None
    # Why this check has nothing to compare in these systems (an org without CPQ), "" when it applies: the
    # run is then recorded as skipped with that note rather than failing on an object the org lacks.
    skip_reason: Callable[[Sources], str] | None = None
    # What a finding is called: (code, label) by mismatch class, or by "field_differs:<field>" for one field.
    # Classes and fields not listed get :data:`FINDINGS` and "<Field> differs".
    findings: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def finding(self, kind: str, field_name: str = "") -> tuple[str, str]:
        """The finding's code and label for people, e.g. ``("quantity_differs", "Quantity differs")``."""
        if kind == "field_differs" and field_name:
            named = self.findings.get(f"{kind}:{field_name}")
            if named:
                return named
            return f"{field_name}_differs", field_name.replace("_", " ").capitalize() + " differs"
        return self.findings.get(kind) or FINDINGS.get(kind, (kind, kind.replace("_", " ").capitalize()))


FINDINGS = {
    "missing_in_netsuite": ("missing_in_netsuite", "Missing in NetSuite"),
    "missing_in_salesforce": ("missing_in_salesforce", "Missing in Salesforce"),
    "field_differs": ("field_differs", "A field differs"),
    "duplicate": ("duplicate", "Claimed twice"),
}


def _money(name: str) -> FieldSpec:
    return FieldSpec(name, "number", AMOUNT_TOLERANCE)


def _cross_reference(row: dict[str, Any], field: str) -> str:
    return str(row.get(field) or row.get("externalid") or "")


def _quoted(keys: Sequence[str]) -> str:
    """Keys as a list of quoted literals (quotes doubled: neither SOQL nor SuiteQL has bind parameters)."""
    return ", ".join("'" + key.replace("'", "''") + "'" for key in keys)


def _places(
    netsuite_rows: Iterator[dict[str, Any]], field: str, countries: Iterator[tuple[str, Any]]
) -> dict[str, tuple[str, str]]:
    found = {_cross_reference(row, field): str(row.get("subsidiary") or "") for row in netsuite_rows}
    places = {key: (subsidiary, "") for key, subsidiary in found.items()}
    for key, country in countries:
        places[key] = (places.get(key, ("", ""))[0], str(country or ""))
    return places


# -- accounts <-> customers ------------------------------------------------------------------------


def _accounts(sources: Sources) -> Iterator[Pair]:
    # Only accounts with a won opportunity become customers; the others are not expected in NetSuite.
    soql = (
        f"SELECT Id, Name, {sources.currency_soql()}BillingCountry FROM Account "  # noqa: S608 - our columns
        "WHERE Id IN (SELECT AccountId FROM Opportunity WHERE IsWon = true)"
    )
    for record in sources.salesforce.query(soql):
        # The mapping trims the name and cuts it to NetSuite's 83 characters.
        name = str(record.get("Name") or "").strip()[:NETSUITE_NAME_LIMIT]
        subsidiary = sources.expected_subsidiary(record.get("BillingCountry"))
        yield record["Id"], (name, sources.record_currency(record), subsidiary)


def _customers(sources: Sources) -> Iterator[Pair]:
    rows = suiteql_keyset(
        sources.netsuite,
        select="SELECT id, externalid, custentity_sf_account_id, companyname, currency, "  # noqa: S608
        f"{sources.subsidiary_column()} FROM customer",
        key="id",
        where="externalid IS NOT NULL OR custentity_sf_account_id IS NOT NULL",
    )
    for row in rows:
        yield (
            _cross_reference(row, "custentity_sf_account_id"),
            (
                row.get("companyname"),
                sources.currency_code(row.get("currency")),
                sources.subsidiary_name(row.get("subsidiary")),
            ),
        )


def _account_places(sources: Sources, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The customer's subsidiary, and the account's billing country (for one NetSuite does not hold)."""
    quoted = _quoted(keys)
    return _places(
        sources.netsuite.suiteql(
            f"SELECT externalid, custentity_sf_account_id, {sources.subsidiary_column()} FROM customer "  # noqa: S608
            f"WHERE externalid IN ({quoted}) OR custentity_sf_account_id IN ({quoted})"
        ),
        "custentity_sf_account_id",
        (
            (row["Id"], row.get("BillingCountry"))
            for row in sources.salesforce.query(
                f"SELECT Id, BillingCountry FROM Account WHERE Id IN ({quoted})"  # noqa: S608
            )
        ),
    )


ACCOUNTS = Check(
    name="accounts",
    title="Accounts ↔ customers",
    description="Every account with a won opportunity has one NetSuite customer with its name, currency "
    "and the subsidiary its billing country maps to.",
    fields=(FieldSpec("name"), FieldSpec("currency"), FieldSpec("subsidiary")),
    read_salesforce=_accounts,
    read_netsuite=_customers,
    places=_account_places,
)


# -- won opportunities <-> sales orders --------------------------------------------------------------

QUOTE_LINES = (
    "SELECT Id, SBQQ__Quote__r.SBQQ__Opportunity2__c, SBQQ__NetTotal__c, SBQQ__RequiredBy__c "
    "FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__r.SBQQ__Primary__c = true "
    "AND SBQQ__Quote__r.SBQQ__Opportunity2__r.IsWon = true "
    "ORDER BY SBQQ__Quote__r.SBQQ__Opportunity2__c, Id"
)


def _line_opportunity(line: dict[str, Any]) -> str:
    return str((line.get("SBQQ__Quote__r") or {}).get("SBQQ__Opportunity2__c") or "")


def _lines_sent(lines: list[dict[str, Any]]) -> tuple[int, float]:
    """Line count and total as the mapping sends them: a bundle parent with a zero total is left out."""
    parents = {line.get("SBQQ__RequiredBy__c") for line in lines}
    sent = [line for line in lines if not (not line.get("SBQQ__NetTotal__c") and line["Id"] in parents)]
    return len(sent), round(sum(float(line.get("SBQQ__NetTotal__c") or 0) for line in sent), 6)


def _won_opportunities(sources: Sources) -> Iterator[Pair]:
    # Two streams in the same server order (opportunity id): opportunities, and their primary quotes'
    # lines. Each opportunity takes the next group of lines when that group is its own, so no lookup
    # table is built. The line stream only holds won opportunities, so it can never run ahead.
    opportunities = sources.salesforce.query(
        f"SELECT Id, {sources.currency_soql()}Amount FROM Opportunity WHERE IsWon = true ORDER BY Id"  # noqa: S608
    )
    groups = grouped(sources.salesforce.query(QUOTE_LINES), _line_opportunity)
    pending = next(groups, None)
    for record in opportunities:
        lines: list[dict[str, Any]] = []
        if pending is not None and pending[0] == record["Id"]:
            lines = pending[1]
            pending = next(groups, None)
        count, total = _lines_sent(lines)
        yield record["Id"], (number(record.get("Amount")), sources.record_currency(record), count, total)
    if pending is not None:
        raise RuntimeError(
            f"Salesforce returned quote lines of opportunity {pending[0]} out of order; cannot pair them"
        )


def _sales_orders(sources: Sources) -> Iterator[Pair]:
    rows = suiteql_keyset(
        sources.netsuite,
        select="SELECT t.id, t.externalid, t.custbody_sf_opportunity_id, t.foreigntotal, t.currency, "
        "COUNT(tl.id) AS linecount, SUM(tl.netamount) AS linetotal FROM transaction t "
        "LEFT OUTER JOIN transactionline tl ON tl.transaction = t.id AND tl.mainline = 'F'",
        key="t.id",
        where="t.type = 'SalesOrd' "
        "AND (t.externalid IS NOT NULL OR t.custbody_sf_opportunity_id IS NOT NULL)",
        group_by="t.id, t.externalid, t.custbody_sf_opportunity_id, t.foreigntotal, t.currency",
    )
    for row in rows:
        total = number(row.get("linetotal"))
        yield (
            _cross_reference(row, "custbody_sf_opportunity_id"),
            (
                number(row.get("foreigntotal")),
                sources.currency_code(row.get("currency")),
                int(row.get("linecount") or 0),
                # NetSuite books sales lines as credits (negative) in the ledger; compare magnitudes.
                abs(total) if total is not None else 0.0,
            ),
        )


def _opportunity_places(sources: Sources, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The sales order's subsidiary, and the account's billing country (for an order never written)."""
    quoted = _quoted(keys)
    return _places(
        sources.netsuite.suiteql(
            f"SELECT externalid, custbody_sf_opportunity_id, {sources.subsidiary_column()} FROM transaction "  # noqa: S608
            f"WHERE type = 'SalesOrd' AND (externalid IN ({quoted}) "
            f"OR custbody_sf_opportunity_id IN ({quoted}))"
        ),
        "custbody_sf_opportunity_id",
        (
            (row["Id"], (row.get("Account") or {}).get("BillingCountry"))
            for row in sources.salesforce.query(
                f"SELECT Id, Account.BillingCountry FROM Opportunity WHERE Id IN ({quoted})"  # noqa: S608
            )
        ),
    )


OPPORTUNITIES = Check(
    name="opportunities",
    title="Won opportunities ↔ sales orders",
    description="Every Closed Won opportunity has one sales order with its amount and currency, and the "
    "lines of its primary quote the mapping sends (count and total).",
    fields=(
        _money("amount"),
        FieldSpec("currency"),
        FieldSpec("line_count", "integer"),
        _money("line_total"),
    ),
    read_salesforce=_won_opportunities,
    read_netsuite=_sales_orders,
    places=_opportunity_places,
)


# -- NetSuite invoices and payments <-> Invoice__c ---------------------------------------------------

INVOICE_STATUS = {"A": "Open", "B": "Paid", "V": "Voided"}


def _invoice_records(sources: Sources) -> Iterator[Pair]:
    soql = (
        "SELECT NetSuite_Invoice_Id__c, Amount__c, Amount_Paid__c, Amount_Remaining__c, Status__c "
        "FROM Invoice__c WHERE NetSuite_Invoice_Id__c != null"
    )
    for record in sources.salesforce.query(soql):
        yield (
            str(record["NetSuite_Invoice_Id__c"]),
            (
                number(record.get("Amount__c")),
                number(record.get("Amount_Paid__c")) or 0.0,
                number(record.get("Amount_Remaining__c")),
                record.get("Status__c"),
            ),
        )


def _invoices(sources: Sources) -> Iterator[Pair]:
    rows = suiteql_keyset(
        sources.netsuite,
        select="SELECT id, foreigntotal, foreignamountremaining, status FROM transaction",
        key="id",
        # Invoices of integrated orders carry the opportunity id NetSuite copies from the order.
        where="type = 'CustInvc' AND custbody_sf_opportunity_id IS NOT NULL",
    )
    for row in rows:
        total = number(row.get("foreigntotal")) or 0.0
        remaining = number(row.get("foreignamountremaining")) or 0.0
        paid = round(total - remaining, 6)  # what payments applied, from columns every account has
        status = INVOICE_STATUS.get(str(row.get("status") or ""), row.get("status"))
        if status == "Open" and paid > 0:
            status = "Partially Paid"  # as the invoice and payment mappings write it
        yield str(row["id"]), (total, paid, remaining, status)


def _invoice_places(sources: Sources, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The NetSuite invoice's subsidiary (the key is its internal id)."""
    ids = ", ".join(key for key in keys if key.isdigit())
    if not ids:
        return {}
    column = sources.subsidiary_column()
    rows = sources.netsuite.suiteql(f"SELECT id, {column} FROM transaction WHERE id IN ({ids})")  # noqa: S608
    return {str(row["id"]): (str(row.get("subsidiary") or ""), "") for row in rows}


INVOICES = Check(
    name="invoices",
    title="Invoices and payments ↔ Invoice__c",
    description="Every NetSuite invoice of an integrated order has its Invoice__c in Salesforce with the "
    "same amount, amount paid (payments applied), amount remaining and status.",
    fields=(_money("amount"), _money("amount_paid"), _money("amount_remaining"), FieldSpec("status")),
    read_salesforce=_invoice_records,
    read_netsuite=_invoices,
    places=_invoice_places,
)


# -- totals per period -------------------------------------------------------------------------------


def _period_key(period: str, currency: Any) -> str:
    return f"{period} {currency}"


def _booked(sources: Sources) -> Iterator[Pair]:
    # One total per month and currency: the dictionary grows with the periods, not with the records.
    totals: dict[str, float] = {}
    soql = f"SELECT {sources.currency_soql()}Amount, CloseDate FROM Opportunity WHERE IsWon = true"  # noqa: S608
    for record in sources.salesforce.query(soql):
        key = _period_key(str(record.get("CloseDate") or "")[:7], sources.record_currency(record))
        totals[key] = totals.get(key, 0.0) + (number(record.get("Amount")) or 0.0)
    for key, booked in totals.items():
        yield key, (round(booked, 6), round(booked, 6))


def _ordered_and_invoiced(sources: Sources) -> Iterator[Pair]:
    query = (
        "SELECT TO_CHAR(trandate, 'YYYY-MM') AS period, currency, type, SUM(foreigntotal) AS total "
        "FROM transaction WHERE type IN ('SalesOrd', 'CustInvc') "
        "AND (externalid IS NOT NULL OR custbody_sf_opportunity_id IS NOT NULL) "
        "GROUP BY TO_CHAR(trandate, 'YYYY-MM'), currency, type"
    )
    totals: dict[str, list[float]] = {}
    for row in sources.netsuite.suiteql(query):
        key = _period_key(str(row.get("period") or ""), sources.currency_code(row.get("currency")))
        slot = totals.setdefault(key, [0.0, 0.0])
        slot[0 if row.get("type") == "SalesOrd" else 1] += number(row.get("total")) or 0.0
    for key, (ordered, invoiced) in totals.items():
        yield key, (round(ordered, 6), round(invoiced, 6))


PERIOD_TOTALS = Check(
    name="period_totals",
    title="Totals per period",
    description="Per month (close date, transaction date) and currency: amounts booked in Salesforce "
    "(won opportunities) against amounts ordered and invoiced in NetSuite.",
    fields=(_money("ordered"), _money("invoiced")),
    read_salesforce=_booked,
    read_netsuite=_ordered_and_invoiced,
)


# -- CPQ contract subscriptions <-> NetSuite subscriptions and lines -----------------------------------

CPQ_SUBSCRIPTIONS = (
    "SELECT Id, SBQQ__Contract__c, SBQQ__Contract__r.Status, SBQQ__ProductCode__c, SBQQ__Quantity__c, "
    "SBQQ__EndDate__c, SBQQ__TerminatedDate__c, SBQQ__QuoteLine__c, SBQQ__OriginalQuoteLine__c, "
    "SBQQ__RequiredById__c, SBQQ__RevisedSubscription__c FROM SBQQ__Subscription__c "
    "WHERE SBQQ__Contract__c != null ORDER BY SBQQ__Contract__c, Id"
)
# Subscriptions read per query of their lines (an IN list): bounds both the list and the lines held.
SUBSCRIPTION_BATCH = 500


# Won deals CPQ has not contracted yet (amendments change a contract, so they wait for theirs).
UNCONTRACTED_QUOTE_LINES = (
    "SELECT Id, SBQQ__Quote__r.SBQQ__Opportunity2__c, SBQQ__Quote__r.SBQQ__EndDate__c, SBQQ__ProductCode__c, "
    "SBQQ__Quantity__c, SBQQ__RequiredBy__c FROM SBQQ__QuoteLine__c "
    "WHERE SBQQ__Quote__r.SBQQ__Primary__c = true AND SBQQ__Quote__r.SBQQ__Opportunity2__r.IsWon = true "
    "AND SBQQ__Quote__r.SBQQ__Opportunity2__r.SBQQ__Contracted__c = false "
    "AND SBQQ__Quote__r.SBQQ__Opportunity2__r.SBQQ__AmendedContract__c = null "
    "ORDER BY SBQQ__Quote__r.SBQQ__Opportunity2__c, Id"
)


def _cpq_subscriptions(sources: Sources) -> Iterator[Pair]:
    # One contract's records at a time (revisions and packages never cross contracts): the server order
    # groups them, so memory holds one contract. Then won deals not contracted yet, one quote at a time.
    records = sources.salesforce.query(CPQ_SUBSCRIPTIONS)
    for _contract, group in grouped(records, lambda row: str(row.get("SBQQ__Contract__c") or "")):
        yield from subscriptions.cpq_contract_pairs(group)
    lines = sources.salesforce.query(UNCONTRACTED_QUOTE_LINES)
    for _opportunity, group in grouped(lines, _line_opportunity):
        yield from subscriptions.quote_pairs(group)


def _netsuite_subscriptions(sources: Sources) -> Iterator[Pair]:
    headers = suiteql_keyset(
        sources.netsuite,
        select="SELECT s.id, s.externalid, s.status, TO_CHAR(s.enddate, 'YYYY-MM-DD') AS enddate, "
        "p.itemid AS planitem FROM subscription s "
        "LEFT OUTER JOIN subscriptionplan p ON p.id = s.subscriptionplan",
        key="s.id",
        where=f"s.externalid LIKE '{subscriptions.KEY_PREFIX}%'",
    )
    batch: list[dict[str, Any]] = []
    for header in headers:
        batch.append(header)
        if len(batch) >= SUBSCRIPTION_BATCH:
            yield from _subscription_batch(sources, batch)
            batch = []
    if batch:
        yield from _subscription_batch(sources, batch)


def _subscription_batch(sources: Sources, headers: list[dict[str, Any]]) -> Iterator[Pair]:
    ids = ", ".join(str(int(header["id"])) for header in headers)
    lines: dict[str, list[dict[str, Any]]] = {str(header["id"]): [] for header in headers}
    query = (
        "SELECT sl.subscription, sl.item, i.itemid, sl.quantity, sl.isincluded, sl.status, "  # noqa: S608
        "TO_CHAR(sl.enddate, 'YYYY-MM-DD') AS enddate FROM subscriptionline sl "
        f"LEFT OUTER JOIN item i ON i.id = sl.item WHERE sl.subscription IN ({ids})"
    )
    for line in sources.netsuite.suiteql(query):
        lines.setdefault(str(line.get("subscription")), []).append(line)
    for header in headers:
        yield from subscriptions.netsuite_subscription_pairs(header, lines[str(header["id"])])


def _subscription_places(sources: Sources, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The NetSuite subscription's subsidiary, and the contract account's billing country."""
    packages = sorted({subscriptions.package_of(key) for key in keys})
    # Only what can be a Salesforce id: an extra NetSuite subscription's key may hold anything, and
    # Salesforce refuses a query naming an invalid id.
    quote_lines = [
        line
        for line in (package.removeprefix(subscriptions.KEY_PREFIX) for package in packages)
        if len(line) in (15, 18) and line.isalnum()
    ]
    subsidiaries = {
        str(row.get("externalid")): str(row.get("subsidiary") or "")
        for row in sources.netsuite.suiteql(
            f"SELECT externalid, {sources.subsidiary_column()} FROM subscription "  # noqa: S608
            f"WHERE externalid IN ({_quoted(packages)})"
        )
    }
    countries: dict[str, str] = {}
    rows = (
        sources.salesforce.query(
            "SELECT SBQQ__QuoteLine__c, SBQQ__Account__r.BillingCountry FROM SBQQ__Subscription__c "  # noqa: S608
            f"WHERE SBQQ__QuoteLine__c IN ({_quoted(quote_lines)})"
        )
        if quote_lines
        else iter(())
    )
    for row in rows:
        account = row.get("SBQQ__Account__r") or {}
        countries[subscriptions.KEY_PREFIX + str(row.get("SBQQ__QuoteLine__c"))] = str(
            account.get("BillingCountry") or ""
        )
    return {
        key: (
            subsidiaries.get(subscriptions.package_of(key), ""),
            countries.get(subscriptions.package_of(key), ""),
        )
        for key in keys
    }


def _subscriptions_skip(sources: Sources) -> str:
    if sources.salesforce_objects is not None and "sbqq__subscription__c" not in sources.salesforce_objects:
        return (
            "Skipped: the Salesforce org has no SBQQ__Subscription__c object (Salesforce CPQ is not "
            "installed), so there are no CPQ contract subscriptions to reconcile. Refresh the connection's "
            "metadata after installing CPQ."
        )
    if sources.netsuite_record_types is not None and "subscription" not in sources.netsuite_record_types:
        return (
            "Skipped: the NetSuite account lists no subscription record type (SuiteBilling is not "
            "enabled, or the integration role cannot see it), so there are no subscriptions to reconcile."
        )
    return ""


# Pairing key: SUB-<package quote line Id> (the NetSuite subscription's externalId) for a subscription,
# SUB-<package quote line Id>/<product code> for one product of it; how each side derives it, and the
# values compared, are in reconciliation/subscriptions.py's docstring.
SUBSCRIPTIONS = Check(
    name="subscriptions",
    title="CPQ subscriptions ↔ NetSuite subscriptions",
    description="Every CPQ contract's package has its NetSuite subscription (SUB-<package quote line>), "
    "with the same status and end date, and per product the same current quantity (CPQ's subscription "
    "records summed over amendments; NetSuite's included lines), status and end date. A won deal not yet "
    "contracted is compared from its primary quote.",
    fields=(FieldSpec("quantity", "number"), FieldSpec("status"), FieldSpec("end_date")),
    read_salesforce=_cpq_subscriptions,
    read_netsuite=_netsuite_subscriptions,
    places=_subscription_places,
    skip_reason=_subscriptions_skip,
    findings={
        "missing_in_netsuite": ("missing_in_netsuite", "Missing in NetSuite"),
        "missing_in_salesforce": ("extra_in_netsuite", "Extra in NetSuite (no CPQ subscription)"),
        "field_differs:quantity": ("quantity_differs", "Quantity differs"),
        "field_differs:status": ("status_differs", "Status differs (active vs terminated)"),
        "field_differs:end_date": ("end_date_differs", "End date differs"),
        "duplicate": ("duplicate", "Claimed by two CPQ contracts"),
    },
)


CHECKS: dict[str, Check] = {
    check.name: check for check in (ACCOUNTS, OPPORTUNITIES, INVOICES, PERIOD_TOTALS, SUBSCRIPTIONS)
}


def finding(check_name: str, kind: str, field_name: str = "") -> tuple[str, str]:
    """A finding's code and label; a check since removed gets the generic ones."""
    return (CHECKS.get(check_name) or _GENERIC).finding(kind, field_name)


_GENERIC = Check("", "", "", (), lambda sources: iter(()), lambda sources: iter(()))


def check_get(name: str) -> Check:
    """The check called ``name``; ``KeyError`` names the known checks."""
    try:
        return CHECKS[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; known checks: {', '.join(CHECKS)}") from None
