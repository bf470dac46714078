"""How a NetSuite record type is described: body fields, sublists, references and storage.

Each REST record type (``customer``, ``salesOrder`` ...) lives in one SQLite table shaped like its
SuiteQL table (``customer``, ``transaction`` ...); several types can share a table (the item types,
the transactions), told apart by ``recordtype``. A field either has its own column (``stored``: the
indexed, hot ones) or is read from the record's JSON body, so SuiteQL can query every field either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "bool", "int", "float", "date", "datetime", "ref", "select", "country", "address"]

# Columns every table has, whatever the record type.
SYSTEM_COLUMNS = ("id", "recordtype", "externalid", "refname", "datecreated", "lastmodifieddate", "body")


@dataclass(frozen=True)
class Field:
    """A body field (or a sublist line field) of a record type."""

    name: str
    kind: Kind
    label: str = ""
    # ref: the table of the referenced records; ref_types narrows it to some record types of that table.
    target: str = ""
    ref_types: tuple[str, ...] = ()
    # select: (id, display text); for a select the stored value is the id.
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    readonly: bool = False
    # SuiteQL column: "" means name.lower(); None means not queryable.
    column: str | None = ""
    # Kept in its own SQLite column (indexed or used in hot SuiteQL filters) as well as in the body.
    stored: bool = False
    # address subrecord: its fields.
    subfields: tuple[Field, ...] = ()

    @property
    def column_name(self) -> str | None:
        if self.column is None:
            return None
        return self.column or self.name.lower()

    @property
    def title(self) -> str:
        return self.label or self.name

    def option_text(self, value: str) -> str:
        for option_id, text in self.options:
            if option_id == value:
                return text
        return value


@dataclass(frozen=True)
class Sublist:
    """A sublist (``item``, ``addressBook`` ...): lines of fields, matched on ``key`` when merged."""

    name: str
    fields: tuple[Field, ...]
    # Keyed sublists merge lines with a matching key; non-keyed ones (key "") append, as NetSuite does.
    key: str = "line"
    required: bool = False
    label: str = ""
    # A numbered key sent for a new line is kept (the subscription's line numbers follow the plan's
    # members) instead of being renumbered after the existing lines.
    keep_key: bool = False

    def field(self, name: str) -> Field | None:
        lowered = name.lower()
        for candidate in self.fields:
            if candidate.name.lower() == lowered:
                return candidate
        return None


@dataclass(frozen=True)
class RecordType:
    """One REST record type and where it lives."""

    name: str
    table: str
    fields: tuple[Field, ...]
    sublists: tuple[Sublist, ...] = ()
    # transaction.type ("SalesOrd") or item.itemtype ("InvtPart").
    type_code: str = ""
    refname: Callable[[dict[str, Any]], str] = lambda body: str(body.get("name") or "")
    label: str = ""
    _by_lower: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)
    _sublists_by_lower: dict[str, Sublist] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # NetSuite field ids are case-insensitive on input (the docs write both addressBook and addressbook).
        self._by_lower.update({f.name.lower(): f for f in self.fields})
        self._sublists_by_lower.update({s.name.lower(): s for s in self.sublists})

    def field(self, name: str) -> Field | None:
        return self._by_lower.get(name.lower())

    def sublist(self, name: str) -> Sublist | None:
        return self._sublists_by_lower.get(name.lower())

    @property
    def title(self) -> str:
        return self.label or self.name


def text(name: str, **options: Any) -> Field:
    return Field(name, "text", **options)


def boolean(name: str, **options: Any) -> Field:
    return Field(name, "bool", **options)


def number(name: str, **options: Any) -> Field:
    return Field(name, "float", **options)


def integer(name: str, **options: Any) -> Field:
    return Field(name, "int", **options)


def date(name: str, **options: Any) -> Field:
    return Field(name, "date", **options)


def datetime_field(name: str, **options: Any) -> Field:
    return Field(name, "datetime", **options)


def ref(name: str, target: str, **options: Any) -> Field:
    return Field(name, "ref", target=target, **options)


def select(name: str, options: tuple[tuple[str, str], ...], **more: Any) -> Field:
    return Field(name, "select", options=options, **more)


def common_fields() -> tuple[Field, ...]:
    """Fields every record has."""
    return (
        integer("id", readonly=True, column="id"),
        text("externalId", label="External ID", column="externalid"),
        datetime_field("dateCreated", label="Date Created", readonly=True, column="datecreated"),
        datetime_field(
            "lastModifiedDate", label="Last Modified Date", readonly=True, column="lastmodifieddate"
        ),
    )
