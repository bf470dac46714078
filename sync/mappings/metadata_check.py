"""A mapping checked against what the connected systems describe: per row, as it is typed.

:func:`mapping_metadata_problems` checks each row of a spec against the cached metadata of both sides
(Salesforce describe, NetSuite's metadata catalog; see :mod:`sync.connections.metadata.types`):

- the source path resolves to a field of the org, walking the graph's relationships (``Account.X``
  through the opportunity's ``AccountId``, ``primary_quote`` through ``SBQQ__Quotes2__r``, its lines,
  ``SBQQ__Product__r.X`` to ``Product2``, ``OpportunityContactRoles`` and their ``Contact.X``), and so do
  the paths in conditions and transform options;
- its type fits the target's, after the row's transforms (a ``lookup`` gives an id, ``to_number`` a
  number, ``date_format`` a date...);
- the target exists on the NetSuite record type and can be written when the row writes it (create,
  update);
- every field NetSuite requires on a record type the mapping creates is mapped;
- constants and ``value_map`` values fit the target's picklist (enum), and a ``value_map``'s keys the
  source's picklist.

Each problem names the object mapping and the row and says what to change. ``error`` refuses
submitting and publishing; ``warning`` and ``info`` are shown and do not. A row marked ``optional``
whose field one side lacks is skipped there (the query leaves its source out, the payload its target):
that is ``info``, not an error. A side whose metadata was never read is not checked, and one ``info``
problem says so. Django-free, so bench/mapping_metadata.py can time it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.connections.metadata.types import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    MULTIPICKLIST,
    NUMBER,
    OBJECT,
    OTHER,
    PICKLIST,
    REFERENCE,
    SUBLIST,
    TEXT,
    FieldInfo,
    ObjectInfo,
    SystemMetadata,
)
from sync.mappings.engine.problems import SpecProblem
from sync.mappings.engine.reads import SECTION_OBJECTS, SECTION_VIA, FieldRead, row_label, spec_reads

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
ANY = "any"  # a value whose type the check cannot know (a lookup's id, an "if" transform's branch)

# What a transform makes of its input: a type, or None for "the same type as its input".
TRANSFORM_OUTPUT: dict[str, str | None] = {
    "lookup": ANY,
    "dynamic_lookup": ANY,
    "value_map": ANY,
    "if": ANY,
    "default": None,
    "to_number": NUMBER,
    "round": NUMBER,
    "currency_precision": NUMBER,
    "multiply": NUMBER,
    "to_integer": INTEGER,
    "to_boolean": BOOLEAN,
    "date_format": DATE,
    "datetime_format": DATETIME,
    "to_timezone": DATETIME,
    "trim": TEXT,
    "upper": TEXT,
    "lower": TEXT,
    "title": TEXT,
    "truncate": TEXT,
    "prefix": TEXT,
    "suffix": TEXT,
    "replace": TEXT,
    "split": TEXT,
    "to_string": TEXT,
    "concat": TEXT,
}
_NUMERIC = (NUMBER, INTEGER)
_TEXTUAL = (TEXT, PICKLIST, MULTIPICKLIST, ID)
# Targets never mapped by a row: the upsert sets externalId, NetSuite sets id.
_SET_BY_CONCORD = {"id", "externalid"}
# Org-shape facts worth saying when a field is missing (API-FACTS.md, "Metadata").
_SHAPE_HINTS = {
    "currencyisocode": "CurrencyIsoCode exists only in multi-currency orgs",
    "subsidiary": "only OneWorld accounts have subsidiaries",
}


@dataclass(frozen=True)
class MetadataProblem(SpecProblem):
    """A :class:`SpecProblem` found against metadata, with its severity (error, warning, info)."""

    severity: str = ERROR

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.severity == ERROR else f"{self.severity.capitalize()}: {text}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def metadata_errors(problems: Iterable[SpecProblem]) -> list[SpecProblem]:
    """The problems that refuse a submit or a publish (errors; warnings and information do not)."""
    return [problem for problem in problems if getattr(problem, "severity", ERROR) == ERROR]


def known(metadata: SystemMetadata | None) -> SystemMetadata | None:
    """``metadata`` when it was ever read (it has objects), else None."""
    return metadata if metadata is not None and metadata.objects else None


# -- resolving paths --------------------------------------------------------------------------------------


CURRENCY_FIELD = "CurrencyIsoCode"


def is_currency_field(path: str) -> bool:
    """Whether ``path`` (``Account.CurrencyIsoCode``) ends in the record currency field."""
    return path.rsplit(".", 1)[-1].lower() == CURRENCY_FIELD.lower()


def supplied_currency_field(currency: str) -> FieldInfo:
    """``CurrencyIsoCode`` as Concord supplies it in a single-currency org: read-only, its one value."""
    return FieldInfo(
        CURRENCY_FIELD,
        "Currency ISO Code (supplied: the org's one currency)",
        PICKLIST,
        "picklist",
        nillable=False,
        createable=False,
        updateable=False,
        picklist=(currency,),
        length=3,
    )


def salesforce_field(metadata: SystemMetadata, section: str, path: str) -> tuple[FieldInfo | None, str]:
    """The field ``path`` (``Contact.Email``) names in graph ``section``, or (None, why not).

    In a single-currency org ``CurrencyIsoCode`` does not exist, but its value is known (the org's one
    currency): Concord supplies it (the query leaves it out), so it resolves to
    :func:`supplied_currency_field` wherever the object it is read on exists."""
    if metadata.supplied_currency and is_currency_field(path):
        found, why = _salesforce_field(metadata, section, path)
        if found is None and f"has no field {CURRENCY_FIELD}".lower() in why.lower():
            return supplied_currency_field(metadata.supplied_currency), ""
        return found, why
    return _salesforce_field(metadata, section, path)


def _salesforce_field(metadata: SystemMetadata, section: str, path: str) -> tuple[FieldInfo | None, str]:
    name = SECTION_OBJECTS.get(section, "")
    obj = metadata.object(name)
    if obj is None:
        hint = f" ({_NO_CPQ})" if name.startswith("SBQQ__") else ""
        return None, f"the org has no {name} object{hint}"
    parts = path.split(".")
    for part in parts[:-1]:
        link = obj.relationship(part)
        if link is None:
            return None, f"{obj.name} has no relationship {part}"
        target = metadata.object(link.reference_to[0]) if link.reference_to else None
        if target is None:
            pointed = link.reference_to[0] if link.reference_to else "another object"
            return None, f"{obj.name}.{part} points to {pointed}, which the org's metadata does not describe"
        obj = target
    found = obj.field(parts[-1])
    if found is None:
        return None, f"{obj.name} has no field {parts[-1]}"
    return found, ""


def target_field(record: ObjectInfo, segments: Iterable[str]) -> tuple[FieldInfo | None, str]:
    """The field a target path writes on ``record`` (``currency.id`` writes ``currency``; ``item.items[]``
    the ``item`` sublist; ``addressBook.items[0].addressBookAddress.addr1`` the ``addressBookAddress`` line
    field), or (None, why not). Inside a reference or a structured value, deeper names are not checked."""
    names = [name for name in segments if name]
    if not names:
        return None, "an empty target"
    found = record.field(names[0])
    if found is None:
        return None, f"NetSuite {record.name} records have no field {names[0]}"
    rest = names[1:]
    if found.type == SUBLIST and rest[:1] == ["items"] and len(rest) > 1:
        line = sublist_field(found, rest[1])
        if line is None and found.sublist_fields:
            return None, f"the {found.name} sublist of {record.name} has no field {rest[1]}"
        return line or found, ""
    return found, ""


def sublist_field(sublist: FieldInfo, name: str) -> FieldInfo | None:
    """The line field ``name`` of a NetSuite sublist (exact, then case-insensitive), or None."""
    found = sublist.sublist_fields.get(name)
    if found is None:
        lowered = name.lower()
        found = next((f for key, f in sublist.sublist_fields.items() if key.lower() == lowered), None)
    return found


def _segments(target: str) -> list[str]:
    return [part.split("[", 1)[0] for part in target.split(".") if part]


# How a read is named in a problem, by its role (see FieldRead.role).
_ROLES = {"concat": " (a part of its value)", "condition": " (in a condition)", "external_id": ""}
_NO_CPQ = "Salesforce CPQ is not installed"
_NO_CPQ_ADVICE = (
    "It reads the primary CPQ quote, which this org cannot have: map the value from the opportunity "
    "instead (its fields, or its products), or remove the row; without CPQ, remove the object mappings "
    "that exist only for CPQ packages (subscription plans, subscriptions)"
)


def _role_text(role: str) -> str:
    return _ROLES.get(role, f" (its {role} option)" if "." in role else "")


def _advice(read: FieldRead) -> str:
    """What to change for a read of a field the org lacks: for CurrencyIsoCode (an org whose currencies
    are not known yet: metadata read before Concord learnt them), a refresh, after which Concord supplies
    a single-currency org's one currency; else create the field, mark the row optional, or remove it."""
    if is_currency_field(read.field):
        return (
            "Refresh the connection's metadata: Concord then learns whether the org is single-currency and "
            "supplies its one currency wherever the mapping reads it (no mapping edit)"
        )
    where = "the row" if read.row else "this object mapping"
    return (
        "Create the field in Salesforce (or correct the API name) and refresh the connection's metadata, "
        f"mark {where} optional to skip it where the org lacks the field, or remove it"
    )


