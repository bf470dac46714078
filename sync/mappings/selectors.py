"""Reads of mappings: flows and versions for the console, the published mapping for the pipeline, diffs.

:func:`published_mapping` is what the pipeline calls for every batch. Published versions never change,
so a compiled mapping is cached by version id; publishing a new version forgets the flow's entry, and
the caller records the returned version on each sync it runs with it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine import CompiledMapping
from sync.mappings.models import FieldMapping, Flow, MappingVersion, ObjectMapping, VersionStatus
from sync.mappings.services.specs import spec_compile, version_spec

_compiled: dict[int, tuple[tuple[int, str], dt.datetime, CompiledMapping]] = {}
_lock = threading.Lock()


class NoPublishedMapping(LookupError):
    """The flow has no published mapping: nothing may sync on it."""


def published_mapping(
    flow_key: str, integration: Integration | None = None
) -> tuple[MappingVersion, CompiledMapping]:
    """The published version of ``integration``'s flow ``flow_key`` (the primary integration's when
    None) and its compiled mapping (cached per version id). Its lookup tables are the integration's."""
    # The primary's version is found through the flag, in the same query: the primary is not read again
    # per call (its row comes with the version), and nothing cached can outlive a flush.
    owner_filter = (
        Q(flow__integration=integration) if integration is not None else Q(flow__integration__is_primary=True)
    )
    version = (
        MappingVersion.objects.select_related("flow", "flow__integration")
        .filter(owner_filter, flow__key=flow_key, status=VersionStatus.PUBLISHED)
        .first()
    )
    if version is None:
        owner = integration if integration is not None else primary_integration()
        raise NoPublishedMapping(f"flow {flow_key!r} of integration {owner.name!r} has no published mapping")
    owner = version.flow.integration
    # Keyed by id, checked by creation time: an id a rolled-back transaction handed out may come back
    # for another version (SQLite reuses it), which must not be served the first one's compiled mapping.
    cached = _compiled.get(version.pk)
    if cached is None or cached[1] != version.created_at:
        compiled = spec_compile(version_spec(version), owner)
        with _lock:
            _compiled[version.pk] = ((owner.pk, flow_key), version.created_at, compiled)
        return version, compiled
    return version, cached[2]


def published_mapping_forget(flow_key: str, integration_id: int | None = None) -> None:
    """Drop the cached compiled mappings of ``flow_key`` (of one integration, or of every one when
    None; called after a publish commits)."""
    with _lock:
        for version_id in [
            pk
            for pk, ((owner_id, key), _, _) in _compiled.items()
            if key == flow_key and integration_id in (None, owner_id)
        ]:
            del _compiled[version_id]


def flows_with_versions(integration: Integration | None = None) -> QuerySet[Flow]:
    """Flows with their versions, newest first: ``integration``'s, or every integration's when None."""
    versions = MappingVersion.objects.select_related("created_by", "approved_by", "published_by")
    flows = Flow.objects.select_related("integration").prefetch_related(
        Prefetch("versions", queryset=versions.order_by("-number"))
    )
    return flows.filter(integration=integration) if integration is not None else flows


@dataclass(frozen=True)
class ObjectRows:
    obj: ObjectMapping
    rows: list[tuple[FieldMapping, int]]  # (row, depth) in display order


def version_rows(version: MappingVersion) -> list[ObjectRows]:
    """Object mappings with their field rows flattened in order, group rows followed by their rows."""
    rows = list(FieldMapping.objects.filter(object_mapping__version=version).order_by("order", "id"))
    children: dict[tuple[int, int | None], list[FieldMapping]] = {}
    for row in rows:
        children.setdefault((row.object_mapping_id, row.parent_id), []).append(row)

    def walk(obj_id: int, parent_id: int | None, depth: int) -> list[tuple[FieldMapping, int]]:
        found = []
        for row in children.get((obj_id, parent_id), []):
            found.append((row, depth))
            found.extend(walk(obj_id, row.pk, depth + 1))
        return found

    return [ObjectRows(obj, walk(obj.pk, None, 0)) for obj in version.object_mappings.order_by("order", "id")]


@dataclass(frozen=True)
class DiffLine:
    object_key: str
    row: str  # the field row's label, "" for the object mapping itself
    attribute: str
    before: Any
    after: Any

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def _flatten(spec: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    flat: dict[tuple[str, str, str], Any] = {("", "", name): spec.get(name) for name in ("description",)}

    def rows(key: str, items: list[dict[str, Any]], prefix: str) -> None:
        for position, row in enumerate(items, start=1):
            label = f"{prefix}{row.get('id', f'#{position}')}"
            for name, value in row.items():
                if name not in ("id", "fields"):
                    flat[(key, label, name)] = value
            flat[(key, label, "position")] = position
            rows(key, row.get("fields") or [], label + "/")

    for position, obj in enumerate(spec.get("objects") or [], start=1):
        key = str(obj.get("key"))
        for name, value in obj.items():
            if name not in ("key", "fields"):
                flat[(key, "", name)] = value
        flat[(key, "", "position")] = position
        rows(key, obj.get("fields") or [], "")
    return flat


def spec_diff(before: dict[str, Any], after: dict[str, Any]) -> list[DiffLine]:
    """Field-by-field differences between two specs: one line per attribute of a row that differs."""
    old, new = _flatten(before), _flatten(after)
    lines = []
    for place in sorted(set(old) | set(new)):
        if old.get(place) != new.get(place):
            lines.append(DiffLine(*place, old.get(place), new.get(place)))
    return lines


def version_diff(before: MappingVersion, after: MappingVersion) -> list[DiffLine]:
    return spec_diff(version_spec(before), version_spec(after))
