"""What applying a mapping gives: payloads ready to send, and the problems of unmappable records.

Bodies hold money as :class:`~decimal.Decimal`, exactly as computed. :meth:`ObjectPayload.to_json`
(or :func:`json_ready`) is the edge where they become JSON numbers: whole amounts as integers, others as
floats. A float prints as the shortest text that reads back to it, so any amount of up to 15
significant digits goes over the wire exactly as the Decimal says.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sync.mappings.engine.paths import Segment, remove_path
from sync.mappings.engine.problems import MappingProblem

_PLAIN = frozenset((str, int, bool, float, type(None)))


def json_ready(value: Any) -> Any:
    """A copy of ``value`` that ``json.dumps`` accepts: Decimals as numbers, dates as ISO text."""
    kind = value.__class__
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {
            key: inner if inner.__class__ in _PLAIN else json_ready(inner) for key, inner in value.items()
        }
    if kind is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [json_ready(inner) for inner in value]
    if isinstance(value, dict):
        return {key: json_ready(inner) for key, inner in value.items()}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


@dataclass(slots=True)
class ObjectPayload:
    """One record to write: ``body`` for ``target_type``, matched on ``external_id``.

    ``ref_key`` is the key to record the written record's id under in the refs of later objects
    (``customer``, or ``subscription_plan[<quote line id>]`` for one item of a ``for_each`` object).
    ``create_only_fields`` are left out of an update, and so are ``target_owned_fields`` (the rows whose
    system of record is the target: an update from the other side never overwrites them);
    :meth:`update_body` gives that body. (Not frozen:
    a frozen dataclass's ``__init__`` costs several times more, and the engine makes one per record.)
    """

    object_key: str
    target_type: str
    mode: str
    external_id: str | None
    external_id_field: str | None
    ref_key: str
    source_id: str | None
    body: dict[str, Any]
    create_only_fields: tuple[str, ...] = ()
    create_only_paths: tuple[tuple[Segment, ...], ...] = field(default=(), repr=False)
    exists: bool | None = None  # known from ``existing`` at apply time; None when not told
    target_owned_fields: tuple[str, ...] = ()
    record_only_fields: tuple[str, ...] = ()  # a conflict on them is recorded, the owner's value not forced
    sublists: tuple[str, ...] = ()  # NetSuite sublists the body may carry: always written with replace

    def sublists_in(self, body: dict[str, Any]) -> list[str]:
        """The declared sublists ``body`` (this payload's body or update body) carries, for ``replace``."""
        return [name for name in self.sublists if name in body]

    def update_body(self) -> dict[str, Any]:
        """The body without create-only fields, for updating a record that already exists."""
        if not self.create_only_paths:
            return self.body
        body = copy.deepcopy(self.body)
        for path in self.create_only_paths:
            remove_path(body, path)
        return body

    def to_json(self, *, update: bool = False) -> dict[str, Any]:
        """The body (or the update body) as JSON-ready data."""
        result: dict[str, Any] = json_ready(self.body)
        if update:
            # json_ready copied every dict and list: the create-only fields come out of its copy rather
            # than out of a deep copy made first (which cost the writer more than the rest of the body).
            for path in self.create_only_paths:
                remove_path(result, path)
        return result


@dataclass(slots=True)
class MappingResult:
    """Payloads in dependency order, and problems; a record with a problem has no payload."""

    payloads: list[ObjectPayload] = field(default_factory=list)
    problems: list[MappingProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def for_object(self, key: str) -> list[ObjectPayload]:
        return [payload for payload in self.payloads if payload.object_key == key]

    def problems_for(self, key: str) -> list[MappingProblem]:
        return [problem for problem in self.problems if problem.object_key == key]

    def extend(self, other: MappingResult) -> None:
        self.payloads.extend(other.payloads)
        self.problems.extend(other.problems)
