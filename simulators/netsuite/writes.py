"""Creating, updating, upserting and deleting records: validation, references, sublists, persistence.

The order of work for one write, inside one SQLite transaction:
parse the body against the record type (unknown field -> ``NONEXISTENT_FIELD``, bad value ->
``INVALID_CONTENT``, both with ``o:errorPath``), resolve references (``INVALID_KEY_OR_REF``), merge into
the stored record (``null`` clears a field; sublists merge or replace as NetSuite documents), let the
record type's rules fill defaults and derived values, check required fields (``USER_ERROR``), save.

Sublists follow NetSuite's documented semantics. Keyed sublists (``item`` by ``line``, ``addressBook``
by ``id``, ``apply`` by ``doc``, ``member`` by ``lineNumber``) update the line whose key matches and add
the others; with ``?replace=<sublist>`` lines not in the request are removed. ``{"items": null}``
empties a sublist. An update or upsert without ``replace`` therefore *adds* the lines it sends: an
integration that re-sends a whole order must pass ``?replace=item``. A sublist named in ``replace`` but
left out of the body keeps its lines (Oracle's "Deleting a Sublist": the sublist must be named in both).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from simulators.netsuite import rules
from simulators.netsuite.errors import (
    NetSuiteError,
    invalid_content,
    invalid_parameter,
    invalid_ref,
    nonexistent_field,
    not_found_record,
    user_error,
)
from simulators.netsuite.schema import Field, RecordType, Sublist
from simulators.netsuite.store import NetSuiteStore, Row, now_text
from simulators.netsuite.values import Reference, coerce
from simulators.netsuite.writecontext import WriteContext

_ABSENT = object()


@dataclass
class Changes:
    """A parsed request body: field values (stored form or :class:`Reference`) and sublist lines."""

    fields: dict[str, Any]
    # None: empty the sublist.
    sublists: dict[str, list[dict[str, Any]] | None]
    external_id: Any = _ABSENT


class RecordWriter:
    def __init__(self, store: NetSuiteStore) -> None:
        self.store = store

    # -- public operations -----------------------------------------------------------------------

    def create(
        self,
        record_type: RecordType,
        payload: Any,
        *,
        replace: Collection[str] = (),
        record_id: int | None = None,
    ) -> int:
        changes = self.parse(record_type, payload, replace)
        with self.store.write() as connection:
            return self._create(connection, record_type, changes, record_id=record_id)

    def update(
        self, record_type: RecordType, record_id: int, payload: Any, *, replace: Collection[str] = ()
    ) -> None:
        changes = self.parse(record_type, payload, replace)
        with self.store.write() as connection:
            row = self._existing(connection, record_type, record_id)
            self._update(connection, record_type, row, changes, {name.lower() for name in replace})

    def upsert(
        self, record_type: RecordType, external_id: str, payload: Any, *, replace: Collection[str] = ()
    ) -> tuple[int, bool]:
        """Create or update the record with this externalId; returns (id, created)."""
        changes = self.parse(record_type, payload, replace)
        if changes.external_id is not _ABSENT and changes.external_id != external_id:
            raise invalid_content("The externalId in the body differs from the one in the URL.", "externalId")
        changes.external_id = external_id
        with self.store.write() as connection:
            found = self.store.id_for_external_id(
                record_type.table, (record_type.name,), external_id, connection
            )
            if found is None:
                return self._create(connection, record_type, changes), True
            row = self._existing(connection, record_type, found)
            self._update(connection, record_type, row, changes, {name.lower() for name in replace})
            return found, False

    def delete(self, record_type: RecordType, record_id: int) -> None:
        with self.store.write() as connection:
            row = self._existing(connection, record_type, record_id)
            rules.before_delete(connection, self.store, record_type, row)
            self.store.remove(connection, record_type.table, record_id)
            rules.after_delete(connection, self.store, record_type, row)

    # -- parsing ---------------------------------------------------------------------------------

    def parse(self, record_type: RecordType, payload: Any, replace: Collection[str] = ()) -> Changes:
        if not isinstance(payload, dict):
            raise invalid_content("The request body must be a JSON object.")
        for name in replace:
            if record_type.sublist(name) is None:
                raise invalid_parameter(
                    f"Invalid value for the parameter 'replace': {record_type.name} has no sublist '{name}'.",
                    "replace",
                )
        changes = Changes({}, {})
        for name, value in payload.items():
            if name in ("links", "id", "refName"):
                continue
            if name.lower() == "externalid":
                if value is not None and (not isinstance(value, str | int) or isinstance(value, bool)):
                    raise invalid_content("externalId must be text.", "externalId")
                changes.external_id = None if value is None or value == "" else str(value)
                continue
            sublist = record_type.sublist(name)
            if sublist is not None:
                changes.sublists[sublist.name] = self._parse_lines(record_type, sublist, value)
                continue
            field = record_type.field(name)
            if field is None:
                raise nonexistent_field(record_type.name, name)
            if field.readonly:
                continue  # NetSuite ignores values sent for read-only fields
            changes.fields[field.name] = coerce(field, value, field.name)
        return changes

    def _parse_lines(
        self, record_type: RecordType, sublist: Sublist, value: Any
    ) -> list[dict[str, Any]] | None:
        if not isinstance(value, dict) or "items" not in value:
            raise invalid_content(
                f'The sublist {sublist.name} must be sent as {{"items": [...]}}.', sublist.name
            )
        items = value["items"]
        if items is None:
            return None
        if not isinstance(items, list):
            raise invalid_content(f"{sublist.name}.items must be a list.", f"{sublist.name}.items")
        lines = []
        for index, item in enumerate(items):
            prefix = f"{sublist.name}.items[{index}]"
            if not isinstance(item, dict):
                raise invalid_content("A sublist line must be a JSON object.", prefix)
            line: dict[str, Any] = {}
            for name, raw in item.items():
                if name in ("links", "refName"):
                    continue
                field = sublist.field(name)
                if field is None:
                    raise nonexistent_field(record_type.name, f"{prefix}.{name}")
                if field.readonly and field.name != sublist.key:
                    continue
                line[field.name] = coerce(field, raw, f"{prefix}.{field.name}")
            lines.append(line)
        return lines

    # -- the work --------------------------------------------------------------------------------

    def _existing(self, connection: sqlite3.Connection, record_type: RecordType, record_id: int) -> Row:
        row = self.store.load(record_type.table, record_id, connection)
        if row is None or row.recordtype != record_type.name:
            raise not_found_record(record_type.name, str(record_id))
        return row

    def _create(
        self,
        connection: sqlite3.Connection,
        record_type: RecordType,
        changes: Changes,
        *,
        record_id: int | None = None,
    ) -> int:
        external_id = None if changes.external_id is _ABSENT else changes.external_id
        self._check_external_id(connection, record_type, external_id, record_id)
        new_id = record_id if record_id is not None else self.store.next_id(connection, record_type.table)
        body: dict[str, Any] = {}
        self._apply(connection, record_type, body, changes, replace=set())
        stamp = now_text()
        context = WriteContext(connection, self.store, record_type, new_id, body, None, stamp)
        rules.prepare(context)
        _check_required(record_type, body)
        self.store.save(
            connection,
            record_type,
            new_id,
            body,
            external_id=external_id,
            created=stamp,
            modified=stamp,
            insert=record_id is None,
        )
        rules.after_save(context)
        return new_id

    def _update(
        self,
        connection: sqlite3.Connection,
        record_type: RecordType,
        row: Row,
        changes: Changes,
        replace: set[str],
    ) -> None:
        external_id = row.externalid if changes.external_id is _ABSENT else changes.external_id
        if external_id != row.externalid:
            self._check_external_id(connection, record_type, external_id, row.id)
        body = {key: (list(value) if isinstance(value, list) else value) for key, value in row.body.items()}
        self._apply(connection, record_type, body, changes, replace=replace)
        stamp = now_text()
        context = WriteContext(connection, self.store, record_type, row.id, body, row.body, stamp)
        rules.prepare(context)
        _check_required(record_type, body)
        self.store.save(
            connection,
            record_type,
            row.id,
            body,
            external_id=external_id,
            created=row.datecreated,
            modified=stamp,
            insert=False,
        )
        rules.after_save(context)

    def _check_external_id(
        self,
        connection: sqlite3.Connection,
        record_type: RecordType,
        external_id: str | None,
        own_id: int | None,
    ) -> None:
        if external_id is None:
            return
        found = self.store.id_for_external_id(record_type.table, (record_type.name,), external_id, connection)
        if found is not None and found != own_id:
            raise user_error(
                f"A {record_type.title} record with the external ID '{external_id}' already exists "
                f"(internal ID {found}). External IDs are unique per record type.",
                "externalId",
            )

    def _apply(
        self,
        connection: sqlite3.Connection,
        record_type: RecordType,
        body: dict[str, Any],
        changes: Changes,
        *,
        replace: set[str],
    ) -> None:
        for name, value in changes.fields.items():
            field = record_type.field(name)
            assert field is not None
            value = self._resolve(connection, field, value)
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        for name, lines in changes.sublists.items():
            sublist = record_type.sublist(name)
            assert sublist is not None
            resolved = (
                None
                if lines is None
                else [
                    {
                        key: self._resolve(connection, _line_field(sublist, key), value)
                        for key, value in line.items()
                    }
                    for line in lines
                ]
            )
            merged = _merge_lines(
                sublist, body.get(sublist.name) or [], resolved, sublist.name.lower() in replace
            )
            if merged:
                body[sublist.name] = merged
            else:
                body.pop(sublist.name, None)

    def _resolve(self, connection: sqlite3.Connection, field: Field, value: Any) -> Any:
        if not isinstance(value, Reference):
            return value
        allowed = field.ref_types or tuple(t.name for t in self.store.catalog.in_table(field.target))
        if value.id is not None:
            found = connection.execute(
                f"SELECT recordtype FROM ns_{field.target} WHERE id = ?", (value.id,)
            ).fetchone()
            if found is None or found[0] not in allowed:
                raise invalid_ref(value.path)
            return value.id
        assert value.external_id is not None
        record_id = self.store.id_for_external_id(field.target, allowed, value.external_id, connection)
        if record_id is None:
            raise invalid_ref(value.path)
        return record_id


def _line_field(sublist: Sublist, name: str) -> Field:
    field = sublist.field(name)
    assert field is not None
    return field


def _line_key(sublist: Sublist, line: dict[str, Any]) -> Any:
    return line.get(sublist.key) if sublist.key else None


def _merge_lines(
    sublist: Sublist, existing: list[dict[str, Any]], incoming: list[dict[str, Any]] | None, replace: bool
) -> list[dict[str, Any]]:
    if incoming is None:
        return []
    key_field = sublist.field(sublist.key) if sublist.key else None
    numbered = key_field is not None and key_field.kind == "int"
    result = [] if replace else [dict(line) for line in existing]
    by_key = {_line_key(sublist, line): line for line in existing} if key_field is not None else {}
    next_number = (
        max((int(line.get(sublist.key) or 0) for line in existing), default=0) + 1 if numbered else 0
    )
    for line in incoming:
        key = _line_key(sublist, line)
        if key is not None and key in by_key:
            merged = {**by_key[key], **line}
            # An amount follows quantity x rate unless it is sent itself (and then the rate follows it).
            if ("quantity" in line or "rate" in line) and "amount" not in line:
                merged.pop("amount", None)
            elif "amount" in line and "rate" not in line:
                merged.pop("rate", None)
            merged = {name: value for name, value in merged.items() if value is not None}
            position = next((i for i, old in enumerate(result) if _line_key(sublist, old) == key), None)
            if position is None:
                result.append(merged)
            else:
                result[position] = merged
            continue
        fresh = {name: value for name, value in line.items() if value is not None}
        if numbered and sublist.keep_key and isinstance(key, int) and key > 0:
            next_number = max(next_number, key + 1)
        elif numbered:
            fresh[sublist.key] = next_number
            next_number += 1
        result.append(fresh)
    return result


def _check_required(record_type: RecordType, body: dict[str, Any]) -> None:
    missing = [field for field in record_type.fields if field.required and body.get(field.name) in (None, "")]
    if missing:
        raise user_error(
            "Please enter value(s) for: " + ", ".join(field.title for field in missing), missing[0].name
        )
    for sublist in record_type.sublists:
        lines = body.get(sublist.name) or []
        if sublist.required and not lines:
            raise user_error(
                f"You must enter at least one line item for this transaction ({sublist.name}).", sublist.name
            )
        for index, line in enumerate(lines):
            for field in sublist.fields:
                if field.required and line.get(field.name) in (None, ""):
                    raise user_error(
                        f"Please enter value(s) for: {field.title}",
                        f"{sublist.name}.items[{index}].{field.name}",
                    )


__all__ = ["RecordWriter", "Changes", "NetSuiteError"]
