"""Rows <-> the engine's JSON spec, and validation of a version with the engine.

Export writes a canonical spec: keys with their default value are left out (``required: false``,
``apply: always``...), ``mode`` is always written. The shipped defaults are written that way, so each
one imports into rows and exports back identical (tests/sync/services/test_mapping_specs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditlog.context import disable_auditlog
from django.db import transaction

from core.audit import AuditAction, audit_record
from sync.integrations.models import Integration
from sync.integrations.sandboxes import editing_metadata
from sync.integrations.selectors import primary_integration
from sync.mappings.engine import CompiledMapping, MappingValidationError, SpecProblem, compile_mapping
from sync.mappings.engine.spec import FORMAT
from sync.mappings.metadata_check import MetadataProblem, mapping_metadata_problems, metadata_errors
from sync.mappings.models import (
    FieldMapping,
    LookupTable,
    MappingFrozen,
    MappingVersion,
    ObjectMapping,
    ValueKind,
)

_VALUE_KINDS = ("source", "constant", "ref", "concat")


def version_spec(version: MappingVersion, *, override: FieldMapping | None = None) -> dict[str, Any]:
    """The engine spec the rows of ``version`` describe (two queries, whatever the row count).

    ``override`` is an unsaved edit of one row (or a new row, without a pk): the spec as it would be
    after saving it, which is what validation as you type checks.
    """
    objects = list(version.object_mappings.order_by("order", "id"))
    rows = list(FieldMapping.objects.filter(object_mapping__version=version).order_by("order", "id"))
    if override is not None:
        rows = [row for row in rows if override.pk is None or row.pk != override.pk] + [override]
        rows.sort(key=lambda row: (row.order, row.pk or 1 << 62))
    children: dict[tuple[int, int | None], list[FieldMapping]] = {}
    for row in rows:
        children.setdefault((row.object_mapping_id, row.parent_id), []).append(row)
    return {
        "format": FORMAT,
        "flow": version.flow.key,
        "source": version.flow.source,
        "target_system": version.flow.target_system,
        "description": version.description,
        "objects": [object_spec(obj, children) for obj in objects],
    }


def object_spec(
    obj: ObjectMapping, children: dict[tuple[int, int | None], list[FieldMapping]]
) -> dict[str, Any]:
    data: dict[str, Any] = {"key": obj.key, "target": obj.target}
    for name in ("description", "source_path", "for_each", "source_id"):
        if getattr(obj, name):
            data[name] = getattr(obj, name)
    if obj.where is not None:
        data["where"] = obj.where
    if obj.external_id is not None:
        data["external_id"] = obj.external_id
    if obj.external_id_field:
        data["external_id_field"] = obj.external_id_field
    data["mode"] = obj.mode
    if obj.depends_on:
        data["depends_on"] = list(obj.depends_on)
    if obj.match is not None:
        data["match"] = obj.match
    data["fields"] = [field_spec(row, children) for row in children.get((obj.pk, None), [])]
    return data


def field_spec(
    row: FieldMapping, children: dict[tuple[int, int | None], list[FieldMapping]]
) -> dict[str, Any]:
    """One field row as spec JSON: its value (or group), then only the options that differ from default."""
    data: dict[str, Any] = {"id": row.key, "target": row.target}
    data.update(_VALUE_SPECS.get(row.kind, _concat_spec)(row))
    if row.transforms and row.kind != ValueKind.GROUP:
        data["transforms"] = row.transforms
    if row.required:
        data["required"] = True
    if row.optional:
        data["optional"] = True
    for name, default in _OPTION_DEFAULTS:
        if getattr(row, name) != default:
            data[name] = getattr(row, name)
    if row.kind == ValueKind.GROUP:
        data["fields"] = [
            field_spec(child, children) for child in children.get((row.object_mapping_id, row.pk), [])
        ]
    return data


def _group_spec(row: FieldMapping) -> dict[str, Any]:
    return {"each": row.each, **({"where": row.where} if row.where is not None else {})}


def _ref_spec(row: FieldMapping) -> dict[str, Any]:
    return {"ref": row.ref, **({"ref_item": row.ref_item} if row.ref_item else {})}


def _concat_spec(row: FieldMapping) -> dict[str, Any]:
    return {"concat": row.concat, **({"separator": row.separator} if row.separator else {})}


# The value keys of a row, by kind (a concat otherwise).
_VALUE_SPECS: dict[str, Callable[[FieldMapping], dict[str, Any]]] = {
    ValueKind.GROUP: _group_spec,
    ValueKind.SOURCE: lambda row: {"source": row.source},
    ValueKind.CONSTANT: lambda row: {"constant": row.constant},
    ValueKind.REF: _ref_spec,
}
# Options written only when they differ from their default, in the spec's key order ("" = not set).
_OPTION_DEFAULTS = (
    ("apply", "always"),
    ("when_empty", "omit"),
    ("note", ""),
    ("owner", ""),
    ("on_conflict", "owner_wins"),
)


def field_row_values(data: dict[str, Any]) -> dict[str, Any]:
    """The FieldMapping column values of one spec field row (not its children)."""
    kinds = [name for name in _VALUE_KINDS if name in data]
    kind = ValueKind.GROUP if "each" in data else (kinds[0] if kinds else ValueKind.SOURCE)
    return {
        "key": str(data.get("id", "")),
        "target": str(data.get("target", "")),
        "kind": kind,
        "source": str(data.get("source", "")) if kind == ValueKind.SOURCE else "",
        "constant": data.get("constant") if kind == ValueKind.CONSTANT else None,
        "ref": str(data.get("ref", "")) if kind == ValueKind.REF else "",
        "ref_item": str(data.get("ref_item") or ""),
        "concat": data.get("concat") if kind == ValueKind.CONCAT else None,
        "separator": str(data.get("separator", "")),
        "transforms": list(data.get("transforms") or []),
        "each": str(data.get("each", "")),
        "where": data.get("where") if kind == ValueKind.GROUP else None,
        "required": bool(data.get("required", False)),
        "optional": data.get("optional") is True,
        "apply": str(data.get("apply", "always")),
        "when_empty": str(data.get("when_empty", "omit")),
        "note": str(data.get("note", "")),
        "owner": str(data.get("owner") or ""),
        "on_conflict": str(data.get("on_conflict") or "owner_wins"),
    }


def spec_rows_replace(
    *, version: MappingVersion, spec: dict[str, Any], user: Any = None, event: str = "import"
) -> None:
    """Replace the rows of the draft ``version`` with those of ``spec`` (already validated).

    The rows are written in bulk (a flow has a hundred rows, copied on every new draft), so auditlog's
    per-row entries are replaced by one explicit entry for the whole replacement; the version's export
    shows exactly what it holds.
    """
    if not version.is_editable:
        raise MappingFrozen(f"{version} is {version.status}: only a draft's rows change")
    with transaction.atomic(), disable_auditlog():
        before = FieldMapping.objects.filter(object_mapping__version=version).count()
        FieldMapping.objects.filter(object_mapping__version=version).delete()
        version.object_mappings.all().delete()
        version.description = str(spec.get("description", ""))
        version.save(update_fields=["description"])
        objects = ObjectMapping.objects.bulk_create(
            [
                ObjectMapping(
                    version=version,
                    order=order,
                    key=data["key"],
                    target=data["target"],
                    source_path=data.get("source_path", ""),
                    for_each=data.get("for_each") or "",
                    where=data.get("where"),
                    external_id=data.get("external_id"),
                    external_id_field=data.get("external_id_field") or "",
                    mode=data.get("mode", "upsert"),
                    depends_on=list(data.get("depends_on") or []),
                    source_id=data.get("source_id", ""),
                    description=data.get("description", ""),
                    match=data.get("match"),
                )
                for order, data in enumerate(spec["objects"], start=1)
            ]
        )
        level: list[tuple[ObjectMapping, FieldMapping | None, list[Any]]] = [
            (obj, None, data["fields"]) for obj, data in zip(objects, spec["objects"], strict=True)
        ]
        created = 0
        while level:
            pending = [
                (FieldMapping(object_mapping=obj, parent=parent, order=order, **field_row_values(row)), row)
                for obj, parent, rows in level
                for order, row in enumerate(rows, start=1)
            ]
            made = FieldMapping.objects.bulk_create([row for row, _ in pending])
            created += len(made)
            level = [
                (row.object_mapping, row, data.get("fields") or [])
                for row, (_, data) in zip(made, pending, strict=True)
                if row.kind == ValueKind.GROUP
            ]
        audit_record(
            obj=version,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"rows": [before, created]},
            event=event,
            objects=[obj.key for obj in objects],
        )


def lookup_table_names(integration: Integration | None = None) -> set[str]:
    """The names of ``integration``'s lookup tables (the primary integration's when None)."""
    owner = integration if integration is not None else primary_integration()
    return set(LookupTable.objects.filter(integration=owner).values_list("name", flat=True))


def spec_compile(spec: Any, integration: Integration | None = None) -> CompiledMapping:
    """Compile ``spec`` against the lookup tables ``integration`` has (the primary's when None); raises
    MappingValidationError."""
    return compile_mapping(spec, tables=lookup_table_names(integration))


def spec_problems(spec: Any, integration: Integration | None = None) -> list[SpecProblem]:
    """Every problem the engine finds in ``spec`` (empty when it compiles)."""
    try:
        spec_compile(spec, integration)
    except MappingValidationError as error:
        return error.problems
    return []


def spec_metadata_problems(spec: Any, integration: Integration | None = None) -> list[MetadataProblem]:
    """``spec`` checked against ``integration``'s (the primary's when None) cached metadata: its sandbox
    pair, else its production pair, never another integration's (:func:`editing_metadata`). Errors,
    warnings, information.

    A flow to NetSuite reads Salesforce and writes NetSuite; a return flow the other way round. A side
    with no connection, or whose metadata was never read, is skipped (one ``info`` problem says so).
    """
    if not isinstance(spec, dict):
        return []
    salesforce, netsuite = editing_metadata(integration)
    if spec.get("target_system", "netsuite") == "salesforce":
        return mapping_metadata_problems(spec, netsuite, salesforce)
    return mapping_metadata_problems(spec, salesforce, netsuite)


def spec_all_problems(spec: Any, integration: Integration | None = None) -> list[SpecProblem]:
    """The engine's problems, then the metadata check's (what a draft's page lists)."""
    return [*spec_problems(spec, integration), *spec_metadata_problems(spec, integration)]


# Set while the system actor installs the product's shipped defaults (sync.mappings.services.seed).
_SHIPPED_INSTALL: ContextVar[bool] = ContextVar("mapping_shipped_install", default=False)


@contextmanager
def shipped_defaults_install() -> Iterator[None]:
    """The system actor publishing the shipped defaults (the demo's seed): the metadata check's errors do
    not refuse them. They are the product's reviewed defaults, installed before or whatever the connected
    systems describe; the version page, the API and ``mapping_check`` still list what to change."""
    token = _SHIPPED_INSTALL.set(True)
    try:
        yield
    finally:
        _SHIPPED_INSTALL.reset(token)


def spec_metadata_errors(spec: Any, integration: Integration | None = None) -> list[SpecProblem]:
    """The metadata check's errors (a field missing in the org, a read-only target, an unmapped required
    field...): what refuses a person's submit or publish. Warnings and information do not."""
    if _SHIPPED_INSTALL.get():
        return []
    return metadata_errors(spec_metadata_problems(spec, integration))


def spec_blocking_problems(spec: Any, integration: Integration | None = None) -> list[SpecProblem]:
    """What refuses a submit or a publish: every engine problem, and the metadata check's errors."""
    return [*spec_problems(spec, integration), *spec_metadata_errors(spec, integration)]


def problem_json(problem: SpecProblem) -> dict[str, str]:
    """One problem as the API and the command give it (an engine problem is an error)."""
    return {
        "severity": getattr(problem, "severity", "error"),
        "object_key": problem.object_key,
        "field": problem.field,
        "target": problem.target,
        "message": problem.message,
        "text": str(problem),
    }
