"""Approved value changes from the exception queue, put into the NetSuite bodies of one retry.

A person edits a field of a failed sync ("Edit value and retry"); once approved, the retry carries the
change as ``{field: value}`` on its inbox message, and the writer sends the mapped body with that value
in place. Only that run uses it: the next event for the opportunity maps Salesforce's data again.

A field is named ``<object key>.<path>`` (``customer.subsidiary``, ``sales_order.item[0].rate``), the
way the exception page offers it; a bare ``<path>`` applies to every object of the opportunity whose
body has that path. A reference field (``{"id": ...}`` in the body) given a bare id keeps its shape.

Free of Django: the writer calls it in worker threads.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from sync.mappings.engine import ObjectPayload

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def path_segments(path: str) -> list[str | int]:
    """``"item.items[0].rate"`` -> ``["item", "items", 0, "rate"]``."""
    return [int(index) if index else name for name, index in _SEGMENT.findall(path)]


def value_at(body: Any, path: str) -> Any:
    """The value at ``path`` in ``body``, or None when there is none."""
    found = _get(body, path_segments(path))
    return None if found is _MISSING else found


def _get(body: Any, segments: list[str | int]) -> Any:
    current = body
    for segment in segments:
        if isinstance(segment, int) and isinstance(current, list) and segment < len(current):
            current = current[segment]
        elif isinstance(segment, str) and isinstance(current, dict) and segment in current:
            current = current[segment]
        elif (
            isinstance(segment, int) and isinstance(current, dict) and isinstance(current.get("items"), list)
        ):
            # NetSuite names sublist lines item[0] in errors; the body holds them under "items".
            items = current["items"]
            if segment >= len(items):
                return _MISSING
            current = items[segment]
        else:
            return _MISSING
    return current


def split_field(field: str, object_keys: Collection[str]) -> tuple[str | None, str]:
    """``("customer", "subsidiary")`` for ``customer.subsidiary``; ``(None, field)`` for a bare path."""
    head, _, rest = field.partition(".")
    if rest and head in object_keys:
        return head, rest
    return None, field


def payload_with_overrides(
    payload: ObjectPayload, overrides: Mapping[str, Any], object_keys: Collection[str]
) -> tuple[ObjectPayload, list[str]]:
    """``payload`` with the changes meant for its object in place, and the fields applied."""
    applied: list[str] = []
    body: dict[str, Any] | None = None
    for field, value in overrides.items():
        object_key, path = split_field(field, object_keys)
        if object_key is not None and object_key != payload.object_key:
            continue
        segments = path_segments(path)
        if not segments:
            continue
        if object_key is None and _get(payload.body, segments) is _MISSING:
            continue  # a bare path only changes a body that has it
        body = body if body is not None else copy.deepcopy(payload.body)
        if _set(body, segments, value):
            applied.append(field)
    if body is None or not applied:
        return payload, []
    return replace(payload, body=body), applied


def _set(body: dict[str, Any], segments: list[str | int], value: Any) -> bool:
    parent: Any = body
    for segment, following in zip(segments, segments[1:], strict=False):
        child = _get(parent, [segment])
        if child is _MISSING:
            if not isinstance(segment, str) or not isinstance(parent, dict):
                return False
            child = {} if isinstance(following, str) else None
            if child is None:
                return False
            parent[segment] = child
        parent = child
    last = segments[-1]
    if isinstance(last, int):
        if isinstance(parent, dict) and isinstance(parent.get("items"), list):
            parent = parent["items"]
        if not isinstance(parent, list) or last >= len(parent):
            return False
        parent[last] = _shaped(parent[last], value)
        return True
    if not isinstance(parent, dict):
        return False
    parent[last] = _shaped(parent.get(last), value)
    return True


def _shaped(current: Any, value: Any) -> Any:
    """A bare id for a reference field becomes ``{"id": "..."}``, the shape NetSuite takes."""
    if isinstance(current, dict) and set(current) <= {"id", "refName", "externalId"} and "id" in current:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return {"id": str(value)}
    return value
