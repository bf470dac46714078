"""The dry run: map a real Salesforce opportunity with a version and compare with what NetSuite holds.

Reads only. The opportunity graph comes from the sandbox Salesforce connection exactly as the pipeline
reads it; each payload's record is read from the sandbox NetSuite connection by external id. Objects are
mapped in dependency order and a record NetSuite already has lends its internal id to the refs of the
later objects (a record it lacks shows as ``(new <type>)``), so the sales order's ``entity`` is the id
the real sync would send.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.connectors.errors import ConnectorError
from sync.models import Connection, ConnectionEnvironment, ConnectionKind, MappingVersion
from sync.services.connections import netsuite_connector, salesforce_connector
from sync.services.mapping_lookups import mapping_lookups
from sync.services.mapping_specs import spec_compile, version_spec


class PreviewUnavailable(Exception):
    """The dry run cannot run: no sandbox connection, an unknown opportunity, an unreachable service."""


@dataclass(frozen=True)
class FieldDifference:
    path: str
    netsuite: Any  # what NetSuite holds now (None when absent)
    mapped: Any  # what the mapping would send


@dataclass
class PreviewRecord:
    object_key: str
    target_type: str
    external_id: str | None
    body: dict[str, Any]
    current: dict[str, Any] | None
    differences: list[FieldDifference] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.current is not None


@dataclass
class Preview:
    opportunity_id: str
    records: list[PreviewRecord]
    problems: list[str]


def sandbox_connection(kind: str) -> Connection:
    connection = (
        Connection.objects.filter(kind=kind, environment=ConnectionEnvironment.SANDBOX)
        .order_by("name")
        .first()
    )
    if connection is None:
        raise PreviewUnavailable(f"no sandbox {kind} connection: an admin adds one under Connections")
    return connection


def mapping_dry_run(*, version: MappingVersion, opportunity_id: str) -> Preview:
    """Map opportunity ``opportunity_id`` with ``version``; writes nothing anywhere."""
    if version.flow.source != "Opportunity" or version.flow.target_system != "netsuite":
        raise PreviewUnavailable("the dry run maps Salesforce opportunities: this flow reads something else")
    compiled = spec_compile(version_spec(version))
    netsuite = sandbox_connection(ConnectionKind.NETSUITE)
    try:
        graphs = salesforce_connector(sandbox_connection(ConnectionKind.SALESFORCE)).fetch_opportunity_graphs(
            [opportunity_id]
        )
        graph = graphs.get(opportunity_id)
        if graph is None:
            raise PreviewUnavailable(f"Salesforce has no opportunity {opportunity_id!r}")
        reader = netsuite_connector(netsuite)
        lookups = mapping_lookups(netsuite=netsuite)
        refs: dict[str, Any] = {}
        records: list[PreviewRecord] = []
        problems: list[str] = []
        for key in compiled.dependency_order():
            result = compiled.apply_object(key, graph, refs=refs, lookups=lookups)
            problems.extend(str(problem) for problem in result.problems)
            for payload in result.payloads:
                current = None
                if payload.external_id:
                    current = reader.get_by_external_id(payload.target_type, payload.external_id, expand=True)
                refs[payload.ref_key] = current["id"] if current else f"(new {payload.target_type})"
                body = payload.to_json(update=current is not None)
                records.append(
                    PreviewRecord(
                        key,
                        payload.target_type,
                        payload.external_id,
                        body,
                        current,
                        differences(body, current) if current else [],
                    )
                )
    except ConnectorError as error:
        raise PreviewUnavailable(f"could not read the sandbox: {error}") from error
    return Preview(opportunity_id, records, problems)


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        items = (
            value.get("items")
            if set(value) <= {"items", "links", "totalResults", "count", "hasMore"}
            else None
        )
        if isinstance(items, list):
            value = {"items": items}
        for name, item in value.items():
            yield from _leaves(item, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def _same(left: Any, right: Any) -> bool:
    if left == right:
        return True
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        return False
    try:
        return Decimal(str(left)) == Decimal(str(right))
    except (InvalidOperation, ValueError):
        return str(left) == str(right)


def differences(body: dict[str, Any], current: dict[str, Any]) -> list[FieldDifference]:
    """Each field the mapping sends whose value differs from NetSuite's (references compare by id)."""
    held = dict(_leaves(current))
    return [
        FieldDifference(path, held.get(path), value)
        for path, value in _leaves(body)
        if not _same(held.get(path), value)
    ]
