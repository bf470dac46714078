"""Creating, updating, upserting and deleting records with Salesforce's checks, in its words.

Every method takes a connection already inside a write transaction (``store.write()``), so a REST call
or an sObject Collections batch decides what commits. Deletes are soft (``IsDeleted``): queryAll still
sees them; master-detail children are deleted with their parent and plain lookups to it are cleared.
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from simulators.salesforce import ids, rules
from simulators.salesforce.errors import ApiError, invalid_field, not_found
from simulators.salesforce.schema import Field, Schema, SObject
from simulators.salesforce.store import next_number
from simulators.salesforce.values import coerce, now_stamp, output

# Called after every API write with (connection, sobject, id, row before or None, row after).
ChangeHook = Callable[[sqlite3.Connection, SObject, str, dict[str, Any] | None, dict[str, Any]], None]
# Platform automation (CPQ's contracting) after a write, in the same transaction; it may write through the
# writer it is given: (writer, connection, sobject, id, row before or None, row after).
Automation = Callable[
    ["RecordWriter", sqlite3.Connection, SObject, str, dict[str, Any] | None, dict[str, Any]], None
]


class MultipleMatches(ApiError):
    """An external id matched several records: HTTP 300 with the records' URLs."""

    def __init__(self, sobject: str, record_ids: list[str]) -> None:
        super().__init__(
            300, "MULTIPLE_CHOICES", f"More than one record found for external id field: {record_ids}"
        )
        self.sobject = sobject
        self.record_ids = record_ids

    def urls(self, version: str) -> list[str]:
        return [
            f"/services/data/v{version}/sobjects/{self.sobject}/{record_id}" for record_id in self.record_ids
        ]


def fetch(connection: sqlite3.Connection, sobject: SObject, record_id: str) -> dict[str, Any] | None:
    row = connection.execute(f'SELECT * FROM "{sobject.table}" WHERE "Id" = ?', (record_id,)).fetchone()
    return None if row is None else dict(row)


def record_json(
    sobject: SObject,
    row: dict[str, Any],
    version: str,
    fields: list[Field] | None = None,
) -> dict[str, Any]:
    """A stored row as the REST API shows one record."""
    record: dict[str, Any] = {
        "attributes": {
            "type": sobject.name,
            "url": f"/services/data/v{version}/sobjects/{sobject.name}/{row['Id']}",
        }
    }
    converters = _converters(sobject) if fields is None else [(f.name, output(f)) for f in fields]
    for name, convert in converters:
        record[name] = convert(row.get(name))
    return record


@functools.lru_cache(maxsize=64)
def _converters(sobject: SObject) -> list[tuple[str, Callable[[Any], Any]]]:
    # GET of one record is the simulator's hot path: work out each field's converter once.
    return [(f.name, output(f)) for f in sobject.fields]


def forget_converters() -> None:
    """Drop the per-object converters (an object gained a field)."""
    _converters.cache_clear()


