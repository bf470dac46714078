"""The dry run: map a real Salesforce opportunity with a version and compare with what NetSuite holds.

A mapping's dry run runs the pipeline's own steps (its graph query, its write order, its payload
hashes), so it lives in the pipeline, above the mapping editor that offers it.

Reads only. The opportunity is picked by its name or its id (:func:`opportunity_search` feeds the
console's search box); its graph comes from the version's integration's sandbox Salesforce connection
exactly as the pipeline reads it, and each payload's record is read from that integration's sandbox NetSuite
connection by external id (:func:`sync.integrations.sandboxes.reading_sandbox`: the connections whose
metadata pruned the mapping, never another integration's). Objects
are mapped in the writer's order with the version's own spec (a draft's rows, not the live mapping), and
a record NetSuite already has lends its internal id to the refs of the later objects (a record it lacks
shows as ``(new <type>)``), so the sales order's ``entity`` is the id the real sync would send.

The comparison tells what the sync would change, nothing more (:func:`differences`): only the fields the
mapping sends are compared, so what NetSuite assigns itself (internal and line ids, ``refName``, links,
totals) never shows; a reference compares by id; a sublist compares line by line by content, in any
order, since the write replaces its lines. A ``create_only`` record NetSuite already holds is never
written (a plan that predates Concord), and an ``update_only`` record it lacks is never created.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import GraphQuery, SalesforceConnector, soql_literal
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import ConnectionMisconfigured, netsuite_connector, salesforce_connector
from sync.integrations.models import Integration
from sync.integrations.sandboxes import editing_metadata, reading_sandbox
from sync.mappings.engine import CompiledMapping, ObjectPayload
from sync.mappings.models import MappingVersion
from sync.mappings.services.lookups import mapping_lookups
from sync.mappings.services.specs import spec_compile, version_spec
from sync.pipeline.eids import EidScope, eid_scope_of, payloads_namespaced
from sync.pipeline.reads import FieldsMissing, read_plan
from sync.pipeline.runner import plain
from sync.pipeline.writer import payload_hash, write_order

# A Salesforce record id: 15 characters (case-sensitive) or 18 (with the case-checksum suffix).
SALESFORCE_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
OPPORTUNITY_PREFIX = "006"
SEARCH_LIMIT = 10
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class PreviewUnavailable(Exception):
    """The dry run cannot run: no sandbox connection, an unknown opportunity, an unreachable service."""


@dataclass(frozen=True)
class FieldDifference:
    path: str
    netsuite: Any  # what NetSuite holds now (None when absent)
    mapped: Any  # what the mapping would send
    change: str = "changed"  # "added" / "removed": a whole sublist line the write adds or drops


@dataclass
class PreviewRecord:
    object_key: str
    target_type: str
    external_id: str | None
    body: dict[str, Any]
    current: dict[str, Any] | None
    differences: list[FieldDifference] = field(default_factory=list)
    mode: str = "upsert"
    # The payload is the one last synced (its cross-reference's hash): the sync skips the record, and
    # a difference shows a change made in NetSuite since, which the next change in Salesforce overwrites.
    unchanged_since_sync: bool = False

    @property
    def exists(self) -> bool:
        return self.current is not None

    @property
    def written(self) -> bool:
        """Whether the sync would write this record at all (see the module docstring)."""
        if self.mode == "create_only":
            return not self.exists
        if self.mode == "update_only":
            return self.exists
        return True


@dataclass
class Preview:
    opportunity_id: str
    records: list[PreviewRecord]
    problems: list[str]
    opportunity_name: str = ""
    # The sync writes won opportunities only (sync.pipeline.writer): another stage is mapped to show
    # what would be sent once it is won.
    stage: str = ""
    won: bool = True


@dataclass(frozen=True)
class OpportunityChoice:
    """One opportunity the search found, as the search box lists it."""

    id: str
    name: str
    stage: str
    account: str


def sandbox_connection(kind: str, integration: Integration | None = None) -> Connection:
    """The sandbox connection of ``kind`` the dry run reads: ``integration``'s (the primary's when None)
    own choice (:func:`sync.integrations.sandboxes.reading_sandbox`), the one its metadata check and field
    pruning read; :class:`PreviewUnavailable` when it has none."""
    connection = reading_sandbox(integration, kind)
    if connection is None:
        owner = f"integration {integration.name}" if integration is not None else "the primary integration"
        label = ConnectionKind(kind).label
        raise PreviewUnavailable(
            f"{owner} has no sandbox {label} connection to dry-run against: an admin names one on the "
            "integration (a dry run never reads another integration's org or a production system)"
        )
    return connection


def _salesforce(integration: Integration | None = None) -> SalesforceConnector:
    connection = sandbox_connection(ConnectionKind.SALESFORCE, integration)
    try:
        return salesforce_connector(connection)
    except ConnectionMisconfigured as error:
        raise PreviewUnavailable(f"the sandbox Salesforce connection cannot be used: {error}") from error


def salesforce_id_18(record_id: str) -> str:
    """The 18-character form of a Salesforce id (a 15-character id gets its case-checksum suffix)."""
    if len(record_id) != 15:
        return record_id
    suffix = ""
    for start in (0, 5, 10):
        chunk = record_id[start : start + 5]
        bits = sum(1 << index for index, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += _CHECKSUM[bits]
    return record_id + suffix


def _like_pattern(term: str) -> str:
    """A SOQL LIKE literal finding ``term`` anywhere, its own ``%`` and ``_`` taken literally."""
    quoted = soql_literal(term)[1:-1]  # quotes and backslashes escaped; % and _ untouched
    return "'%" + quoted.replace("%", r"\%").replace("_", r"\_") + "%'"


def _choices(connector: SalesforceConnector, where: str, limit: int) -> list[OpportunityChoice]:
    # The callers escape every literal in ``where`` (soql_literal, _like_pattern).
    columns = "Id, Name, StageName, Account.Name"
    soql = f"SELECT {columns} FROM Opportunity WHERE {where} ORDER BY Name LIMIT {limit}"  # noqa: S608
    return [
        OpportunityChoice(
            id=str(row["Id"]),
            name=str(row.get("Name") or ""),
            stage=str(row.get("StageName") or ""),
            account=str((row.get("Account") or {}).get("Name") or ""),
        )
        for row in connector.query(soql)
    ]


def _id_shaped(term: str) -> bool:
    return SALESFORCE_ID.fullmatch(term) is not None


def _search(connector: SalesforceConnector, term: str, limit: int) -> list[OpportunityChoice]:
    found = []
    if _id_shaped(term):
        found = _choices(connector, f"Id = {soql_literal(salesforce_id_18(term))}", 1)
    names = _choices(connector, f"Name LIKE {_like_pattern(term)}", limit)
    return (found + [choice for choice in names if choice not in found])[:limit]


def opportunity_search(
    *, term: str, limit: int = SEARCH_LIMIT, integration: Integration | None = None
) -> list[OpportunityChoice]:
    """Opportunities of ``integration``'s (the primary's when None) sandbox org whose name contains
    ``term`` (any case), or whose id it is: the org its dry runs read; reads only."""
    term = term.strip()
    if not term:
        return []
    connector = _salesforce(integration)
    try:
        return _search(connector, term, limit)
    except ConnectorError as error:
        raise PreviewUnavailable(f"could not search the Salesforce sandbox: {error.message}") from error


def _pick(connector: SalesforceConnector, term: str) -> OpportunityChoice:
    """The one opportunity ``term`` names: its id (15 or 18 characters), its exact name, or a unique
    part of its name. Anything else is a :class:`PreviewUnavailable` that names ``term``."""
    if not term:
        raise PreviewUnavailable("give an opportunity's name or its Salesforce id")
    if _id_shaped(term):
        found = _choices(connector, f"Id = {soql_literal(salesforce_id_18(term))}", 1)
        if found:
            return found[0]
    exact = _choices(connector, f"Name = {soql_literal(term)}", SEARCH_LIMIT + 1)
    matches = exact or _choices(connector, f"Name LIKE {_like_pattern(term)}", SEARCH_LIMIT + 1)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        if _id_shaped(term) and not term.startswith(OPPORTUNITY_PREFIX):
            raise PreviewUnavailable(
                f"Salesforce has no opportunity {term!r}: an opportunity id starts with "
                f"{OPPORTUNITY_PREFIX!r}, and no opportunity has that name"
            )
        raise PreviewUnavailable(
            f"Salesforce has no opportunity {term!r}: no opportunity has that id or name"
        )
    shown = ", ".join(f"{choice.name} ({choice.id})" for choice in matches[:SEARCH_LIMIT])
    more = " and more" if len(matches) > SEARCH_LIMIT else ""
    raise PreviewUnavailable(f"{term!r} names several opportunities: {shown}{more}; pick one by its id")


def _sandbox_reads(compiled: CompiledMapping, integration: Integration) -> tuple[GraphQuery, CompiledMapping]:
    """What the run would read in the sandbox org, by its cached metadata, and the mapping it would run
    (optional rows the sandbox systems lack left out); a field the org lacks is named here, before
    Salesforce is asked (:class:`PreviewUnavailable`)."""
    sandbox_salesforce, sandbox_netsuite = editing_metadata(integration)
    try:
        plan = read_plan(compiled.spec, salesforce=sandbox_salesforce, netsuite=sandbox_netsuite)
    except FieldsMissing as error:
        raise PreviewUnavailable(error.message) from error
    return plan.query, spec_compile(dict(plan.spec), integration) if plan.pruned else compiled


def mapping_dry_run(*, version: MappingVersion, opportunity: str) -> Preview:
    """Map the opportunity ``opportunity`` (its name or id) with ``version``; writes nothing anywhere.

    Raises :class:`PreviewUnavailable` with a message naming what is wrong (an unknown or ambiguous
    opportunity, a missing sandbox, a vendor fault) and ``MappingValidationError`` for a broken draft.
    """
    if version.flow.source != "Opportunity" or version.flow.target_system != "netsuite":
        raise PreviewUnavailable("the dry run maps Salesforce opportunities: this flow reads something else")
    integration = version.flow.integration
    compiled = spec_compile(version_spec(version), integration)
    query, compiled = _sandbox_reads(compiled, integration)
    netsuite = sandbox_connection(ConnectionKind.NETSUITE, integration)
    salesforce = _salesforce(integration)
    # The external ids the flow's integration writes (and its cross-references, shared ones too).
    scope = eid_scope_of(integration)
    term = opportunity.strip()
    try:
        chosen = _pick(salesforce, term)
        graph = salesforce.fetch_opportunity_graphs([chosen.id], query).get(chosen.id)
        if graph is None:  # deleted between the two reads
            raise PreviewUnavailable(f"Salesforce has no opportunity {term!r}")
        graph = plain(graph)
        reader = netsuite_connector(netsuite)
        lookups = mapping_lookups(netsuite=netsuite, integration=integration)
        refs: dict[str, Any] = {}
        records: list[PreviewRecord] = []
        problems: list[str] = []
        for key in write_order(compiled):
            result = compiled.apply_object(key, graph, refs=refs, lookups=lookups)
            problems.extend(str(problem) for problem in result.problems)
            for payload in payloads_namespaced(result.payloads, scope.namespace):
                current = None
                shared = _shared_id(scope, netsuite, payload)
                if shared:
                    current = reader.get(payload.target_type, shared, expand=True)
                elif payload.external_id:
                    current = reader.get_by_external_id(payload.target_type, payload.external_id, expand=True)
                refs[payload.ref_key] = current["id"] if current else f"(new {payload.target_type})"
                body = payload.to_json(update=current is not None)
                record = PreviewRecord(
                    key, payload.target_type, payload.external_id, body, current, mode=payload.mode
                )
                if current is not None and record.written:
                    record.differences = differences(body, current)
                    record.unchanged_since_sync = _synced_hash(scope, netsuite, payload) == payload_hash(
                        payload.target_type, payload.to_json(update=True)
                    )
                records.append(record)
    except ConnectorError as error:
        raise PreviewUnavailable(f"could not read the {error.system} sandbox: {error.message}") from error
    except ConnectionMisconfigured as error:
        raise PreviewUnavailable(f"the sandbox NetSuite connection cannot be used: {error}") from error
    return Preview(
        chosen.id,
        records,
        problems,
        opportunity_name=chosen.name,
        stage=str(graph.get("StageName") or ""),
        won=bool(graph.get("IsWon")),
    )


def _shared_id(scope: EidScope, netsuite: Connection, payload: ObjectPayload) -> str:
    """The internal id of the record another integration owns that this one shares (updated by id), or ""."""
    if not payload.external_id:
        return ""
    found = (
        scope.xrefs()
        .filter(
            netsuite_connection=netsuite,
            netsuite_type=payload.target_type,
            external_id=payload.external_id,
            shared=True,
        )
        .values_list("netsuite_id", flat=True)
        .first()
    )
    return str(found or "")


def _synced_hash(scope: EidScope, netsuite: Connection, payload: ObjectPayload) -> str | None:
    """The hash of the payload the sync last sent for this record (its cross-reference), if any."""
    return (
        scope.xrefs()
        .filter(
            netsuite_connection=netsuite, netsuite_type=payload.target_type, external_id=payload.external_id
        )
        .values_list("payload_hash", flat=True)
        .first()
    )


# -- the comparison ------------------------------------------------------------------------------------


def _is_sublist(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"items"} and isinstance(value["items"], list)


def _held_lines(held: Any) -> list[Any]:
    """NetSuite's lines of a sublist: ``{"items": [...], "links": ...}`` expanded (or absent)."""
    if isinstance(held, dict):
        held = held.get("items")
    return list(held) if isinstance(held, list) else []


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _compare(sent: Any, held: Any, path: str) -> Iterator[FieldDifference]:
    """What sending ``sent`` changes in ``held``: only what is sent is compared."""
    if _is_sublist(sent):
        yield from _compare_lines(sent["items"], _held_lines(held), f"{path}.items")
    elif isinstance(sent, dict):
        if not isinstance(held, dict) and held not in (None, ""):
            yield FieldDifference(path, held, sent)
            return
        inner = held if isinstance(held, dict) else {}
        for name, value in sent.items():
            yield from _compare(value, inner.get(name), _join(path, name))
    elif isinstance(sent, list):
        if not (isinstance(held, list) and len(held) == len(sent) and all(map(_same, held, sent))):
            yield FieldDifference(path, held, sent)
    elif not _same(held, sent):
        yield FieldDifference(path, held, sent)


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaf_count(inner) for inner in value.values())
    return 1


