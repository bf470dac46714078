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

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciliation import subscriptions
from reconciliation.engine import FieldSpec
from reconciliation.engine.sorting import Pair
from reconciliation.reading import Conversion, Sources, grouped, number, suiteql_keyset

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


def _cross_reference(row: dict[str, Any], field: str, sources: Sources | None = None) -> str:
    """The Salesforce id a NetSuite row names: its cross-reference field, else its external id, without
    the integration's namespace."""
    value = str(row.get(field) or row.get("externalid") or "")
    return sources.key_of(value) if sources is not None else value


def _external_ids(sources: Sources, keys: Sequence[str]) -> str:
    """``keys`` as the integration's external ids, quoted for an IN list."""
    return _quoted([sources.external_id(key) for key in keys])


def _quoted(keys: Sequence[str]) -> str:
    """Keys as a list of quoted literals (quotes doubled: neither SOQL nor SuiteQL has bind parameters)."""
    return ", ".join("'" + key.replace("'", "''") + "'" for key in keys)


def _places(
    sources: Sources,
    netsuite_rows: Iterator[dict[str, Any]],
    field: str,
    countries: Iterator[tuple[str, Any]],
) -> dict[str, tuple[str, str]]:
    found = {_cross_reference(row, field, sources): str(row.get("subsidiary") or "") for row in netsuite_rows}
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
    shared = set(sources.shared_customers.values())
    for record in sources.salesforce.query(soql):
        # The mapping trims the name and cuts it to NetSuite's 83 characters.
        name = str(record.get("Name") or "").strip()[:NETSUITE_NAME_LIMIT]
        if record["Id"] in shared:  # see _customers: a shared customer's name is compared, no more
            yield record["Id"], (name, None, None)
            continue
        subsidiary = sources.expected_subsidiary(record.get("BillingCountry"))
        yield record["Id"], (name, sources.record_currency(record), subsidiary)


