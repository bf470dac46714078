"""CPQ contract subscriptions against NetSuite subscriptions and their lines: pairing and canonical values.

Pairing key (both sides derive it on their own, so the comparison stays a merge join):

- ``SUB-<package quote line Id>`` for a NetSuite subscription as a whole: the external id the
  ``opportunity_to_netsuite`` mapping gives the subscription it writes for a CPQ package. In Salesforce it
  is the package's subscription record on the contract (a subscription other records require through
  ``SBQQ__RequiredById__c``), followed back through ``SBQQ__RevisedSubscription__c`` to the record the
  contract's own quote made, whose ``SBQQ__QuoteLine__c`` (else ``SBQQ__OriginalQuoteLine__c``) is the
  package quote line. A renewal contract's records come from the renewal quote, so a renewal pairs with
  the new NetSuite subscription written for the renewal quote's package line (its ``parentSubscription``
  is the renewed one).
- ``SUB-<package quote line Id>/<product code>`` for one product of that package: in Salesforce every
  member record (``SBQQ__RequiredById__c`` resolving to the package) with that ``SBQQ__ProductCode__c``,
  amendments' delta records included (they revise a member, or are new members added to the package); in
  NetSuite the subscription's included lines whose item's ``itemid`` is that code.

Values per key: ``(quantity, status, end_date)``.

- quantity: CPQ sums ``SBQQ__Quantity__c`` over the product's records that are not terminated (an
  amendment's delta records carry the change, negative for a decrease); NetSuite sums the product's lines
  that are included and not terminated (a change order changes the line's quantity in place). A
  terminated product counts 0 on both sides; the subscription as a whole has no quantity (blank).
- status: ``active`` or ``terminated`` in CPQ (terminated when every record of the product has a
  ``SBQQ__TerminatedDate__c`` or the remaining quantity is 0; the subscription when all its products are
  terminated, or ``closed`` when the Contract has expired); NetSuite's status named the same way
  (``ACTIVE`` -> active, ``TERMINATED`` -> terminated; ``pending activation``, ``suspended``, ``closed`` as
  themselves, so a subscription Concord never activated shows as differing).
- end_date: the latest ``SBQQ__EndDate__c`` of the records still active, or for a terminated product the
  latest ``SBQQ__TerminatedDate__c`` (NetSuite's termination change order ends the line on its effective
  date); NetSuite's line ``enddate`` (the subscription's when the line has none).

A won deal that CPQ has not contracted yet (``SBQQ__Contracted__c`` false; not an amendment) is compared
from its primary quote instead: the package line's Id is the same key, its members' quantities, active,
ending on the quote's end date.

Lines NetSuite does not include (``NOT_INCLUDED`` plan members nobody bought) are left out, and so is a
line of the package's own item (a plan may list it as a required member): the package is compared as the
subscription row. CPQ records that are neither a package nor a package member (a standalone product) make
no NetSuite subscription and are left out too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from reconciliation.engine.sorting import Pair

KEY_PREFIX = "SUB-"
ACTIVE = "active"
TERMINATED = "terminated"
CLOSED = "closed"

# NetSuite's subscription and subscription line statuses, as the comparison names them.
NETSUITE_STATUS = {
    "ACTIVE": ACTIVE,
    "TERMINATED": TERMINATED,
    "CLOSED": CLOSED,
    "SUSPENDED": "suspended",
    "DRAFT": "pending activation",
    "PENDING_ACTIVATION": "pending activation",
    "NOT_INCLUDED": "not included",
}


def line_key(package_key: str, product_code: str) -> str:
    return f"{package_key}/{product_code}"


def package_of(key: str) -> str:
    """The subscription part of a key (``SUB-<quote line>``)."""
    return key.split("/", 1)[0]


# -- Salesforce: one contract's SBQQ__Subscription__c records ---------------------------------------


def _root(record: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    """The record this one revises, followed back to the one the contract's own quote made."""
    seen: set[str] = set()
    while True:
        revised = record.get("SBQQ__RevisedSubscription__c")
        if not revised or revised not in by_id or revised in seen:
            return record
        seen.add(str(record["Id"]))
        record = by_id[revised]


def _terminated(record: Mapping[str, Any]) -> bool:
    return bool(record.get("SBQQ__TerminatedDate__c"))


def _quantity(record: Mapping[str, Any]) -> float:
    return float(record.get("SBQQ__Quantity__c") or 0)


def _latest(values: Iterable[Any]) -> str | None:
    dates = [str(value)[:10] for value in values if value]
    return max(dates) if dates else None


def _cpq_line(records: Sequence[Mapping[str, Any]]) -> tuple[float, str, str | None]:
    active = [record for record in records if not _terminated(record)]
    quantity = round(sum(_quantity(record) for record in active), 6)
    if not active or quantity <= 0:
        return 0.0, TERMINATED, _latest(record.get("SBQQ__TerminatedDate__c") for record in records)
    return quantity, ACTIVE, _latest(record.get("SBQQ__EndDate__c") for record in active)


