"""Small builders for mapping tests: a one-row mapping, and the first problem a spec has."""

from __future__ import annotations

from typing import Any

import pytest

from sync.mappings.engine import LookupResolver, MappingProblem, MappingValidationError, compile_mapping


def one_row(row: dict[str, Any], **object_options: Any) -> dict[str, Any]:
    """A spec with one object mapping holding ``row`` (and no external id: create_only)."""
    obj = {"key": "thing", "target": "record", "mode": "create_only", "fields": [row], **object_options}
    return {"flow": "test", "source": "Thing", "objects": [obj]}


def transformed(
    transforms: list[Any], value: Any, *, lookups: LookupResolver | None = None, **record: Any
) -> tuple[Any, list[MappingProblem]]:
    """Apply ``transforms`` to ``value`` (the record's field ``v``); returns (output, problems)."""
    mapping = compile_mapping(
        one_row({"id": "row", "target": "out", "source": "v", "transforms": transforms})
    )
    result = mapping.apply({"Id": "1", "v": value, **record}, lookups=lookups)
    return (result.payloads[0].body.get("out") if result.payloads else None), result.problems


def failure(transforms: list[Any], value: Any, **options: Any) -> str:
    """The message of the problem applying ``transforms`` to ``value`` records (there must be one)."""
    output, problems = transformed(transforms, value, **options)
    assert len(problems) == 1, (output, problems)
    assert problems[0].field_id == "row" and problems[0].target == "out"
    return problems[0].message


def invalid(spec: dict[str, Any], **options: Any) -> list[str]:
    """The problems compile_mapping reports for ``spec``, each as "object / row / target: message"."""
    with pytest.raises(MappingValidationError) as caught:
        compile_mapping(spec, **options)
    return [str(problem) for problem in caught.value.problems]


def invalid_transform(transforms: list[Any]) -> str:
    """The single problem compile_mapping reports for a row with ``transforms``."""
    (problem,) = invalid(one_row({"id": "row", "target": "out", "source": "v", "transforms": transforms}))
    assert problem.startswith("thing / row / out: "), problem
    return problem.removeprefix("thing / row / out: ")