def _customers(sources: Sources) -> Iterator[Pair]:
    owned = sources.owned("externalid", also="custentity_sf_account_id")
    # Customers the integration shares with another (they carry the other's external id): by internal id.
    shared = ", ".join(str(int(netsuite_id)) for netsuite_id in sorted(sources.shared_customers, key=int))
    rows = suiteql_keyset(
        sources.netsuite,
        select="SELECT id, externalid, custentity_sf_account_id, companyname, currency, "  # noqa: S608
        f"{sources.subsidiary_column()} FROM customer",
        key="id",
        where=f"({owned}) OR id IN ({shared})" if shared else owned,
    )
    for row in rows:
        shared_key = sources.shared_customers.get(str(row.get("id")))
        if shared_key:
            # A customer two integrations share: its primary currency and subsidiary are those the
            # integration that created it gave it (this one's deals add their currencies to its list and
            # are compared on their orders), so only its name is compared here.
            yield shared_key, (row.get("companyname"), None, None)
            continue
        yield (
            shared_key or _cross_reference(row, "custentity_sf_account_id", sources),
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
        sources,
        sources.netsuite.suiteql(
            f"SELECT externalid, custentity_sf_account_id, {sources.subsidiary_column()} FROM customer "  # noqa: S608
            f"WHERE (externalid IN ({_external_ids(sources, keys)}) "
            f"OR custentity_sf_account_id IN ({quoted})) "
            f"AND ({sources.owned('externalid', also='custentity_sf_account_id')})"
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
    owned = sources.owned("t.externalid", also="t.custbody_sf_opportunity_id")
    rows = suiteql_keyset(
        sources.netsuite,
        select="SELECT t.id, t.externalid, t.custbody_sf_opportunity_id, t.foreigntotal, t.currency, "
        "COUNT(tl.id) AS linecount, SUM(tl.netamount) AS linetotal FROM transaction t "
        "LEFT OUTER JOIN transactionline tl ON tl.transaction = t.id AND tl.mainline = 'F'",
        key="t.id",
        where=f"t.type = 'SalesOrd' AND ({owned})",
        group_by="t.id, t.externalid, t.custbody_sf_opportunity_id, t.foreigntotal, t.currency",
    )
    for row in rows:
        total = number(row.get("linetotal"))
        yield (
            _cross_reference(row, "custbody_sf_opportunity_id", sources),
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
        sources,
        sources.netsuite.suiteql(
            f"SELECT externalid, custbody_sf_opportunity_id, {sources.subsidiary_column()} FROM transaction "  # noqa: S608
            f"WHERE type = 'SalesOrd' AND (externalid IN ({_external_ids(sources, keys)}) "
            f"OR custbody_sf_opportunity_id IN ({quoted})) "
            f"AND ({sources.owned('externalid', also='custbody_sf_opportunity_id')})"
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


def _invoices_owned(sources: Sources) -> str:
    """Invoices of the integration's orders: by the order they were created from (NetSuite copies the
    opportunity id onto the invoice; an invoice carries no external id of Concord's)."""
    orders = sources.owned("s.externalid", also="s.custbody_sf_opportunity_id")
    created_from = f"createdfrom IN (SELECT s.id FROM transaction s WHERE s.type = 'SalesOrd' AND ({orders}))"  # noqa: S608
    # The primary integration also owns invoices made in NetSuite by hand (from no order).
    owned = f"({created_from} OR createdfrom IS NULL)" if not sources.namespace else created_from
    return f"type = 'CustInvc' AND custbody_sf_opportunity_id IS NOT NULL AND {owned}"


def _transactions_owned(sources: Sources) -> str:
    """Sales orders (by external id) and invoices (by their order) of the integration."""
    orders = sources.owned("externalid", also="custbody_sf_opportunity_id")
    return f"(type = 'SalesOrd' AND ({orders})) OR ({_invoices_owned(sources)})"


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
        # Invoices of the integration's orders (they carry the opportunity id NetSuite copies from the order).
        where=_invoices_owned(sources),
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


def _total_key(period: str, base: str) -> str:
    """The key of a period's total over every currency, converted to ``base``."""
    return f"{period} all in {base}"


@dataclass
class PeriodAmounts:
    """Both sides' amounts per (period, currency), read once per run for both readers: which periods
    span currencies (and so get a converted total) depends on what either side holds."""

    booked: dict[tuple[str, str], float] = field(default_factory=dict)
    # NetSuite: [ordered, invoiced, invoices' amount remaining]
    netsuite: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def spanning(self) -> dict[str, list[str]]:
        """Periods whose amounts (on either side) are in more than one currency, with those currencies."""
        currencies: dict[str, set[str]] = {}
        for period, currency in (*self.booked, *self.netsuite):
            currencies.setdefault(period, set()).add(currency)
        return {period: sorted(found) for period, found in currencies.items() if len(found) > 1}


def _period_amounts(sources: Sources) -> PeriodAmounts:
    cached = sources.cache.get("period_amounts")
    if isinstance(cached, PeriodAmounts):
        return cached
    amounts = PeriodAmounts()
    soql = f"SELECT {sources.currency_soql()}Amount, CloseDate FROM Opportunity WHERE IsWon = true"  # noqa: S608
    for record in sources.salesforce.query(soql):
        slot = (str(record.get("CloseDate") or "")[:7], str(sources.record_currency(record)))
        amounts.booked[slot] = amounts.booked.get(slot, 0.0) + (number(record.get("Amount")) or 0.0)
    query = (
        "SELECT TO_CHAR(trandate, 'YYYY-MM') AS period, currency, type, SUM(foreigntotal) AS total, "  # noqa: S608
        "SUM(foreignamountremaining) AS remaining FROM transaction "
        f"WHERE type IN ('SalesOrd', 'CustInvc') AND ({_transactions_owned(sources)}) "
        "GROUP BY TO_CHAR(trandate, 'YYYY-MM'), currency, type"
    )
    for row in sources.netsuite.suiteql(query):
        slot = (str(row.get("period") or ""), str(sources.currency_code(row.get("currency"))))
        sums = amounts.netsuite.setdefault(slot, [0.0, 0.0, 0.0])
        if row.get("type") == "SalesOrd":
            sums[0] += number(row.get("total")) or 0.0
        else:
            sums[1] += number(row.get("total")) or 0.0
            sums[2] += number(row.get("remaining")) or 0.0
    _money_per_currency(sources, amounts)
    sources.cache["period_amounts"] = amounts
    return amounts


def _money_per_currency(sources: Sources, amounts: PeriodAmounts) -> None:
    """Every period summed per currency, for the dashboard: booked, ordered, invoiced and paid."""
    for (_period, currency), booked in amounts.booked.items():
        row = sources.totals.setdefault(currency, dict.fromkeys(MONEY_FIGURES, 0.0))
        row["booked"] = round(row["booked"] + booked, 6)
    for (_period, currency), (ordered, invoiced, remaining) in amounts.netsuite.items():
        row = sources.totals.setdefault(currency, dict.fromkeys(MONEY_FIGURES, 0.0))
        row["ordered"] = round(row["ordered"] + ordered, 6)
        row["invoiced"] = round(row["invoiced"] + invoiced, 6)
        row["paid"] = round(row["paid"] + invoiced - remaining, 6)


MONEY_FIGURES = ("booked", "ordered", "invoiced", "paid")


def _period_end(period: str) -> dt.date:
    year, month = (int(part) for part in period.split("-"))
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


@dataclass(frozen=True)
class _Converted:
    """A period's conversions into the base currency; ``missing``: currencies NetSuite has no rate for."""

    conversions: dict[str, Conversion]
    missing: list[str]

    def total(self, amounts: dict[str, float]) -> float:
        known = self.conversions
        return round(sum(amount * known[c].rate for c, amount in amounts.items() if c in known), 6)


def _conversions(sources: Sources) -> dict[str, _Converted]:
    """Per period spanning currencies: NetSuite's rate of each of its currencies into the base currency on
    the period's last day; noted in the run's mismatch details under the period's total key."""
    cached = sources.cache.get("period_conversions")
    if isinstance(cached, dict):
        return cached
    base = sources.base_currency
    found: dict[str, _Converted] = {}
    for period, currencies in (_period_amounts(sources).spanning() if base else {}).items():
        try:
            on = _period_end(period)
        except ValueError:  # a record without a date: its period cannot be converted
            continue
        conversions = {c: rate for c in currencies if (rate := sources.rate_on(c, str(base), on))}
        missing = [c for c in currencies if c not in conversions]
        found[period] = _Converted(conversions, missing)
        sources.details[_total_key(period, str(base))] = {
            "converted_to": base,
            "rates_on": on.isoformat(),
            "rates": [conversion.as_dict() for conversion in conversions.values() if conversion.effective],
            **(
                {
                    "missing_rates": [f"{c} to {base} on or before {on.isoformat()}" for c in missing],
                    "note": "NetSuite has no exchange rate for these currencies: its total is not known.",
                }
                if missing
                else {}
            ),
        }
    sources.cache["period_conversions"] = found
    return found


def _booked(sources: Sources) -> Iterator[Pair]:
    # One total per month and currency: the dictionary grows with the periods, not with the records.
    amounts = _period_amounts(sources)
    for (period, currency), booked in amounts.booked.items():
        yield _period_key(period, currency), (round(booked, 6), round(booked, 6))
    for period, converted in _conversions(sources).items():
        per_currency = {c: v for (p, c), v in amounts.booked.items() if p == period}
        total = converted.total(per_currency)
        yield _total_key(period, str(sources.base_currency)), (total, total)


def _ordered_and_invoiced(sources: Sources) -> Iterator[Pair]:
    amounts = _period_amounts(sources)
    for (period, currency), (ordered, invoiced, _remaining) in amounts.netsuite.items():
        yield _period_key(period, currency), (round(ordered, 6), round(invoiced, 6))
    for period, converted in _conversions(sources).items():
        key = _total_key(period, str(sources.base_currency))
        if converted.missing:  # NetSuite cannot say what its total is worth without the rate
            yield key, (None, None)
            continue
        ordered = converted.total({c: v[0] for (p, c), v in amounts.netsuite.items() if p == period})
        invoiced = converted.total({c: v[1] for (p, c), v in amounts.netsuite.items() if p == period})
        yield key, (ordered, invoiced)


PERIOD_TOTALS = Check(
    name="period_totals",
    title="Totals per period",
    description="Per month (close date, transaction date) and currency: amounts booked in Salesforce "
    "(won opportunities) against amounts ordered and invoiced in NetSuite; a month spanning currencies "
    "also as one total, each currency converted at NetSuite's own exchange rate on the month's last day.",
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
        # The integration's own: its namespace before SUB- (namespaces are [A-Z0-9], safe in the literal).
        where=f"s.externalid LIKE '{sources.external_id(subscriptions.KEY_PREFIX)}%'",
    )
    batch: list[dict[str, Any]] = []
    for header in headers:
        batch.append({**header, "externalid": sources.key_of(header.get("externalid"))})
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
        sources.key_of(row.get("externalid")): str(row.get("subsidiary") or "")
        for row in sources.netsuite.suiteql(
            f"SELECT externalid, {sources.subsidiary_column()} FROM subscription "  # noqa: S608
            f"WHERE externalid IN ({_external_ids(sources, packages)})"
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