def _shown_line(held: Any, keys: set[str]) -> Any:
    """A line NetSuite holds, cut to the fields the mapping's lines send (all but links when none)."""
    if not isinstance(held, dict):
        return held
    return {name: value for name, value in held.items() if (name in keys if keys else name != "links")}


def _compare_lines(sent: list[Any], held: list[Any], path: str) -> Iterator[FieldDifference]:
    """A sublist by content: each line sent is paired with a line NetSuite holds, identical ones first,
    then the closest; a line left unpaired is added (sent) or removed (held), as a replace would."""
    free = list(range(len(held)))
    pairs: dict[int, int] = {}
    for index, line in enumerate(sent):
        same = next((j for j in free if not any(_compare(line, held[j], ""))), None)
        if same is not None:
            pairs[index] = same
            free.remove(same)
    for index, line in enumerate(sent):
        if index in pairs or not free:
            continue
        # The closest line: the fewest fields that would change (a changed quantity, not a new line).
        cost = {j: len(list(_compare(line, held[j], ""))) for j in free}
        best = min(free, key=lambda j: (cost[j], j))
        if cost[best] < _leaf_count(line):
            pairs[index] = best
            free.remove(best)
    keys = {name for line in sent if isinstance(line, dict) for name in line}
    for index, line in enumerate(sent):
        if index in pairs:
            yield from _compare(line, held[pairs[index]], f"{path}[{index}]")
        else:
            yield FieldDifference(f"{path}[{index}]", None, line, change="added")
    for j in free:
        yield FieldDifference(f"{path}[{j}]", _shown_line(held[j], keys), None, change="removed")


def _same(left: Any, right: Any) -> bool:
    if left == right:
        return True
    if left in (None, "") and right in (None, ""):
        return True  # NetSuite reads an empty text field back as absent
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        return False
    if isinstance(left, dict) and "id" in left and not isinstance(right, dict):
        return _same(left["id"], right)  # a reference NetSuite expanded, compared by its id
    try:
        return Decimal(str(left)) == Decimal(str(right))
    except (InvalidOperation, ValueError):
        return str(left) == str(right)


def differences(body: dict[str, Any], current: dict[str, Any]) -> list[FieldDifference]:
    """Each change the write of ``body`` makes to the record NetSuite holds (``current``, expanded).

    Only what the body sends is compared: fields NetSuite assigns or the mapping leaves alone never
    show. References compare by id, numbers by value, sublists line by line by content (see
    :func:`_compare_lines`).
    """
    return list(_compare(body, current, ""))
