"""CPQ's contract life cycle: contracting a won deal, amending and renewing a contract.

- **Contracting** (:func:`on_saved`): when a won opportunity with a primary quote gets
  ``SBQQ__Contracted__c`` = true (in either order), CPQ makes the contract at once here (CPQ does it in a
  background job). A new deal gets an Activated ``Contract`` (start and term from the quote) and one
  ``SBQQ__Subscription__c`` per subscription line (a line with a subscription term, or an amended or
  renewed subscription, or a product whose ``Product_Type__c`` is ``subscription``); members of a bundle
  name their parent's subscription in ``SBQQ__RequiredById__c``. An amendment adds to the SAME contract:
  a line that changes an existing subscription makes a revision (quantity = its effective quantity,
  ``SBQQ__RevisedSubscription__c`` = the original), a new line makes a new subscription co-termed with
  the contract; a chain whose quantities sum to 0 gets ``SBQQ__TerminatedDate__c``. A renewal makes a new
  contract. Contracting twice does nothing.
- **Amending** (:func:`amend`): a new Amendment opportunity and primary quote whose lines are the
  contract's current subscriptions (one line per chain: quantity and prior quantity = the chain's sum,
  ``SBQQ__UpgradedSubscription__c`` = the chain's original subscription, bundles rebuilt).
- **Renewing** (:func:`renew`): the contract's renewal opportunity (made once, kept in
  ``SBQQ__RenewalOpportunity__c``) gets a new primary Renewal quote starting the day after the contract
  ends, for the renewal term, with lines naming ``SBQQ__RenewedSubscription__c``.

Sources and the rules in full: simulators/salesforce/README.md, "CPQ life cycle".
"""
# ruff: noqa: S608 - table and column names are fixed here, values are always bound.

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from simulators.salesforce.contract_rules import AMENDMENT, effective_quantity, term_end
from simulators.salesforce.errors import ApiError
from simulators.salesforce.schema import SObject
from simulators.salesforce.writes import RecordWriter, fetch

SUBSCRIPTION = "SBQQ__Subscription__c"
QUOTE = "SBQQ__Quote__c"
LINE = "SBQQ__QuoteLine__c"
RENEWAL = "Renewal"


def apex_error(message: str) -> ApiError:
    """An exception thrown inside CPQ's Apex: Apex REST answers 500 APEX_ERROR."""
    return ApiError(500, "APEX_ERROR", f"SBQQ.ContractService.ContractServiceException: {message}")


@dataclass
class _Deal:
    """What contracting reads: the opportunity, its primary quote and the quote's live lines."""

    opportunity: dict[str, Any]
    quote: dict[str, Any]
    lines: list[dict[str, Any]]