class RecordWriter:
    """The one place records change through the API (REST, Collections, upserts)."""

    def __init__(
        self,
        schema: Schema,
        *,
        user_id: str,
        on_change: ChangeHook | None = None,
        automation: Automation | None = None,
    ) -> None:
        self.schema = schema
        self.user_id = user_id
        self.on_change = on_change
        self.automation = automation

    # -- public operations ----------------------------------------------------------------------

    def create(self, connection: sqlite3.Connection, sobject: SObject, body: dict[str, Any]) -> str:
        if not sobject.createable:
            raise ApiError(
                400, "INVALID_TYPE_FOR_OPERATION", f"entity type {sobject.name} does not support insert"
            )
        values = self._prepare(connection, sobject, body, None)
        context = rules.WriteContext(
            connection, self.schema, sobject, values, None, self.user_id, now_stamp(), frozenset(values)
        )
        self._defaults(context)
        for name, value in self.schema.storage_defaults.get(sobject.name, {}).items():
            values.setdefault(name, value)
        rules.before_write(context)
        self._required(sobject, values, None)
        self._unique(connection, sobject, values, None)
        record_id = ids.make_id(sobject.key_prefix, next_number(connection, sobject.key_prefix))
        values.update(
            {"Id": record_id, "IsDeleted": 0, "CreatedDate": context.now, "CreatedById": self.user_id}
        )
        self._stamp(context)
        columns = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join("?" for _ in values)
        connection.execute(
            f'INSERT INTO "{sobject.table}" ({columns}) VALUES ({marks})', list(values.values())
        )
        rules.after_write(context, record_id)
        self._changed(connection, sobject, record_id, None)
        return record_id

    def update(
        self, connection: sqlite3.Connection, sobject: SObject, record_id: str, body: dict[str, Any]
    ) -> None:
        existing = self.existing(connection, sobject, record_id)
        values = self._prepare(connection, sobject, body, existing)
        context = rules.WriteContext(
            connection, self.schema, sobject, values, existing, self.user_id, now_stamp(), frozenset(values)
        )
        rules.before_write(context)
        self._required(sobject, values, existing)
        self._unique(connection, sobject, values, existing["Id"])
        self._stamp(context)
        assignments = ", ".join(f'"{name}" = ?' for name in values)
        connection.execute(
            f'UPDATE "{sobject.table}" SET {assignments} WHERE "Id" = ?', [*values.values(), existing["Id"]]
        )
        rules.after_write(context, existing["Id"])
        self._changed(connection, sobject, existing["Id"], existing)

    def upsert(
        self,
        connection: sqlite3.Connection,
        sobject: SObject,
        field_name: str,
        value: str,
        body: dict[str, Any],
        *,
        update_only: bool = False,
    ) -> tuple[str, bool]:
        """Create or update by external id; returns (id, created)."""
        key = sobject.field(field_name)
        if key is None or not key.id_lookup:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
            )
        body = {name: item for name, item in body.items() if name != "attributes"}
        in_body = next((name for name in body if name.lower() == key.name.lower()), None)
        if in_body is not None:
            if str(body[in_body]).lower() != str(value).lower():
                raise invalid_field(
                    f"The external ID field {key.name} in the body does not match the URL value", [key.name]
                )
            del body[in_body]
        matches = self.find_by(connection, sobject, key, value)
        if len(matches) > 1:
            raise MultipleMatches(sobject.name, matches)
        if matches:
            self.update(connection, sobject, matches[0], body)
            return matches[0], False
        if update_only or key.name == "Id":
            raise not_found()
        return self.create(connection, sobject, {**body, key.name: value}), True

    def delete(self, connection: sqlite3.Connection, sobject: SObject, record_id: str) -> None:
        existing = self.existing(connection, sobject, record_id)
        self._soft_delete(connection, sobject, existing["Id"], now_stamp())

    # -- reading helpers ------------------------------------------------------------------------

    def existing(self, connection: sqlite3.Connection, sobject: SObject, record_id: str) -> dict[str, Any]:
        """The live record ``record_id`` of ``sobject``; 404 NOT_FOUND / ENTITY_IS_DELETED otherwise."""
        normalized = ids.normalize(record_id)
        row = None
        if normalized is not None and normalized.startswith(sobject.key_prefix):
            row = fetch(connection, sobject, normalized)
        if row is None:
            raise not_found()
        if row["IsDeleted"]:
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return row

    def find_by(self, connection: sqlite3.Connection, sobject: SObject, key: Field, value: str) -> list[str]:
        if key.name == "Id":
            normalized = ids.normalize(value)
            matches = [] if normalized is None else [normalized]
            return [m for m in matches if (row := fetch(connection, sobject, m)) and not row["IsDeleted"]]
        stored = coerce(key, value)
        rows = connection.execute(
            f'SELECT "Id" FROM "{sobject.table}" WHERE "{key.name}" = ? AND "IsDeleted" = 0 '
            "ORDER BY _rid LIMIT 10",
            (stored,),
        ).fetchall()
        return [row[0] for row in rows]

    # -- checks ---------------------------------------------------------------------------------

    def _prepare(
        self,
        connection: sqlite3.Connection,
        sobject: SObject,
        body: dict[str, Any],
        existing: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(
                400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from START_ARRAY value"
            )
        values: dict[str, Any] = {}
        refused: list[str] = []
        for key, raw in body.items():
            if key == "attributes":
                continue
            f = sobject.field(key)
            if f is None:
                lookup = sobject.relationship(key)
                if lookup is not None and isinstance(raw, dict):
                    values[lookup.name] = self._foreign_key(connection, lookup, raw)
                    continue
                raise invalid_field(f"No such column '{key}' on sobject of type {sobject.name}", [key])
            if f.name == "Id":
                if existing is None:
                    raise invalid_field("cannot specify Id in an insert call", ["Id"])
                if ids.normalize(raw) != existing["Id"]:
                    raise invalid_field("The Id in the body does not match the Id in the URL", ["Id"])
                continue
            if not (f.createable if existing is None else f.updateable):
                refused.append(f.name)
                continue
            values[f.name] = coerce(f, raw)
        if refused:
            raise ApiError(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(refused)}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission set.",
                refused,
            )
        for name, stored in values.items():
            f = sobject.by_lower[name.lower()]
            if f.type == "reference" and stored is not None:
                self._check_reference(connection, f, stored)
        return values

    def _foreign_key(self, connection: sqlite3.Connection, lookup: Field, raw: dict[str, Any]) -> str:
        target = self.schema.sobjects[str(lookup.reference_to)]
        keys = [name for name in raw if name != "attributes"]
        key = target.field(keys[0]) if len(keys) == 1 else None
        if key is None or not key.id_lookup:
            raise invalid_field(
                f"Foreign key external ID field must be an external ID on {target.name}", [lookup.name]
            )
        matches = self.find_by(connection, target, key, raw[keys[0]])
        if not matches:
            raise invalid_field(
                f"Foreign key external ID: {raw[keys[0]]} not found for field {key.name} "
                f"in entity {target.name}",
                [lookup.name],
            )
        if len(matches) > 1:
            raise invalid_field(
                f"Foreign key external ID: {raw[keys[0]]} matches more than one record for field "
                f"{key.name} in entity {target.name}",
                [lookup.name],
            )
        return matches[0]

    def _check_reference(self, connection: sqlite3.Connection, f: Field, record_id: str) -> None:
        target = self.schema.sobjects[str(f.reference_to)]
        if not record_id.startswith(target.key_prefix):
            raise ApiError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"field integrity exception: {f.name} (id value of incorrect type: {record_id})",
                [f.name],
            )
        row = connection.execute(
            f'SELECT "IsDeleted" FROM "{target.table}" WHERE "Id" = ?', (record_id,)
        ).fetchone()
        if row is None:
            raise ApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
        if row[0]:
            raise ApiError(400, "ENTITY_IS_DELETED", "entity is deleted", [f.name])

    def _required(self, sobject: SObject, values: dict[str, Any], existing: dict[str, Any] | None) -> None:
        missing = [
            f.name
            for f in sobject.fields
            if f.required
            and (
                values.get(f.name) is None
                if existing is None
                else (f.name in values and values[f.name] is None)
            )
        ]
        if missing:
            raise ApiError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )

    def _unique(
        self, connection: sqlite3.Connection, sobject: SObject, values: dict[str, Any], record_id: str | None
    ) -> None:
        for f in sobject.fields:
            if not f.unique or values.get(f.name) is None:
                continue
            row = connection.execute(
                f'SELECT "Id" FROM "{sobject.table}" WHERE "{f.name}" = ? AND "IsDeleted" = 0 '
                'AND "Id" != ? LIMIT 1',
                (values[f.name], record_id or ""),
            ).fetchone()
            if row is not None:
                raise ApiError(
                    400,
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {f.name} duplicates value on record with id: {row[0]}",
                )

    # -- bookkeeping ----------------------------------------------------------------------------

    def _defaults(self, context: rules.WriteContext) -> None:
        values, sobject = context.values, context.sobject
        for f in sobject.fields:
            if f.name not in values and f.default is not None and f.createable:
                values[f.name] = int(f.default) if f.type == "boolean" else f.default
            elif f.type == "boolean" and f.name not in values:
                values[f.name] = int(bool(f.default))
        if sobject.field("OwnerId") is not None and values.get("OwnerId") is None:
            values["OwnerId"] = self.user_id
        if sobject.auto_number:
            values["Name"] = sobject.auto_number.format(
                next_number(context.connection, f"autonumber:{sobject.name}")
            )

    def _stamp(self, context: rules.WriteContext) -> None:
        context.values.update(
            {"LastModifiedDate": context.now, "LastModifiedById": self.user_id, "SystemModstamp": context.now}
        )

    def _changed(
        self, connection: sqlite3.Connection, sobject: SObject, record_id: str, before: dict[str, Any] | None
    ) -> None:
        if self.on_change is None and self.automation is None:
            return
        after = fetch(connection, sobject, record_id)
        if after is None:
            return
        if self.automation is not None:
            self.automation(self, connection, sobject, record_id, before, after)
        if self.on_change is not None:
            self.on_change(connection, sobject, record_id, before, after)

    def _soft_delete(
        self, connection: sqlite3.Connection, sobject: SObject, record_id: str, now: str
    ) -> None:
        connection.execute(
            f'UPDATE "{sobject.table}" SET "IsDeleted" = 1, "SystemModstamp" = ?, '
            f'"LastModifiedDate" = ? WHERE "Id" = ?',
            (now, now, record_id),
        )
        for child, lookup in self.schema.referencing(sobject.name):
            if lookup.cascade_delete:
                rows = connection.execute(
                    f'SELECT "Id" FROM "{child.table}" WHERE "{lookup.name}" = ? AND "IsDeleted" = 0',
                    (record_id,),
                ).fetchall()
                for row in rows:
                    self._soft_delete(connection, child, row[0], now)
            elif lookup.name not in ("CreatedById", "LastModifiedById", "OwnerId"):
                connection.execute(
                    f'UPDATE "{child.table}" SET "{lookup.name}" = NULL, "SystemModstamp" = ? '
                    f'WHERE "{lookup.name}" = ?',
                    (now, record_id),
                )
