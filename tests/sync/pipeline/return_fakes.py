"""In-memory NetSuite and Salesforce connectors for return-flow unit tests: just the calls the return flow
makes (SuiteQL keyset pages and look-ups, record reads; SOQL by one field, sObject Collections writes)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import Page
from sync.connections.connectors.salesforce import RecordResult

STAMP = "%Y-%m-%d %H:%M:%S"
TABLES = {
    "salesOrder": "transaction",
    "invoice": "transaction",
    "customerPayment": "transaction",
    "creditMemo": "transaction",
    "customerRefund": "transaction",
    "itemFulfillment": "transaction",
    "customer": "customer",
    "subscription": "subscription",
    "subscriptionPlan": "subscriptionplan",
}
TYPE_CODES = {
    "salesOrder": "SalesOrd",
    "invoice": "CustInvc",
    "customerPayment": "CustPymt",
    "creditMemo": "CustCred",
    "customerRefund": "CustRfnd",
    "itemFulfillment": "ItemShip",
}


class FakeNetSuite:
    """Records by (REST type, id) with a modified stamp; subscription lines and items as SuiteQL rows."""

    def __init__(self, *, suitebilling: bool = True) -> None:
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.modified: dict[tuple[str, str], dt.datetime] = {}
        self.lines: list[dict[str, Any]] = []  # subscriptionline rows
        self.items: dict[str, str] = {}  # item id -> itemid (SKU)
        self.suitebilling = suitebilling
        self.queries: list[str] = []

    def put(self, record_type: str, record: dict[str, Any], *, at: dt.datetime | None = None) -> None:
        key = (record_type, str(record["id"]))
        self.records[key] = record
        self.modified[key] = at or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def touch(self, record_type: str, record_id: str, **changes: Any) -> None:
        self.records[record_type, record_id].update(changes)
        self.modified[record_type, record_id] = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def get(self, record_type: str, record_id: str, *, expand: bool = False, **_: Any) -> dict[str, Any]:
        if (record_type, record_id) not in self.records:
            raise ConnectorError("netsuite", False, f"no {record_type} {record_id}", status=404)
        return dict(self.records[record_type, record_id])

    def suiteql(self, query: str, **_: Any) -> Iterator[dict[str, Any]]:
        yield from self.suiteql_page(query).items

    def suiteql_page(self, query: str, *, limit: int = 1000, offset: int = 0) -> Page:
        self.queries.append(query)
        table = re.search(r"FROM (\w+)", query)
        name = table.group(1) if table else ""
        if name in ("subscription", "subscriptionline") and not self.suitebilling:
            raise ConnectorError("netsuite", False, f"Record '{name}' was not found.", status=400)
        rows = self._rows(name, query)
        return Page(rows[offset : offset + limit], len(rows) > offset + limit, len(rows), offset)

    def _rows(self, table: str, query: str) -> list[dict[str, Any]]:
        since = re.search(r">= '([0-9: -]+)'", query)
        start = dt.datetime.strptime(since.group(1), STAMP).replace(tzinfo=dt.UTC) if since else None
        if table == "subscriptionline":
            if "AS modified" in query:
                return [
                    {"id": line["id"], "subscription": line["subscription"], "modified": _stamp(line["at"])}
                    for line in self.lines
                    if start is None or line["at"] >= start
                ]
            wanted = re.search(r"subscription = (\d+)", query)
            return [
                {k: v for k, v in line.items() if k != "at"}
                for line in self.lines
                if wanted and str(line["subscription"]) == wanted.group(1)
            ]
        if table == "item":
            ids = re.findall(r"\d+", query.split("IN", 1)[1])
            return [{"id": i, "itemid": self.items[i]} for i in ids if i in self.items]
        if "AS modified" in query:
            types = re.findall(r"'(\w+)'", query.split("type IN", 1)[1]) if "type IN" in query else None
            rows = []
            for (record_type, record_id), at in sorted(self.modified.items(), key=lambda kv: kv[1]):
                if TABLES.get(record_type) != table or (start is not None and at < start):
                    continue
                if types is not None and TYPE_CODES.get(record_type) not in types:
                    continue
                record = self.records[record_type, record_id]
                if table == "customer" and not record.get("custentity_sf_account_id"):
                    continue
                rows.append({"id": record_id, "type": TYPE_CODES.get(record_type), "modified": _stamp(at)})
            return rows
        if table == "transaction" and "id IN" in query:
            ids = re.findall(r"\d+", query.split("id IN", 1)[1])
            found = {rid: rtype for (rtype, rid) in self.records if TABLES.get(rtype) == "transaction"}
            return [{"id": i, "type": TYPE_CODES[found[i]]} for i in ids if i in found]
        if table == "transaction" and "ItemShip" in query:
            order = re.search(r"createdfrom = (\d+)", query)
            return [
                {"id": rid}
                for (rtype, rid), record in self.records.items()
                if rtype == "itemFulfillment" and order and str(record["createdFrom"]["id"]) == order.group(1)
            ]
        if table == "subscription":
            quotes = re.findall(r"'([^']*)'", query.split("custrecord_sf_quote_id", 1)[1])
            return [
                {"id": rid, "status": record["subscriptionStatus"]["id"]}
                for (rtype, rid), record in self.records.items()
                if rtype == "subscription" and record.get("custrecord_sf_quote_id") in quotes
            ]
        raise AssertionError(f"the fake does not know this query: {query}")


def _stamp(at: dt.datetime) -> str:
    return at.strftime(STAMP)


class FakeSalesforce:
    """Records by object and Id; SOQL ``WHERE field = 'x'`` or ``IN (...)``; collections writes, with a
    way to lose the answer of the next write after applying it (an ambiguous failure)."""

    def __init__(self, *, objects: Sequence[str] = ()) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in objects}
        self.writes: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.lose_next_answer = False
        self._ids = itertools.count(1)

    def add(self, sobject: str, record: dict[str, Any]) -> str:
        record_id = record.get("Id") or self._new_id(sobject)
        self.objects.setdefault(sobject, {})[record_id] = {**record, "Id": record_id}
        return str(record_id)

    def all(self, sobject: str) -> list[dict[str, Any]]:
        return list(self.objects.get(sobject, {}).values())

    def describe_global(self) -> dict[str, Any]:
        return {"sobjects": [{"name": name} for name in self.objects]}

    def query(self, soql: str, **_: Any) -> Iterator[dict[str, Any]]:
        table = re.search(r"FROM (\w+)", soql)
        if table is None or table.group(1) not in self.objects:
            raise ConnectorError("salesforce", False, "sObject type is not supported", code="INVALID_TYPE")
        if "= null" in soql:  # contracts without NetSuite's subscription ids (the modstamp is not kept)
            for record in self.all("Contract"):
                if record.get("NetSuite_Subscription_Id__c") is None and record.get("SBQQ__Quote__c"):
                    yield dict(record)
            return
        found = re.match(r"SELECT (.+?) FROM (\w+) WHERE (\w+) (=|IN) (\(.*?\)|'[^']*')", soql)
        assert found, soql
        _columns, sobject, key_field, _op, listed = found.groups()
        values = re.findall(r"'([^']*)'", listed)
        for record in sorted(self.objects.get(sobject, {}).values(), key=lambda r: r["Id"]):
            if str(record.get(key_field)) in values:
                yield dict(record)

    def query_in(self, template: str, ids: Any) -> Iterator[dict[str, Any]]:
        listed = ", ".join(f"'{i}'" for i in dict.fromkeys(ids))
        yield from self.query(template.format(ids=listed))

    def collections_upsert(
        self, sobject: str, external_field: str, records: Sequence[dict[str, Any]]
    ) -> list[RecordResult]:
        self.writes.append(("upsert", sobject, [dict(r) for r in records]))
        results = []
        for record in records:
            held = next(
                (r for r in self.all(sobject) if r.get(external_field) == record[external_field]), None
            )
            if held is None:
                record_id = self.add(sobject, dict(record))
                results.append(RecordResult(record_id, True, True))
            else:
                held.update(record)
                results.append(RecordResult(held["Id"], True, False))
        return self._answer(results)

    def collections_update(self, sobject: str, records: Sequence[dict[str, Any]]) -> list[RecordResult]:
        self.writes.append(("update", sobject, [dict(r) for r in records]))
        results = []
        for record in records:
            held = self.objects.get(sobject, {}).get(record["Id"])
            if held is None:
                error = {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted"}
                results.append(RecordResult(record["Id"], False, errors=(error,)))
            else:
                held.update(record)
                results.append(RecordResult(record["Id"], True, False))
        return self._answer(results)

    def _answer(self, results: list[RecordResult]) -> list[RecordResult]:
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise ConnectorError("salesforce", True, "read timed out", ambiguous=True)
        return results

    def _new_id(self, sobject: str) -> str:
        prefix = {"Credit_Memo__c": "a0C", "Refund__c": "a0R", "Invoice__c": "a01"}.get(sobject, "a0X")
        return f"{prefix}S{next(self._ids):014d}"