class _Org:
    """The writer and the transaction's connection, with the reads every step needs."""

    def __init__(self, writer: RecordWriter, connection: sqlite3.Connection) -> None:
        self.writer = writer
        self.connection = connection
        self.schema = writer.schema

    def sobject(self, name: str) -> SObject:
        return self.schema.sobjects[name]

    def row(self, name: str, record_id: str | None) -> dict[str, Any] | None:
        if not record_id:
            return None
        found = fetch(self.connection, self.sobject(name), record_id)
        return None if found is None or found["IsDeleted"] else found

    def rows(self, sql: str, parameters: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [dict(row) for row in self.connection.execute(sql, parameters).fetchall()]

    def create(self, name: str, body: dict[str, Any]) -> str:
        sobject = self.sobject(name)
        # CurrencyIsoCode only where the org's shape has it; None values are simply left out.
        fields = {key: value for key, value in body.items() if value is not None and sobject.field(key)}
        return self.writer.create(self.connection, sobject, fields)

    def update(self, name: str, record_id: str, body: dict[str, Any]) -> None:
        self.writer.update(self.connection, self.sobject(name), record_id, body)

    def lines(self, quote_id: str) -> list[dict[str, Any]]:
        lines = self.rows(
            f'SELECT * FROM "{LINE}" WHERE "SBQQ__Quote__c" = ? AND "IsDeleted" = 0 '
            'ORDER BY "SBQQ__Number__c", _rid',
            (quote_id,),
        )
        return _parents_first(lines, "Id", "SBQQ__RequiredBy__c")

    def chains(self, contract_id: str) -> list[tuple[dict[str, Any], float]]:
        """The contract's subscription chains (original, summed quantity) still held, parents first."""
        subscriptions = self.rows(
            f'SELECT * FROM "{SUBSCRIPTION}" WHERE "SBQQ__Contract__c" = ? AND "IsDeleted" = 0 ORDER BY _rid',
            (contract_id,),
        )
        totals: dict[str, float] = {}
        for subscription in subscriptions:
            root = subscription["SBQQ__RevisedSubscription__c"] or subscription["Id"]
            totals[root] = totals.get(root, 0.0) + float(subscription["SBQQ__Quantity__c"] or 0)
        roots = [s for s in subscriptions if not s["SBQQ__RevisedSubscription__c"] and totals[s["Id"]] > 0]
        ordered = _parents_first(roots, "Id", "SBQQ__RequiredById__c")
        return [(root, totals[root["Id"]]) for root in ordered]


def _parents_first(rows: list[dict[str, Any]], key: str, parent: str) -> list[dict[str, Any]]:
    """``rows`` in their order, but each after the row its ``parent`` column names (bundles)."""
    by_key = {row[key]: row for row in rows}

    def depth(row: dict[str, Any]) -> int:
        level, seen = 0, {row[key]}
        while row[parent] in by_key and row[parent] not in seen:
            row = by_key[row[parent]]
            seen.add(row[key])
            level += 1
        return level

    return sorted(rows, key=depth)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _months_between(start: str, end: str) -> int:
    """Whole months (rounded up) from ``start`` through ``end`` inclusive."""
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end) + dt.timedelta(days=1)
    months = (last.year - first.year) * 12 + last.month - first.month
    return max(1, months + (1 if last.day > first.day else 0))


# -- contracting --------------------------------------------------------------------------------


