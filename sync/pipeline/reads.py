"""What a Closed Won batch reads from Salesforce: derived from what runs, filtered by what the org has.

Nothing here is a fixed field list. The opportunity graph's query is the union of:

- the *structure*: the ids that hold the graph together (``Id``, ``AccountId``, the contact roles'
  ``ContactId``, the quote line's ``SBQQ__Quote__c`` and ``SBQQ__Number__c`` the lines are grouped and
  ordered by) and what the trigger judges (``IsWon``, ``StageName``);
- every field the mapping reads (rows, conditions, transform options, external ids:
  :func:`sync.mappings.engine.reads.spec_reads`);
- every field the rules read (the pre-sale gate's rules: :func:`sync.rules.engine.reads.rule_paths`);
- what the write-back compares and writes (the NetSuite ids and the configured status fields);
- the trigger's checkbox field, when the flow is triggered by one;
- Account.BillingCountry, where an exception is filed when no record names a subsidiary;
- what a deal's life-cycle step reads (amendments, renewals: :data:`sync.lifecycle.reads.LIFECYCLE_READS`),
  where the org has it.

Matching and ownership add nothing: match keys compare the mapped NetSuite payload (so they read through
the rows), and the ownership of the return flows compares the fields those flows write.

The query is then filtered against the run connection's *cached* metadata (no Salesforce call): a field
the org lacks that only a default wanted (BillingCountry) or only an ``optional`` row reads is left out,
and optional rows whose source or NetSuite target field is missing are left out of the mapping that runs.
In a single-currency org (its metadata says so) ``CurrencyIsoCode`` is never queried: every record of the
graph carries the org's one currency instead (:attr:`GraphQuery.supplied`), so rows, rules and external ids
reading it run unchanged.
A field that a row, a rule, the trigger or the write-back needs fails the batch before any Salesforce
call, naming who needs it (:class:`FieldsMissing`), instead of an ``INVALID_FIELD`` from a worker. A
connection whose metadata was never read is read once, before its first batch (:func:`batch_read_plan`);
if that read fails, its error shows on the connection's page and batches run unfiltered.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import GraphQuery
from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.services import metadata_first_read
from sync.connections.metadata.types import SUBLIST, FieldInfo, ObjectInfo, SystemMetadata
from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.lifecycle.reads import LIFECYCLE_READS
from sync.mappings.engine.reads import SECTION_OBJECTS, SECTIONS, place, row_label, spec_reads
from sync.mappings.metadata_check import (
    is_currency_field,
    known,
    salesforce_field,
    sublist_field,
    target_field,
)
from sync.pipeline.sync_status import StatusFields, status_fields
from sync.rules.engine.reads import rule_paths
from sync.rules.engine.ruleset import CompiledRule

# The graph's skeleton: without these the connector cannot assemble it, nor the trigger judge it.
STRUCTURE: dict[str, tuple[str, ...]] = {
    "opportunity": ("Id", "AccountId", "IsWon", "StageName"),
    "account": ("Id",),
    "contact_roles": ("ContactId",),
    "quote": ("Id",),
    "quote_line": ("Id", "SBQQ__Quote__c", "SBQQ__Number__c"),
}
# Read when the org has them, left out quietly when it does not.
# IsClosed and CloseDate: a synced deal lost afterwards is a cancellation (sync.pipeline.cancellation_flow).
DEFAULTS: dict[str, tuple[str, ...]] = {
    "account": ("BillingCountry",),
    "opportunity": ("IsClosed", "CloseDate"),
}
# The NetSuite ids the write-back stores in Salesforce (sync.pipeline.writeback).
WRITE_BACK_IDS: dict[str, tuple[str, ...]] = {
    "opportunity": ("NetSuite_Sales_Order_Id__c",),
    "account": ("NetSuite_Id__c",),
    "contact_roles": ("Contact.NetSuite_Id__c",),
}
_STATUS_SECTIONS = {
    "Opportunity": ("opportunity", ""),
    "Account": ("account", ""),
    "Contact": ("contact_roles", "Contact."),
}


@dataclass(frozen=True)
class Need:
    """One field the batch reads: where (graph section, path there), who wants it, whether it may go."""

    section: str
    field: str
    why: str  # "mapping row customer / currency", "rule amount_matches_quote", "status write-back"...
    droppable: bool = False  # a default or an optional row: left out where the org lacks it
    row: tuple[str, str] | None = None  # (object key, row label) of an optional row, pruned with it
    # Read only where the cached metadata shows the org has it (no metadata: left out), since CPQ-only
    # fields such as the life cycle's would fail the query of an org that lacks them.
    verified_only: bool = False


class FieldsMissing(ConnectorError):
    """Fields the run needs are missing in the org: the batch fails before any Salesforce call.

    Transient on purpose: the inbox messages are released with a back-off and run once the mapping, the
    rule or the org is fixed (and the metadata refreshed), rather than being dropped."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(
            system="salesforce",
            transient=True,
            code="FIELD_MISSING_IN_ORG",
            operation="query plan",
            message="the org lacks fields this run reads (per its cached metadata): " + "; ".join(missing),
        )
        self.missing = list(missing)