# -- the check ---------------------------------------------------------------------------------------------


def mapping_metadata_problems(
    spec: Mapping[str, Any], source: SystemMetadata | None, target: SystemMetadata | None
) -> list[MetadataProblem]:
    """Every problem of ``spec`` against the source side's and target side's metadata (see the module
    docstring). ``source``/``target`` None, or never read, skips that side's checks and says so once."""
    check = _Check(spec, known(source), known(target))
    return check.run(source_given=source is not None, target_given=target is not None)


class _Check:
    def __init__(self, spec: Mapping[str, Any], source: SystemMetadata | None, target: SystemMetadata | None):
        self.spec = spec
        self.source = source
        self.target = target
        self.forward = spec.get("target_system", "netsuite") == "netsuite"
        self.target_name = "NetSuite" if self.forward else "Salesforce"
        self.problems: list[MetadataProblem] = []

    def add(self, severity: str, object_key: str, row: str, target: str, message: str) -> None:
        self.problems.append(MetadataProblem(object_key, row, target, message, severity))

    def run(self, *, source_given: bool, target_given: bool) -> list[MetadataProblem]:
        names = ("Salesforce", "NetSuite") if self.forward else ("NetSuite", "Salesforce")
        for side, given, name in (
            (self.source, source_given, names[0]),
            (self.target, target_given, names[1]),
        ):
            if side is None:
                why = "read yet: refresh the connection" if given else "available: no sandbox connection"
                self.add(INFO, "", "", "", f"{name} metadata not {why}; its checks were skipped")
        sources = self._source_types() if self.source is not None and self.forward else {}
        objects = [obj for obj in self.spec.get("objects") or [] if isinstance(obj, Mapping)]
        for obj in objects:
            self._object(obj, sources)
        return self.problems

    # -- sources ---------------------------------------------------------------------------------------

    def _source_types(self) -> dict[tuple[str, str], list[tuple[FieldRead, FieldInfo | None]]]:
        """(object key, row) -> its reads, each resolved (None: missing, reported here)."""
        if self.source is None:
            return {}
        found: dict[tuple[str, str], list[tuple[FieldRead, FieldInfo | None]]] = {}
        cache: dict[tuple[str, str], tuple[FieldInfo | None, str]] = {}
        for read in spec_reads(self.spec):
            marker = (read.section, read.field.lower())
            if marker not in cache:
                cache[marker] = salesforce_field(self.source, read.section, read.field)
            info, why = cache[marker]
            found.setdefault((read.object_key, read.row), []).append((read, info))
            if info is None:
                self._missing_source(read, why)
        supplied = self.source.supplied_currency
        if supplied and any(is_currency_field(read.field) for read in spec_reads(self.spec)):
            self.add(
                INFO,
                "",
                "",
                "",
                f"the org is single-currency ({supplied}): where this mapping reads {CURRENCY_FIELD}, "
                f"Concord supplies {supplied} (the query leaves the field out); no mapping edit is needed",
            )
        return found

    def _missing_source(self, read: FieldRead, why: str) -> None:
        shown = f"{SECTION_OBJECTS[read.section]}.{read.field}"
        via = f" (read through {SECTION_VIA[read.section]})" if read.section in SECTION_VIA else ""
        hint = _SHAPE_HINTS.get(read.field.rsplit(".", 1)[-1].lower())
        hint_text = f" ({hint})" if hint else ""
        if read.optional:
            self.add(
                INFO,
                read.object_key,
                read.row,
                "",
                f"optional: skipped in this org, which lacks {shown}{hint_text}",
            )
            return
        self.add(
            ERROR,
            read.object_key,
            read.row or read.path,
            "",
            f"reads {read.path!r}{_role_text(read.role)}, but {why}{via}{hint_text}. "
            + (_NO_CPQ_ADVICE if _NO_CPQ in why else _advice(read)),
        )

    # -- objects and rows --------------------------------------------------------------------------------

    def _object(self, obj: Mapping[str, Any], sources: Mapping[tuple[str, str], Any]) -> None:
        key = str(obj.get("key") or "")
        record: ObjectInfo | None = None
        if self.target is not None:
            record = self.target.object(str(obj.get("target") or ""))
            if record is None:
                system = self.target_name
                self.add(
                    ERROR,
                    key,
                    "",
                    str(obj.get("target") or ""),
                    f"{system} has no record type {obj.get('target')!r} (or the connection's role cannot see "
                    f"it): correct 'target', or give the integration role access and refresh the metadata",
                )
        mode = str(obj.get("mode") or "upsert")
        mapped = {
            _segments(str(row.get("target") or ""))[0].lower()
            for row in obj.get("fields") or []
            if isinstance(row, Mapping) and _segments(str(row.get("target") or ""))
        }
        self._rows(key, obj.get("fields") or [], "", None, record, mode, sources)
        if record is not None and mode != "update_only":
            self._required(key, record, mapped)

    def _rows(
        self,
        key: str,
        rows: Iterable[Any],
        prefix: str,
        within: FieldInfo | None,
        record: ObjectInfo | None,
        mode: str,
        sources: Mapping[tuple[str, str], Any],
    ) -> None:
        """Check ``rows`` (``within``: the sublist a group's rows write into); groups' rows recursively."""
        for position, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                continue
            label = row_label(row, position, prefix)
            field = self._row(key, label, row, within, record, mode, sources)
            if isinstance(row.get("each"), str):
                inner = field if field is not None and field.type == SUBLIST else None
                self._rows(
                    key, row.get("fields") or [], label, inner, record if inner else None, mode, sources
                )

    def _row(
        self,
        key: str,
        label: str,
        row: Mapping[str, Any],
        within: FieldInfo | None,
        record: ObjectInfo | None,
        mode: str,
        sources: Mapping[tuple[str, str], Any],
    ) -> FieldInfo | None:
        """Check one row; returns its target field (None when unknown or wrong)."""
        target = str(row.get("target") or "")
        field: FieldInfo | None = None
        if record is not None:
            field = self._target(key, label, row, within, record, mode, target)
        if "each" in row or field is None:
            return field
        reads = sources.get((key, label)) or []
        source_type = self._value_type(row, reads)
        if source_type is not None:
            self._fits(key, label, target, source_type, field)
        self._values(key, label, target, row, field, reads)
        return field

    def _target(
        self,
        key: str,
        label: str,
        row: Mapping[str, Any],
        within: FieldInfo | None,
        record: ObjectInfo,
        mode: str,
        target: str,
    ) -> FieldInfo | None:
        """The target field of a row (None, with a problem, when it cannot be written as the row says)."""
        segments = _segments(target)
        if within is not None:
            line = sublist_field(within, segments[0]) if segments else None
            field, why = (
                (line, "")
                if line is not None
                else (None, f"the {within.name} sublist has no field {segments[0] if segments else ''}")
            )
            if field is None and not within.sublist_fields:
                return None  # the catalog did not describe the sublist's lines: nothing to check against
        else:
            field, why = target_field(record, segments)
        if field is None and within is None and self._currency_left_out(key, label, target, segments):
            return None
        if field is None:
            if row.get("optional") is True:
                self.add(INFO, key, label, target, f"optional: not sent to this account ({why})")
            else:
                hint = _SHAPE_HINTS.get(segments[0].lower()) if segments else None
                self.add(
                    ERROR,
                    key,
                    label,
                    target,
                    f"{why}{f' ({hint})' if hint else ''}: correct the target (pick it from the field list), "
                    "mark the row optional to skip it where the account lacks the field, or remove the row",
                )
            return None
        if field.type == SUBLIST and "each" not in row and segments[1:2] != ["items"]:
            self.add(
                ERROR, key, label, target, f"{field.name} is a sublist: map its lines with a group (each)"
            )
            return None
        create_only = row.get("apply") == "create_only" or row.get("owner") == "netsuite"
        if not field.createable and not field.updateable:
            self.add(ERROR, key, label, target, f"{field.name} is read-only in NetSuite: remove the row")
        elif (create_only or mode == "create_only") and not field.createable:
            self.add(
                ERROR,
                key,
                label,
                target,
                f"{field.name} cannot be set when a record is created, and this row writes it on create "
                "only: "
                "set 'apply' to always (it is then written on updates)",
            )
        elif not create_only and mode != "create_only" and not field.updateable:
            self.add(
                WARNING if mode == "upsert" else ERROR,
                key,
                label,
                target,
                f"{field.name} cannot be changed once the record exists: set 'apply' to create_only",
            )
        return field

    def _currency_left_out(self, key: str, label: str, target: str, segments: list[str]) -> bool:
        """A return flow's row writing ``CurrencyIsoCode`` to a single-currency org: left out, said once
        as info (the return flow refuses a record in another currency)."""
        supplied = self.target.supplied_currency if self.target is not None and not self.forward else ""
        if not (supplied and segments and is_currency_field(segments[0])):
            return False
        self.add(
            INFO,
            key,
            label,
            target,
            f"the org is single-currency ({supplied}): {CURRENCY_FIELD} is not written (every record is in "
            f"{supplied}); a NetSuite record in another currency is an exception, never a write in the "
            "wrong currency",
        )
        return True

    def _required(self, key: str, record: ObjectInfo, mapped: set[str]) -> None:
        for field in record.fields.values():
            if (
                field.required
                and field.name.lower() not in mapped
                and field.name.lower() not in _SET_BY_CONCORD
            ):
                self.add(
                    ERROR,
                    key,
                    "",
                    field.name,
                    f"{self.target_name} requires {field.label or field.name} ({field.name}) on "
                    f"{record.name} records and "
                    f"no row maps it: add a row with target {field.name}"
                    + (".id" if field.type == REFERENCE else ""),
                )

    # -- types and values ----------------------------------------------------------------------------------

    def _value_type(
        self, row: Mapping[str, Any], reads: list[tuple[FieldRead, FieldInfo | None]]
    ) -> str | None:
        """The type of the value the row sends, after its transforms; None when it cannot be known."""
        if "constant" in row:
            kind: str | None = _json_type(row.get("constant"))
        elif "ref" in row:
            kind = REFERENCE
        elif "concat" in row:
            kind = TEXT
        elif isinstance(row.get("source"), str):
            kind = next(
                (info.type for read, info in reads if info is not None and read.path == row["source"]), None
            )
        else:
            kind = None
        for item in row.get("transforms") or []:
            name = item if isinstance(item, str) else item.get("fn") if isinstance(item, Mapping) else None
            output = TRANSFORM_OUTPUT.get(str(name), ANY)
            if output is not None:
                kind = output
        return kind

    def _fits(self, key: str, label: str, target: str, kind: str, field: FieldInfo) -> None:
        wanted = field.type
        if kind == ANY or wanted in (OTHER, OBJECT, ANY) or kind == wanted:
            return
        verdict = _fit(kind, wanted, reference=target.endswith(".id"))
        if verdict is None:
            return
        severity, advice = verdict
        self.add(severity, key, label, target, f"a {kind} value into {field.name} ({wanted}): {advice}")

    def _values(
        self,
        key: str,
        label: str,
        target: str,
        row: Mapping[str, Any],
        field: FieldInfo,
        reads: list[tuple[FieldRead, FieldInfo | None]],
    ) -> None:
        chain = [item for item in row.get("transforms") or [] if isinstance(item, Mapping | str)]
        allowed = set(field.picklist)
        if "constant" in row and allowed and not chain:
            value = row.get("constant")
            if isinstance(value, str) and value not in allowed:
                self.add(
                    ERROR,
                    key,
                    label,
                    target,
                    f"{value!r} is not one of {field.name}'s values ({_listed(field.picklist)}): "
                    "pick one of them",
                )
        maps = [item for item in chain if isinstance(item, Mapping) and item.get("fn") == "value_map"]
        for position, item in enumerate(maps):
            given = item.get("map")
            table: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            last = position == len(maps) - 1 and chain and chain[-1] is item
            if allowed and last:
                wrong = sorted(str(v) for v in table.values() if isinstance(v, str) and v not in allowed)
                if wrong:
                    self.add(
                        ERROR,
                        key,
                        label,
                        target,
                        f"the value map gives {_listed(wrong)}, not among {field.name}'s values "
                        f"({_listed(field.picklist)}): change those values",
                    )
            sources = [info for _, info in reads if info is not None and info.picklist]
            if position == 0 and len(sources) == 1 and "source" in row:
                offered = sources[0].picklist
                unknown = sorted(str(k) for k in table if k not in offered)
                if unknown:
                    self.add(
                        WARNING,
                        key,
                        label,
                        target,
                        f"the value map's keys {_listed(unknown)} are not values of {sources[0].name} "
                        f"({_listed(offered)}): they never match; correct them",
                    )
                uncovered = [value for value in offered if value not in table]
                if uncovered and "default" not in item and "on_missing" not in item:
                    self.add(
                        WARNING,
                        key,
                        label,
                        target,
                        f"{sources[0].name} may hold {_listed(uncovered)}, which the value map does not "
                        "translate (the record would fail): add them to the map, or give a default",
                    )


