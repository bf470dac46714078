"""Exception titles written for finance, built where the pipeline reports a failed opportunity.

The engine says where a problem is in its own terms: ``customer / subsidiary / subsidiary.id: no 'FR' in
lookup table 'country_to_subsidiary'`` (object mapping, field row, target path, then what went wrong).
That stays with the exception (its vendor message, error path and mapping row) for whoever edits the
mapping; the title says it as the people working the queue do: "Account Acme SARL: no NetSuite subsidiary
for billing country FR". It needs what the engine does not carry: the record's name (from the graph the
sync read) and the field it read (from the mapping spec that ran), so the runner hands both over
(:class:`TitleContext`). Without them, or for a problem these words do not cover, the title names the
opportunity and says the problem without the engine path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.labels import spelled_out

TITLE_LIMIT = 200
_LOOKUP_MISS = re.compile(r"^no (?P<value>.+) in lookup table '(?P<table>[^']+)'$")
_VALUE_MAP_MISS = re.compile(r"^(?P<value>.+) is not in the value map")
_DYNAMIC_MISS = re.compile(r"^(?P<source>[\w.]+): nothing found for (?P<value>.+)$")
_EMPTY = ("required value is empty", "the external id is empty")
_SYSTEMS = {"netsuite": "NetSuite", "salesforce": "Salesforce"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Salesforce fields whose name, spelled out, is not what people call them.
_FIELD_WORDS = {"CurrencyIsoCode": "currency"}


@dataclass(frozen=True)
class TitleContext:
    """What the sync had at hand when the record failed: the opportunity graph it read from Salesforce
    and the mapping spec it ran."""

    graph: Mapping[str, Any]
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class FailedRow:
    """Where the engine says a mapping problem is, and the problem's own message."""

    object_key: str
    field_id: str
    source_id: str
    message: str  # the engine's message, path included ("customer / subsidiary / subsidiary.id: no ...")


def opportunity_subject(opportunity_id: str, context: TitleContext | None) -> str:
    """ "Opportunity Acme renewal 2027" when the graph names it, else "Opportunity 006..."."""
    name = _text((context.graph if context else {}).get("Name"))
    return f"Opportunity {name}" if name else f"Opportunity {opportunity_id}"


def problem_of(message: str) -> str:
    """The first problem of an engine message without its path: ``"customer / subsidiary /
    subsidiary.id: no 'FR' in ..."`` -> ``"no 'FR' in ..."`` (several problems are joined by "; ")."""
    first = message.split("; ", 1)[0]
    where, sep, what = first.partition(": ")
    return what if sep and " / " in where else first


def mapping_failure_title(row: FailedRow, context: TitleContext | None, opportunity_id: str) -> str:
    """The finance title of a record that could not be mapped (see the module docstring)."""
    problem = problem_of(row.message)
    obj = _object_spec(context, row.object_key)
    if context is None or obj is None:
        return _cut(f"{opportunity_subject(opportunity_id, context)}: {problem}")
    subject = _subject(obj, context, row.source_id) or opportunity_subject(opportunity_id, context)
    field = _field_spec(obj, row.field_id)
    system = _SYSTEMS.get(str(context.spec.get("target_system", "")).lower(), "NetSuite")
    target = _target_words(field, obj, row.field_id)
    source = _source_words(field)
    for pattern in (_LOOKUP_MISS, _VALUE_MAP_MISS, _DYNAMIC_MISS):
        found = pattern.match(problem)
        if found:
            value = _unquoted(found.group("value"))
            read = f"{source} {value}" if source else value
            return _cut(f"{subject}: no {system} {target} for {read}")
    if problem in _EMPTY:
        missing = source or target
        return _cut(f"{subject}: no {missing} (the {system} {target} needs one)")
    return _cut(f"{subject}: {system} {target}: {problem}")


def _object_spec(context: TitleContext | None, key: str) -> Mapping[str, Any] | None:
    if context is None or not key:
        return None
    for obj in context.spec.get("objects") or ():
        if isinstance(obj, Mapping) and obj.get("key") == key:
            return obj
    return None


def _field_spec(obj: Mapping[str, Any], field_id: str) -> Mapping[str, Any] | None:
    fields = [f for f in obj.get("fields") or () if isinstance(f, Mapping)]
    for field in fields:
        if field.get("id") == field_id:
            return field
    if field_id.startswith("#") and field_id[1:].isdigit():  # a row without an id, by its position
        position = int(field_id[1:])
        return fields[position] if 0 <= position < len(fields) else None
    return None


def _subject(obj: Mapping[str, Any], context: TitleContext, source_id: str) -> str:
    """The record the object mapping read, by kind and name: "Account Acme SARL"."""
    path = str(obj.get("source_path") or "")
    if path:  # a record of the graph: "Account"
        record = _at(context.graph, path)
        kind = spelled_out(path.split(".")[-1]) if "_" in path else path.split(".")[-1]
        return _named(kind, record, source_id)
    if obj.get("for_each"):  # one of a list: a contact role, a quote line
        items = _at(context.graph, str(obj["for_each"]))
        records = items.get("records") if isinstance(items, Mapping) else items
        record = next(
            (r for r in records or () if isinstance(r, Mapping) and _text(r.get("Id")) == source_id), None
        )
        return _named(spelled_out(obj.get("key")), record, source_id)
    return ""  # the opportunity itself


def _named(kind: str, record: Any, source_id: str) -> str:
    name = ""
    if isinstance(record, Mapping):
        name = _text(record.get("Name"))
        if not name:  # a junction row names its record: a contact role's Contact
            name = next(
                (_text(v.get("Name")) for v in record.values() if isinstance(v, Mapping) and v.get("Name")),
                "",
            )
    return f"{kind} {name or source_id}".strip()


def _at(graph: Mapping[str, Any], path: str) -> Any:
    value: Any = graph
    for part in path.removeprefix("$.").split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _target_words(field: Mapping[str, Any] | None, obj: Mapping[str, Any], field_id: str) -> str:
    """``subsidiary.id`` -> "subsidiary"; ``addressBook.items[0].addressBookAddress.city`` -> "city"."""
    target = str((field or {}).get("target") or field_id or obj.get("target") or "")
    parts = [p for p in re.split(r"[.\[\]]", target) if p and not p.isdigit() and p not in ("id", "items")]
    last = parts[-1] if parts else target
    return " ".join(_CAMEL.sub(" ", last).lower().split())


def _source_words(field: Mapping[str, Any] | None) -> str:
    """The Salesforce field read, as words: ``BillingCountry`` -> "billing country"."""
    source = str((field or {}).get("source") or "")
    if not source:
        return ""
    if source.split(".")[-1] in _FIELD_WORDS:
        return _FIELD_WORDS[source.split(".")[-1]]
    last = source.split(".")[-1].removesuffix("__c").replace("__", "_").split("_")
    words = " ".join(_CAMEL.sub(" ", part) for part in last if part)
    return words.lower() if words != "Id" else "id"


def _unquoted(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _cut(title: str) -> str:
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"