@dataclass(frozen=True)
class ReadPlan:
    """What to read and what to run: the graph query, and the mapping spec with optional rows left out
    where the systems lack their fields (``skipped`` says which and why)."""

    query: GraphQuery
    spec: Mapping[str, Any]
    skipped: tuple[str, ...] = ()
    filtered: bool = False  # False when no metadata was cached (nothing checked)
    pruned: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def batch_needs(
    spec: Mapping[str, Any] | None,
    *,
    rules: Iterable[CompiledRule] = (),
    trigger_fields: Sequence[str] = (),
    status: Mapping[str, StatusFields] | None = None,
) -> list[Need]:
    """Every field a batch running ``spec`` and ``rules`` reads, with who needs it (see the module)."""
    needs = [
        Need(section, name, "the graph's structure") for section, names in STRUCTURE.items() for name in names
    ]
    needs += [
        Need(section, name, "cancellations" if section == "opportunity" else "exception scope", True)
        for section, names in DEFAULTS.items()
        for name in names
    ]
    needs += [
        Need(section, name, "deal life cycle (sync.lifecycle)", True, verified_only=True)
        for section, names in LIFECYCLE_READS.items()
        for name in names
    ]
    needs += [
        Need(section, name, "write-back of NetSuite ids")
        for section, names in WRITE_BACK_IDS.items()
        for name in names
    ]
    for sobject, fields in (status if status is not None else status_fields("salesforce")).items():
        if sobject not in _STATUS_SECTIONS:
            continue
        section, prefix = _STATUS_SECTIONS[sobject]
        for name in (fields.status, fields.message):
            if name:
                needs.append(Need(section, prefix + name, "sync status write-back (SYNC_STATUS_FIELDS)"))
    needs += [Need("opportunity", name, "the flow's trigger") for name in trigger_fields if name]
    for rule in rules:
        for path in rule_paths(rule):
            placed = place(path)
            if placed is not None:
                needs.append(Need(placed[0], placed[1], f"rule {rule.spec.key}"))
    if spec is not None:
        for read in spec_reads(spec):
            who = (
                f"mapping row {read.object_key} / {read.row}"
                if read.row
                else f"mapping {read.object_key} / {read.path}"
            )
            row = (read.object_key, read.row) if read.optional and read.row else None
            needs.append(Need(read.section, read.field, who, read.optional and bool(read.row), row))
    return needs


def read_plan(
    spec: Mapping[str, Any] | None,
    *,
    salesforce: SystemMetadata | None = None,
    netsuite: SystemMetadata | None = None,
    rules: Iterable[CompiledRule] = (),
    trigger_fields: Sequence[str] = (),
    status: Mapping[str, StatusFields] | None = None,
) -> ReadPlan:
    """The query and the spec to run, filtered by the cached metadata given (None or never read: not
    filtered). Raises :class:`FieldsMissing` naming each needed field the org lacks and who needs it."""
    needs = batch_needs(spec, rules=rules, trigger_fields=trigger_fields, status=status)
    salesforce, netsuite = known(salesforce), known(netsuite)
    kept, pruned, missing, supplied = _sorted(needs, salesforce)
    if missing:
        raise FieldsMissing(list(dict.fromkeys(missing)))
    if spec is not None and netsuite is not None:
        pruned.update(_missing_targets(spec, netsuite, pruned))
    kept = [need for need in kept if need.row is None or need.row not in pruned]
    run_spec = _pruned(spec, set(pruned)) if spec is not None and pruned else spec or {}
    return ReadPlan(
        query=_query(kept, supplied),
        spec=run_spec,
        skipped=tuple(f"{key} / {row}: {why}" for (key, row), why in pruned.items()),
        filtered=salesforce is not None or netsuite is not None,
        pruned=frozenset(pruned),
    )


_Sorted = tuple[list[Need], dict[tuple[str, str], str], list[str], tuple[tuple[str, str, str], ...]]