def on_saved(
    writer: RecordWriter,
    connection: sqlite3.Connection,
    sobject: SObject,
    record_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """The writer's automation hook: contract an opportunity once it is both won and Contracted."""
    if sobject.name != "Opportunity" or SUBSCRIPTION not in writer.schema.sobjects:
        return
    if not (after.get("IsWon") and after.get("SBQQ__Contracted__c")):
        return
    if before is not None and before.get("IsWon") and before.get("SBQQ__Contracted__c"):
        return
    org = _Org(writer, connection)
    quote = org.row(QUOTE, after.get("SBQQ__PrimaryQuote__c"))
    if quote is None:
        return  # CPQ contracts from the primary quote; without one there is nothing to contract
    deal = _Deal(after, quote, org.lines(quote["Id"]))
    amended = after.get("SBQQ__AmendedContract__c") or (
        quote["SBQQ__MasterContract__c"] if quote["SBQQ__Type__c"] == AMENDMENT else None
    )
    if amended:
        _contract_amendment(org, deal, amended)
    else:
        _contract_new(org, deal)


def _is_subscription(org: _Org, line: dict[str, Any]) -> bool:
    if line["SBQQ__SubscriptionTerm__c"] is not None:
        return True
    if line["SBQQ__UpgradedSubscription__c"] or line["SBQQ__RenewedSubscription__c"]:
        return True
    product = org.row("Product2", line["SBQQ__Product__c"])
    return product is not None and product.get("Product_Type__c") == "subscription"


def _contract_new(org: _Org, deal: _Deal) -> None:
    opportunity, quote = deal.opportunity, deal.quote
    already = org.connection.execute(
        'SELECT 1 FROM "Contract" WHERE "SBQQ__Opportunity__c" = ? AND "IsDeleted" = 0',
        (opportunity["Id"],),
    ).fetchone()
    if already:
        return
    start = quote["SBQQ__StartDate__c"] or _today().isoformat()
    term = quote["SBQQ__SubscriptionTerm__c"]
    if term is None:
        term = _months_between(start, quote["SBQQ__EndDate__c"]) if quote["SBQQ__EndDate__c"] else 12
    contract_id = org.create(
        "Contract",
        {
            "AccountId": opportunity["AccountId"],
            "Status": "Activated",
            "StartDate": start,
            "ContractTerm": int(term),
            "CurrencyIsoCode": opportunity.get("CurrencyIsoCode"),
            "SBQQ__Opportunity__c": opportunity["Id"],
            "SBQQ__Quote__c": quote["Id"],
        },
    )
    contract = org.row("Contract", contract_id) or {}
    made: dict[str, str] = {}
    for line in deal.lines:
        if not _is_subscription(org, line):
            continue
        made[line["Id"]] = _subscribe(
            org,
            contract,
            deal,
            line,
            {
                "SBQQ__Quantity__c": line["SBQQ__Quantity__c"],
                "SBQQ__OriginalQuoteLine__c": line["Id"],
                "SBQQ__RequiredById__c": made.get(line["SBQQ__RequiredBy__c"] or ""),
            },
        )


def _subscribe(
    org: _Org, contract: dict[str, Any], deal: _Deal, line: dict[str, Any], chain: dict[str, Any]
) -> str:
    """A subscription for ``line`` on ``contract``; ``chain`` holds quantity and chain links."""
    start = line["SBQQ__StartDate__c"] or deal.quote["SBQQ__StartDate__c"] or contract.get("StartDate")
    return org.create(
        SUBSCRIPTION,
        {
            "SBQQ__Contract__c": contract["Id"],
            "SBQQ__Account__c": contract["AccountId"],
            "SBQQ__Product__c": line["SBQQ__Product__c"],
            "SBQQ__ProductCode__c": line["SBQQ__ProductCode__c"],
            "SBQQ__NetPrice__c": line["SBQQ__NetPrice__c"],
            "SBQQ__StartDate__c": start,
            "SBQQ__EndDate__c": line["SBQQ__EndDate__c"] or contract.get("EndDate"),
            "SBQQ__QuoteLine__c": line["Id"],
            "SBQQ__BillingFrequency__c": line["SBQQ__BillingFrequency__c"]
            or deal.quote["SBQQ__BillingFrequency__c"],
            "CurrencyIsoCode": contract.get("CurrencyIsoCode"),
            **chain,
        },
    )


def _contract_amendment(org: _Org, deal: _Deal, contract_id: str) -> None:
    contract = org.row("Contract", contract_id)
    if contract is None:
        return
    line_ids = [line["Id"] for line in deal.lines]
    if line_ids:
        marks = ", ".join("?" for _ in line_ids)
        done = org.connection.execute(
            f'SELECT 1 FROM "{SUBSCRIPTION}" WHERE "SBQQ__QuoteLine__c" IN ({marks}) AND "IsDeleted" = 0',
            tuple(line_ids),
        ).fetchone()
        if done:
            return
    # Each line's subscription chain: an amended line maps to the original it changes.
    chain_of: dict[str, str] = {}
    for line in deal.lines:
        original = org.row(SUBSCRIPTION, line["SBQQ__UpgradedSubscription__c"])
        if original is not None:
            chain_of[line["Id"]] = original["Id"]
            delta = effective_quantity(line["SBQQ__Quantity__c"], line["SBQQ__PriorQuantity__c"], AMENDMENT)
            if delta:
                _revise(org, contract, deal, line, original, delta)
        elif _is_subscription(org, line):
            chain_of[line["Id"]] = _subscribe(
                org,
                contract,
                deal,
                line,
                {
                    "SBQQ__Quantity__c": line["SBQQ__Quantity__c"],
                    "SBQQ__OriginalQuoteLine__c": line["Id"],
                    "SBQQ__RequiredById__c": chain_of.get(line["SBQQ__RequiredBy__c"] or ""),
                    # Co-termed: a product added by an amendment ends with the contract.
                    "SBQQ__EndDate__c": line["SBQQ__EndDate__c"] or contract["EndDate"],
                },
            )


def _revise(
    org: _Org,
    contract: dict[str, Any],
    deal: _Deal,
    line: dict[str, Any],
    original: dict[str, Any],
    delta: float,
) -> None:
    """A revision of ``original`` by ``delta``; a chain brought to 0 is terminated on the line's start."""
    revision = _subscribe(
        org,
        contract,
        deal,
        line,
        {
            "SBQQ__Quantity__c": delta,
            "SBQQ__RevisedSubscription__c": original["Id"],
            "SBQQ__OriginalQuoteLine__c": original["SBQQ__OriginalQuoteLine__c"]
            or original["SBQQ__QuoteLine__c"],
            "SBQQ__RequiredById__c": original["SBQQ__RequiredById__c"],
            "SBQQ__Product__c": original["SBQQ__Product__c"],
            "SBQQ__ProductCode__c": original["SBQQ__ProductCode__c"],
            "SBQQ__NetPrice__c": line["SBQQ__NetPrice__c"]
            if line["SBQQ__NetPrice__c"] is not None
            else original["SBQQ__NetPrice__c"],
            "SBQQ__EndDate__c": line["SBQQ__EndDate__c"]
            or original["SBQQ__EndDate__c"]
            or contract["EndDate"],
        },
    )
    members = org.rows(
        f'SELECT "Id", "SBQQ__Quantity__c" FROM "{SUBSCRIPTION}" WHERE ("Id" = ? OR '
        '"SBQQ__RevisedSubscription__c" = ?) AND "IsDeleted" = 0',
        (original["Id"], original["Id"]),
    )
    if sum(float(member["SBQQ__Quantity__c"] or 0) for member in members) == 0:
        ended = (org.row(SUBSCRIPTION, revision) or {}).get("SBQQ__StartDate__c")
        for member in members:
            org.update(SUBSCRIPTION, member["Id"], {"SBQQ__TerminatedDate__c": ended})


# -- amending and renewing ----------------------------------------------------------------------


def _activated(org: _Org, contract_id: str) -> dict[str, Any]:
    contract = org.row("Contract", contract_id)
    if contract is None:
        raise apex_error(f"Contract not found: {contract_id}")
    if contract["Status"] != "Activated":
        raise apex_error(
            f"Contract {contract['ContractNumber']} is not activated (Status: {contract['Status']})"
        )
    return contract


def _deal_opportunity(org: _Org, contract: dict[str, Any], body: dict[str, Any]) -> str:
    source = org.row("Opportunity", contract["SBQQ__Opportunity__c"]) or {}
    return org.create(
        "Opportunity",
        {
            "AccountId": contract["AccountId"],
            "StageName": "Prospecting",
            "Pricebook2Id": source.get("Pricebook2Id"),
            "CurrencyIsoCode": contract.get("CurrencyIsoCode"),
            **body,
        },
    )


def _copy_lines(
    org: _Org, quote_id: str, contract: dict[str, Any], start: str, link: str, renewal_term: float | None
) -> None:
    """One quote line per subscription chain of ``contract``, bundles rebuilt; ``link`` names the field
    (upgraded or renewed subscription) that points back at the chain's original subscription."""
    line_of: dict[str, str] = {}
    for number, (root, total) in enumerate(org.chains(contract["Id"]), start=1):
        source = org.row(LINE, root["SBQQ__QuoteLine__c"]) or {}
        # Amendments start on the quote's date unless the subscription starts later (CPQ's guideline).
        later = root["SBQQ__StartDate__c"] if (root["SBQQ__StartDate__c"] or "") > start else None
        line_of[root["Id"]] = org.create(
            LINE,
            {
                "SBQQ__Quote__c": quote_id,
                "SBQQ__Product__c": root["SBQQ__Product__c"],
                "SBQQ__ProductCode__c": root["SBQQ__ProductCode__c"],
                "SBQQ__Number__c": float(number),
                "SBQQ__Quantity__c": total,
                "SBQQ__PriorQuantity__c": total if link == "SBQQ__UpgradedSubscription__c" else None,
                "SBQQ__ListPrice__c": source.get("SBQQ__ListPrice__c"),
                "SBQQ__NetPrice__c": root["SBQQ__NetPrice__c"],
                "SBQQ__SubscriptionTerm__c": renewal_term or source.get("SBQQ__SubscriptionTerm__c"),
                "SBQQ__StartDate__c": None if renewal_term else later,
                "SBQQ__BillingFrequency__c": root["SBQQ__BillingFrequency__c"],
                "SBQQ__RequiredBy__c": line_of.get(root["SBQQ__RequiredById__c"] or ""),
                link: root["Id"],
            },
        )


def amend(writer: RecordWriter, connection: sqlite3.Connection, contract_id: str) -> str:
    """CPQ's Contract Amender: a new amendment opportunity and primary quote; returns the quote's id."""
    org = _Org(writer, connection)
    contract = _activated(org, contract_id)
    chosen = contract["SBQQ__AmendmentStartDate__c"]
    if chosen and chosen < contract["StartDate"]:
        raise apex_error("The amendment start date is before the contract's start date")
    start = chosen or max(_today().isoformat(), contract["StartDate"])
    end = contract["EndDate"] or start
    opportunity_id = _deal_opportunity(
        org,
        contract,
        {
            "Name": f"Amendment for contract #{contract['ContractNumber']}",
            "CloseDate": start,
            "Type": AMENDMENT,
            "SBQQ__AmendedContract__c": contract["Id"],
        },
    )
    source_quote = org.row(QUOTE, contract["SBQQ__Quote__c"]) or {}
    quote_id = org.create(
        QUOTE,
        {
            "SBQQ__Opportunity2__c": opportunity_id,
            "SBQQ__Primary__c": True,
            "SBQQ__Type__c": AMENDMENT,
            "SBQQ__StartDate__c": start,
            "SBQQ__EndDate__c": end,
            "SBQQ__SubscriptionTerm__c": float(_months_between(start, end)) if end >= start else None,
            "SBQQ__MasterContract__c": contract["Id"],
            "SBQQ__BillingFrequency__c": source_quote.get("SBQQ__BillingFrequency__c"),
        },
    )
    _copy_lines(org, quote_id, contract, start, "SBQQ__UpgradedSubscription__c", None)
    return quote_id


def renew(writer: RecordWriter, connection: sqlite3.Connection, contract_id: str) -> str:
    """CPQ's Contract Renewer for one contract: a new primary Renewal quote on the contract's renewal
    opportunity (created the first time); returns the quote's id."""
    org = _Org(writer, connection)
    contract = _activated(org, contract_id)
    if not contract["EndDate"]:
        raise apex_error(f"Contract {contract['ContractNumber']} has no end date to renew from")
    start = (dt.date.fromisoformat(contract["EndDate"]) + dt.timedelta(days=1)).isoformat()
    term = contract["SBQQ__RenewalTerm__c"] or contract["ContractTerm"] or 12
    opportunity_id = contract["SBQQ__RenewalOpportunity__c"]
    if org.row("Opportunity", opportunity_id) is None:
        opportunity_id = _deal_opportunity(
            org,
            contract,
            {
                "Name": f"Renewal for contract #{contract['ContractNumber']}",
                "CloseDate": contract["EndDate"],
                "Type": RENEWAL,
                "SBQQ__RenewedContract__c": contract["Id"],
            },
        )
    source_quote = org.row(QUOTE, contract["SBQQ__Quote__c"]) or {}
    quote_id = org.create(
        QUOTE,
        {
            "SBQQ__Opportunity2__c": opportunity_id,
            "SBQQ__Primary__c": True,
            "SBQQ__Type__c": RENEWAL,
            "SBQQ__StartDate__c": start,
            "SBQQ__EndDate__c": term_end(start, term),
            "SBQQ__SubscriptionTerm__c": float(term),
            "SBQQ__BillingFrequency__c": source_quote.get("SBQQ__BillingFrequency__c"),
        },
    )
    _copy_lines(org, quote_id, contract, start, "SBQQ__RenewedSubscription__c", float(term))
    org.update(
        "Contract",
        contract["Id"],
        {"SBQQ__RenewalOpportunity__c": opportunity_id, "SBQQ__RenewalQuoted__c": True},
    )
    return quote_id