def _fit(kind: str, wanted: str, *, reference: bool) -> tuple[str, str] | None:
    """(severity, what to change) when a ``kind`` value does not fit a ``wanted`` target, else None."""
    if wanted == REFERENCE or reference:
        return None if kind in (REFERENCE, ID, *_NUMERIC) else _NOT_AN_ID
    rule = _FITS.get(wanted)
    if rule is None:
        return None
    fits, near, advice_near, advice_far = rule
    if kind in fits:
        return None
    return advice_near if kind in near and advice_near is not None else advice_far


_NOT_AN_ID = (WARNING, "a NetSuite reference takes an internal id: add a lookup transform (name -> id)")
_NUMBER_FIT = (
    _NUMERIC,
    _TEXTUAL,
    (ERROR, "add a to_number transform"),
    (ERROR, "map a numeric field instead"),
)
_DATE_FIT = (
    (DATE, DATETIME),
    _TEXTUAL,
    (WARNING, "add a date_format transform so the text is read as a date"),
    (ERROR, "map a date field instead"),
)
_CHOICE_FIT = (_TEXTUAL, (), None, (WARNING, "add a value_map to one of the field's values"))
_SINGLE = tuple(kind for kind in (TEXT, NUMBER, INTEGER, BOOLEAN, DATE, DATETIME, *_TEXTUAL, REFERENCE))
_TEXT_FIT = (_SINGLE, (), None, (ERROR, "map a single value, not a list"))
# Target type -> (source types that fit, types that fit after a transform, advice for those, otherwise).
_FITS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, str] | None, tuple[str, str]]] = {
    NUMBER: _NUMBER_FIT,
    INTEGER: _NUMBER_FIT,
    DATE: _DATE_FIT,
    DATETIME: _DATE_FIT,
    BOOLEAN: (
        (BOOLEAN,),
        _TEXTUAL,
        (WARNING, "add a to_boolean transform"),
        (ERROR, "map a checkbox (true/false) field instead"),
    ),
    PICKLIST: _CHOICE_FIT,
    MULTIPICKLIST: _CHOICE_FIT,
    TEXT: _TEXT_FIT,
    ID: _TEXT_FIT,
}


def _json_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return ID if value.isdigit() else TEXT  # "107": an internal id given as a constant
    return None


def _listed(values: Iterable[str], limit: int = 8) -> str:
    items = list(values)
    shown = ", ".join(repr(value) for value in items[:limit])
    return shown + (", …" if len(items) > limit else "")
