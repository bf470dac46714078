"""Reading records as NetSuite's REST API shows them: one record, a sublist, or a paged list.

References and selects become ``{"id", "refName"}`` objects (references also carry a ``links`` entry);
sublists are collapsed to ``{"links"}`` unless ``expandSubResources=true``; ``fields=a,b`` limits the
body fields returned.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from simulators.netsuite.errors import invalid_parameter, not_found_record
from simulators.netsuite.listquery import ListFilter
from simulators.netsuite.schema import Field, RecordType, Sublist
from simulators.netsuite.store import NetSuiteStore, Row, physical_table
from simulators.netsuite.suiteql.tables import TableRegistry
from simulators.netsuite.values import COUNTRY_NAMES, address_text, iso_datetime

RECORD_PATH = "/services/rest/record/v1"
MAX_LIST_PAGE = 1000


def _self(href: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": href}]


class RecordReader:
    def __init__(self, store: NetSuiteStore, registry: TableRegistry) -> None:
        self.store = store
        self.registry = registry

    # -- one record ------------------------------------------------------------------------------

    def find(self, record_type: RecordType, key: str) -> Row:
        """The record named by an internal id (``107``) or an external id (``eid:SF-001``); 404 otherwise."""
        if key.startswith("eid:"):
            record_id = self.store.id_for_external_id(record_type.table, (record_type.name,), key[4:])
        else:
            record_id = int(key) if key.isdigit() and len(key) < 19 else None
        row = self.store.load(record_type.table, record_id) if record_id is not None else None
        if row is None or row.recordtype != record_type.name:
            raise not_found_record(record_type.name, key)
        return row

    def render(
        self,
        record_type: RecordType,
        row: Row,
        base: str,
        *,
        expand: bool = False,
        fields: set[str] | None = None,
    ) -> dict[str, Any]:
        href = f"{base}{RECORD_PATH}/{record_type.name}/{row.id}"
        out: dict[str, Any] = {"links": _self(href), "id": str(row.id)}
        body = row.body
        for field in record_type.fields:
            name = field.name
            if fields is not None and name.lower() not in fields:
                continue
            if name == "externalId":
                if row.externalid is not None:
                    out[name] = row.externalid
            elif name == "dateCreated":
                out[name] = iso_datetime(row.datecreated)
            elif name == "lastModifiedDate":
                out[name] = iso_datetime(row.lastmodifieddate)
            elif name != "id" and body.get(name) is not None:
                out[name] = self.value(field, body[name], base)
        for sublist in record_type.sublists:
            if fields is not None and sublist.name.lower() not in fields:
                continue
            sub_href = f"{href}/{sublist.name}"
            if expand:
                out[sublist.name] = {
                    "links": _self(sub_href),
                    "items": self.lines(sublist, body.get(sublist.name) or [], sub_href, base),
                }
            else:
                out[sublist.name] = {"links": _self(sub_href)}
        return out

    def lines(
        self, sublist: Sublist, lines: list[dict[str, Any]], href: str, base: str
    ) -> list[dict[str, Any]]:
        rendered = []
        for line in lines:
            key = line.get(sublist.key)
            item: dict[str, Any] = {"links": _self(f"{href}/{key}") if key is not None else []}
            for field in sublist.fields:
                if line.get(field.name) is not None:
                    item[field.name] = self.value(field, line[field.name], base)
            for name, value in line.items():  # custom line fields declared after the line was written
                if name not in item and name.startswith("cust"):
                    item[name] = value
            rendered.append(item)
        return rendered

    def value(self, field: Field, value: Any, base: str) -> Any:
        kind = field.kind
        if kind == "ref":
            named = self.store.name_of(field.target, int(value))
            if named is None:
                return {"id": str(value)}
            record_type, ref_name = named
            return {
                "links": _self(f"{base}{RECORD_PATH}/{record_type}/{value}"),
                "id": str(value),
                "refName": ref_name,
            }
        if kind == "select":
            return {"id": value, "refName": field.option_text(value)}
        if kind == "country":
            return {"id": value, "refName": COUNTRY_NAMES.get(value, value)}
        if kind == "datetime":
            return iso_datetime(value)
        if kind == "address":
            rendered = {
                sub.name: self.value(sub, value[sub.name], base)
                for sub in field.subfields
                if value.get(sub.name) is not None
            }
            rendered["addrText"] = address_text(value)
            return rendered
        return value

    def sublist(self, record_type: RecordType, key: str, name: str, base: str) -> dict[str, Any]:
        sublist = record_type.sublist(name)
        if sublist is None:
            raise invalid_parameter(f"Record type '{record_type.name}' has no sublist '{name}'.")
        row = self.find(record_type, key)
        href = f"{base}{RECORD_PATH}/{record_type.name}/{row.id}/{sublist.name}"
        items = self.lines(sublist, row.body.get(sublist.name) or [], href, base)
        return {
            "links": _self(href),
            "items": items,
            "count": len(items),
            "hasMore": False,
            "offset": 0,
            "totalResults": len(items),
        }

    # -- lists -----------------------------------------------------------------------------------

    def list(
        self, record_type: RecordType, base: str, *, limit: int, offset: int, q: str | None
    ) -> dict[str, Any]:
        if not 1 <= limit <= MAX_LIST_PAGE:
            raise invalid_parameter(
                f"Invalid value for the parameter 'limit': it must be between 1 and {MAX_LIST_PAGE}.", "limit"
            )
        if offset < 0:
            raise invalid_parameter(
                "Invalid value for the parameter 'offset': it cannot be negative.", "offset"
            )
        where = "r.recordtype = ?"
        params: list[Any] = [record_type.name]
        if q:
            table = self.registry.get(record_type.table)
            assert table is not None
            condition, more = ListFilter(record_type, table, q).compile()
            where += f" AND {condition}"
            params += more
        connection = self.store.read()
        source = f"FROM {physical_table(record_type.table)} r WHERE {where}"
        total = int(connection.execute(f"SELECT COUNT(*) {source}", params).fetchone()[0])
        ids = [
            row[0]
            for row in connection.execute(
                f"SELECT r.id {source} ORDER BY r.id LIMIT ? OFFSET ?", (*params, limit, offset)
            )
        ]
        href = f"{base}{RECORD_PATH}/{record_type.name}"

        def page(at: int) -> str:
            query = {"limit": limit, "offset": at, **({"q": q} if q else {})}
            return f"{href}?{urlencode(query)}"

        links = [{"rel": "self", "href": page(offset)}]
        if offset + len(ids) < total:
            links.append({"rel": "next", "href": page(offset + limit)})
        if offset > 0:
            links.append({"rel": "prev", "href": page(max(0, offset - limit))})
        links.append({"rel": "first", "href": page(0)})
        links.append({"rel": "last", "href": page(max(0, (total - 1) // limit * limit))})
        return {
            "links": links,
            "count": len(ids),
            "hasMore": offset + len(ids) < total,
            "items": [{"links": _self(f"{href}/{record_id}"), "id": str(record_id)} for record_id in ids],
            "offset": offset,
            "totalResults": total,
        }
