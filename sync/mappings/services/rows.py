"""Editing a draft's field rows one at a time: add, edit, reorder, delete, and check as you type.

A row is checked by compiling the whole version with the row as it would be saved: the engine's problems
that name this row refuse the save; problems elsewhere are left for submit, so a person can fix a draft
in any order. The row is also checked against the connected systems' metadata
(:func:`field_row_metadata_problems`): shown as it is typed, refusing submit and publish when an error.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from sync.mappings.engine import MappingValidationError, SpecProblem
from sync.mappings.models import FieldMapping, MappingFrozen, MappingVersion, ObjectMapping, ValueKind
from sync.mappings.services.specs import spec_metadata_problems, spec_problems, version_spec
from sync.mappings.services.versions import require_flow_editor, version_touched

ROW_FIELDS = (
    "key",
    "target",
    "kind",
    "source",
    "constant",
    "ref",
    "ref_item",
    "concat",
    "separator",
    "transforms",
    "each",
    "where",
    "required",
    "optional",
    "apply",
    "when_empty",
    "note",
    "owner",
    "on_conflict",
)


def _editable(version: MappingVersion) -> None:
    if not version.is_editable:
        raise MappingFrozen(f"{version} is {version.status}: copy it into a new draft to change it")


def field_row_build(
    *,
    obj: ObjectMapping,
    values: dict[str, Any],
    row: FieldMapping | None = None,
    parent: FieldMapping | None = None,
) -> FieldMapping:
    """An unsaved row: ``row`` with ``values`` applied, or a new row at the end of its siblings."""
    if row is None:
        siblings = FieldMapping.objects.filter(object_mapping=obj, parent=parent)
        order = int(siblings.aggregate(top=Max("order"))["top"] or 0) + 1
        row = FieldMapping(object_mapping=obj, parent=parent, order=order)
    else:
        row = FieldMapping.objects.get(pk=row.pk)
    for name in ROW_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    return row


def field_row_problems(*, candidate: FieldMapping) -> tuple[list[SpecProblem], list[SpecProblem]]:
    """(problems naming this row, problems elsewhere) if ``candidate`` were saved."""
    version = candidate.object_mapping.version
    problems = spec_problems(version_spec(version, override=candidate))
    label = candidate.label
    mine = [
        problem
        for problem in problems
        if problem.object_key == candidate.object_mapping.key
        and (problem.field == label or problem.field.startswith(label + "/"))
    ]
    return mine, [problem for problem in problems if problem not in mine]


def field_row_metadata_problems(*, candidate: FieldMapping) -> list[SpecProblem]:
    """The metadata check's problems naming this row if ``candidate`` were saved (its source exists in the
    org and fits the target, the target can be written...). They are shown as the row is typed; errors
    refuse submit and publish, not the save (a field may be created in the org after the row that maps
    it). The check's general notes ("NetSuite metadata not read yet") are the version page's."""
    version = candidate.object_mapping.version
    label = candidate.label
    return [
        problem
        for problem in spec_metadata_problems(
            version_spec(version, override=candidate), version.flow.integration
        )
        if problem.object_key == candidate.object_mapping.key
        and (problem.field == label or problem.field.startswith(label + "/"))
    ]


def field_row_save(
    *,
    obj: ObjectMapping,
    values: dict[str, Any],
    user: Any,
    row: FieldMapping | None = None,
    parent: FieldMapping | None = None,
) -> FieldMapping:
    """Add or change one row of a draft; raises MappingValidationError naming the row when it is wrong."""
    require_flow_editor(user, obj.version.flow)
    _editable(obj.version)
    if values.get("kind") == ValueKind.GROUP and row is None:
        raise MappingValidationError(
            [SpecProblem(obj.key, str(values.get("key", "")), "", "add sublist groups by importing JSON")]
        )
    candidate = field_row_build(obj=obj, values=values, row=row, parent=parent)
    mine, _ = field_row_problems(candidate=candidate)
    if mine:
        raise MappingValidationError(mine)
    with transaction.atomic():
        candidate.full_clean(exclude=["object_mapping", "parent"])
        candidate.save()
        version_touched(version=obj.version, user=user)
    return candidate


def field_row_move(*, row: FieldMapping, offset: int, user: Any) -> FieldMapping:
    """Move a row ``offset`` places among its siblings (-1 up, +1 down); orders are renumbered 1..n."""
    require_flow_editor(user, row.object_mapping.version.flow)
    _editable(row.object_mapping.version)
    with transaction.atomic():
        siblings = list(
            FieldMapping.objects.select_for_update()
            .filter(object_mapping_id=row.object_mapping_id, parent_id=row.parent_id)
            .order_by("order", "id")
        )
        index = next(position for position, item in enumerate(siblings) if item.pk == row.pk)
        moved = siblings.pop(index)
        siblings.insert(max(0, min(len(siblings), index + offset)), moved)
        for order, item in enumerate(siblings, start=1):
            if item.order != order:
                item.order = order
                item.save(update_fields=["order"])
        version_touched(version=row.object_mapping.version, user=user)
    return moved


def field_row_delete(*, row: FieldMapping, user: Any) -> None:
    """Delete a row (a group goes with its rows)."""
    require_flow_editor(user, row.object_mapping.version.flow)
    version = row.object_mapping.version
    _editable(version)
    with transaction.atomic():
        for child in FieldMapping.objects.filter(parent=row):
            field_row_delete(row=child, user=user)
        row.delete()
        version_touched(version=version, user=user)