def _sorted(needs: Iterable[Need], salesforce: SystemMetadata | None) -> _Sorted:
    """(the needs to query, the optional rows to leave out with why, the needed fields the org lacks, the
    values supplied instead of read) by the org's metadata (None: everything queried but verified-only)."""
    pruned: dict[tuple[str, str], str] = {}
    missing: list[str] = []
    kept: list[Need] = []
    verdicts: dict[tuple[str, str], str] = {}
    supplied: dict[tuple[str, str], tuple[str, str, str]] = {}
    currency = salesforce.supplied_currency if salesforce is not None else ""
    for need in needs:
        if salesforce is None:
            if not need.verified_only:
                kept.append(need)
            continue
        marker = (need.section, need.field.lower())
        if marker not in verdicts:
            verdicts[marker] = salesforce_field(salesforce, need.section, need.field)[1]
        why = verdicts[marker]
        if why:
            shown = f"{SECTION_OBJECTS[need.section]}.{need.field}"
            if need.row is not None:
                pruned.setdefault(need.row, f"{shown} is not in the org")
            elif not need.droppable:
                missing.append(f"{shown} ({need.why}): {why}")
        elif currency and is_currency_field(need.field):
            # A single-currency org: not queried (the field does not exist), its one currency set.
            supplied.setdefault(marker, (need.section, need.field, currency))
        else:
            kept.append(need)
    return kept, pruned, missing, tuple(supplied.values())


def batch_read_plan(
    *,
    salesforce: Connection,
    netsuite: Connection,
    spec: Mapping[str, Any] | None,
    rules: Iterable[CompiledRule] = (),
    trigger_fields: Sequence[str] = (),
    integration: Integration | None = None,
) -> ReadPlan:
    """:func:`read_plan` against the run connections' cached metadata: no call to either system, except
    once in a connection's life, before its first batch, when its metadata was never read
    (:func:`metadata_first_read`)."""
    metadata_first_read(salesforce)
    metadata_first_read(netsuite)
    return read_plan(
        spec,
        salesforce=connection_metadata(salesforce),
        netsuite=connection_metadata(netsuite),
        rules=rules,
        trigger_fields=trigger_fields,
        status=status_fields("salesforce", integration),
    )


def _query(needs: Iterable[Need], supplied: tuple[tuple[str, str, str], ...] = ()) -> GraphQuery:
    sections: dict[str, list[str]] = {section: [] for section in SECTIONS}
    seen: set[tuple[str, str]] = set()
    for need in needs:
        marker = (need.section, need.field.lower())  # SOQL refuses a field selected twice, in any case
        if marker not in seen:
            seen.add(marker)
            sections[need.section].append(need.field)
    return GraphQuery(**{section: tuple(names) for section, names in sections.items()}, supplied=supplied)


def _missing_targets(
    spec: Mapping[str, Any], netsuite: SystemMetadata, already: Mapping[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    """Optional rows whose NetSuite target field the account lacks (``subsidiary`` without OneWorld, a
    sublist line field): left out of the payload."""
    found: dict[tuple[str, str], str] = {}
    for obj in spec.get("objects") or []:
        record = netsuite.object(str(obj.get("target") or ""))
        if record is not None:
            _targets_missing(str(obj.get("key")), obj.get("fields") or [], "", record, None, already, found)
    return found


def _targets_missing(
    key: str,
    rows: Iterable[Any],
    prefix: str,
    record: ObjectInfo,
    within: FieldInfo | None,
    already: Mapping[tuple[str, str], str],
    found: dict[tuple[str, str], str],
) -> None:
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            continue
        label = row_label(row, position, prefix)
        segments = [part.split("[", 1)[0] for part in str(row.get("target") or "").split(".") if part]
        if within is None:
            info, why = target_field(record, segments)
        else:
            info = sublist_field(within, segments[0]) if segments else None
            why = f"the {within.name} sublist has no field {segments[0] if segments else ''}"
            if info is None and not within.sublist_fields:
                continue  # the sublist's lines were not described: nothing to go by
        if info is None and row.get("optional") is True and (key, label) not in already:
            found[(key, label)] = why
        elif info is not None and isinstance(row.get("each"), str) and info.type == SUBLIST:
            _targets_missing(key, row.get("fields") or [], label, record, info, already, found)


def _pruned(spec: Mapping[str, Any], rows: set[tuple[str, str]]) -> dict[str, Any]:
    """A copy of ``spec`` without ``rows`` ((object key, row label); nested labels are ``group/row``)."""
    copied = copy.deepcopy(dict(spec))
    for obj in copied.get("objects") or []:
        obj["fields"] = _kept(obj.get("fields") or [], str(obj.get("key")), "", rows)
    return copied


def _kept(fields: list[Any], key: str, prefix: str, rows: set[tuple[str, str]]) -> list[Any]:
    kept = []
    for position, row in enumerate(fields, start=1):
        if isinstance(row, dict):
            label = row_label(row, position, prefix)
            if (key, label) in rows:
                continue
            if isinstance(row.get("fields"), list):
                row["fields"] = _kept(row["fields"], key, label, rows)
        kept.append(row)
    return kept
