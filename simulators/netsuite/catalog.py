"""The account's record catalogue: record types by name, their tables, and custom fields added at run time.

Lookups are case-insensitive, as NetSuite's are (``salesorder`` and ``salesOrder`` name the same type).
Adding a custom field swaps in a new frozen :class:`RecordType`, so readers never see a half-built one.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable

from simulators.netsuite.recordtypes import all_record_types
from simulators.netsuite.schema import Field, Kind, RecordType

# Custom field id prefixes by table, as NetSuite names them (entity, body, column, item, record fields).
CUSTOM_PREFIXES = {
    "customer": "custentity",
    "contact": "custentity",
    "transaction": "custbody",
    "item": "custitem",
}
_CUSTOM_ID = re.compile(r"^(custentity|custbody|custcol|custitem|custrecord)_[a-z0-9_]{1,60}$")
CUSTOM_KINDS: tuple[Kind, ...] = ("text", "bool", "int", "float", "date", "datetime")
# The type names of NetSuite's custom field page, as the control API also accepts them.
CUSTOM_TYPE_NAMES: dict[str, Kind] = {
    "freeformtext": "text",
    "textarea": "text",
    "longtext": "text",
    "email": "text",
    "phone": "text",
    "url": "text",
    "checkbox": "bool",
    "integer": "int",
    "decimal": "float",
    "currency": "float",
    "percent": "float",
    "datetimetz": "datetime",
}


class Catalog:
    """The record types of one account.

    ``one_world=False`` is an account without OneWorld: no record has a ``subsidiary`` field, and the
    ``subsidiary`` record type is not served (:meth:`get` and :meth:`types` leave it out; its table is
    still created, so a data directory can be opened in either shape).
    """

    def __init__(self, types: Iterable[RecordType] | None = None, *, one_world: bool = True) -> None:
        self._types: dict[str, RecordType] = {}
        self._lock = threading.Lock()
        self.version = 0
        self.one_world = one_world
        self._hidden = frozenset() if one_world else frozenset({"subsidiary"})
        for record_type in types if types is not None else all_record_types():
            if not one_world and record_type.name != "subsidiary":
                record_type = _without_subsidiary(record_type)
            self._types[record_type.name.lower()] = record_type

    def get(self, name: str) -> RecordType | None:
        lowered = name.lower()
        return None if lowered in self._hidden else self._types.get(lowered)

    def types(self) -> list[RecordType]:
        return [t for key, t in self._types.items() if key not in self._hidden]

    def in_table(self, table: str) -> list[RecordType]:
        return [record_type for record_type in self._types.values() if record_type.table == table]

    def tables(self) -> list[str]:
        seen: dict[str, None] = {}
        for record_type in self._types.values():
            seen.setdefault(record_type.table, None)
        return list(seen)

    def add_custom_field(
        self, record_type_name: str, field_id: str, kind: str, *, label: str = "", sublist: str = ""
    ) -> Field:
        """Declare a custom field; raises ``ValueError`` with a reason a person can act on."""
        record_type = self.get(record_type_name)
        if record_type is None:
            raise ValueError(f"unknown record type {record_type_name!r}")
        field_id = field_id.strip().lower()
        if not _CUSTOM_ID.match(field_id):
            raise ValueError(
                "a custom field id looks like custentity_x, custbody_x, custcol_x, custitem_x "
                "or custrecord_x (lower case letters, digits, underscores)"
            )
        kind = CUSTOM_TYPE_NAMES.get(kind.lower(), kind.lower())
        if kind not in CUSTOM_KINDS:
            raise ValueError(
                f"type must be one of {', '.join(CUSTOM_KINDS)} "
                f"(or NetSuite's names: {', '.join(sorted(CUSTOM_TYPE_NAMES))})"
            )
        expected = "custcol" if sublist else CUSTOM_PREFIXES.get(record_type.table, "custrecord")
        if not field_id.startswith(expected + "_"):
            raise ValueError(f"custom fields here start with {expected}_")
        new_field = Field(field_id, kind, label=label or field_id)  # type: ignore[arg-type]
        with self._lock:
            record_type = self._types[record_type.name.lower()]
            if sublist:
                target = record_type.sublist(sublist)
                if target is None:
                    raise ValueError(f"{record_type.name} has no sublist {sublist!r}")
                if target.field(field_id) is not None:
                    raise ValueError(f"{record_type.name}.{target.name} already has a field {field_id}")
                changed = dataclasses.replace(target, fields=(*target.fields, new_field))
                sublists = tuple(changed if s.name == target.name else s for s in record_type.sublists)
                record_type = _rebuild(record_type, sublists=sublists)
            elif record_type.field(field_id) is not None:
                raise ValueError(f"{record_type.name} already has a field {field_id}")
            else:
                record_type = _rebuild(record_type, fields=(*record_type.fields, new_field))
            self._types[record_type.name.lower()] = record_type
            self.version += 1
        return new_field


def _without_subsidiary(record_type: RecordType) -> RecordType:
    if record_type.field("subsidiary") is None:
        return record_type
    return _rebuild(record_type, fields=tuple(f for f in record_type.fields if f.name != "subsidiary"))


def _rebuild(record_type: RecordType, **changes: object) -> RecordType:
    return dataclasses.replace(record_type, _by_lower={}, _sublists_by_lower={}, **changes)  # type: ignore[arg-type]