def _packages(
    by_id: Mapping[str, Mapping[str, Any]],
) -> dict[str, tuple[Mapping[str, Any], list[Mapping[str, Any]], dict[str, list[Mapping[str, Any]]]]]:
    """Package root id -> (its root record, its chain of revisions, its members' records by product)."""
    roots = {record_id: _root(record, by_id) for record_id, record in by_id.items()}
    packages: dict[str, tuple[Mapping[str, Any], list[Mapping[str, Any]], dict[str, list[Any]]]] = {}
    for record_id, record in by_id.items():
        parent = record.get("SBQQ__RequiredById__c") or roots[record_id].get("SBQQ__RequiredById__c")
        if not parent or parent not in by_id:
            continue  # not a package member (a package itself, or a standalone product)
        package = roots[str(parent)]
        entry = packages.setdefault(str(package["Id"]), (package, [], defaultdict(list)))
        entry[2][str(record.get("SBQQ__ProductCode__c") or "")].append(record)
    for record_id, root in roots.items():
        if str(root["Id"]) in packages:
            packages[str(root["Id"])][1].append(by_id[record_id])
    return packages


def cpq_contract_pairs(records: Sequence[Mapping[str, Any]]) -> Iterator[Pair]:
    """The pairs of one contract's subscription records (see the module's docstring)."""
    by_id = {str(record["Id"]): record for record in records}
    for package, chain, owned in _packages(by_id).values():
        quote_line = package.get("SBQQ__QuoteLine__c") or package.get("SBQQ__OriginalQuoteLine__c")
        if not quote_line:
            continue
        key = KEY_PREFIX + str(quote_line)
        lines = {code: _cpq_line(rows) for code, rows in owned.items()}
        for code, values in lines.items():
            yield line_key(key, code), values
        if all(line[1] == TERMINATED for line in lines.values()) or all(map(_terminated, chain)):
            every = [*chain, *(row for rows in owned.values() for row in rows)]
            yield key, (None, TERMINATED, _latest(row.get("SBQQ__TerminatedDate__c") for row in every))
            continue
        contract = package.get("SBQQ__Contract__r") or {}
        status = CLOSED if contract.get("Status") == "Expired" else ACTIVE
        active = [record for record in chain if not _terminated(record)]
        yield key, (None, status, _latest(record.get("SBQQ__EndDate__c") for record in active))


def quote_pairs(lines: Sequence[Mapping[str, Any]]) -> Iterator[Pair]:
    """The pairs of one won opportunity not contracted yet, from its primary quote's lines: what Concord
    wrote for the deal (a subscription per package, its members as lines), active until the quote's end."""
    children: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for line in lines:
        if line.get("SBQQ__RequiredBy__c"):
            children[str(line["SBQQ__RequiredBy__c"])].append(line)
    for package in lines:
        if package.get("SBQQ__RequiredBy__c") or str(package["Id"]) not in children:
            continue
        key = KEY_PREFIX + str(package["Id"])
        end = _latest([(package.get("SBQQ__Quote__r") or {}).get("SBQQ__EndDate__c")])
        by_code: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for member in children[str(package["Id"])]:
            by_code[str(member.get("SBQQ__ProductCode__c") or "")].append(
                {"SBQQ__Quantity__c": member.get("SBQQ__Quantity__c"), "SBQQ__EndDate__c": end}
            )
        for code, rows in by_code.items():
            yield line_key(key, code), _cpq_line(rows)
        yield key, (None, ACTIVE, end)


# -- NetSuite: subscriptions and their lines -----------------------------------------------------------


def netsuite_status(value: Any) -> str:
    code = str(value or "").strip().upper().replace(" ", "_")
    return NETSUITE_STATUS.get(code, code.lower().replace("_", " "))


def _included(line: Mapping[str, Any]) -> bool:
    if str(line.get("status") or "").strip().upper().replace(" ", "_") == "NOT_INCLUDED":
        return False
    return str(line.get("isincluded") or "T").upper() in ("T", "TRUE")


def _number(value: Any) -> float:
    return float(value) if value not in (None, "") else 0.0


def netsuite_subscription_pairs(
    subscription: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]
) -> Iterator[Pair]:
    """The pairs of one NetSuite subscription (SuiteQL row) and its lines (rows with ``itemid``)."""
    key = str(subscription.get("externalid") or "")
    header_end = subscription.get("enddate")
    by_code: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for line in lines:
        # The package's own item, where its plan lists it as a member, is the subscription row itself.
        if _included(line) and not (
            line.get("itemid") and line.get("itemid") == subscription.get("planitem")
        ):
            by_code[str(line.get("itemid") or f"item #{line.get('item')}")].append(line)
    for code, rows in by_code.items():
        live = [row for row in rows if netsuite_status(row.get("status")) != TERMINATED]
        if not live:
            end = _latest(row.get("enddate") or header_end for row in rows)
            yield line_key(key, code), (0.0, TERMINATED, end)
            continue
        statuses = sorted({netsuite_status(row.get("status")) for row in live})
        quantity = round(sum(_number(row.get("quantity")) for row in live), 6)
        end = _latest(row.get("enddate") or header_end for row in live)
        yield line_key(key, code), (quantity, ", ".join(statuses), end)
    yield key, (None, netsuite_status(subscription.get("status")), _latest([header_end]))
