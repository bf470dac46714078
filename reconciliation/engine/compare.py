"""Compare two keyed streams field by field, with per-field tolerances.

The walk is a merge join over both sorted streams, so it holds one record per side at a time. Each
difference becomes a :class:`Mismatch`: missing on one side, a field that differs (both values kept),
or a key that occurs more than once on one side (a duplicate).
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciliation.engine.sorting import Pair, sorted_by_key


class MismatchKind(enum.StrEnum):
    MISSING_IN_NETSUITE = "missing_in_netsuite"
    MISSING_IN_SALESFORCE = "missing_in_salesforce"
    FIELD_DIFFERS = "field_differs"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class FieldSpec:
    """How one field is compared. ``kind``: ``text`` (exact), ``text_ci`` (trimmed, case-insensitive),
    ``number`` (within ``tolerance``, e.g. 0.005 for currency rounding) or ``integer``."""

    name: str
    kind: str = "text"
    tolerance: float = 0.0

    def comparator(self) -> Callable[[Any, Any], bool]:
        if self.kind == "number":
            return _numbers_agree(self.tolerance)
        if self.kind == "integer":
            return _integers_agree
        if self.kind == "text_ci":
            return _texts_agree_ci
        if self.kind == "text":
            return _texts_agree
        raise ValueError(f"field {self.name!r}: unknown comparison kind {self.kind!r}")


@dataclass(frozen=True)
class Mismatch:
    kind: MismatchKind
    key: str
    field: str = ""
    salesforce: Any = None
    netsuite: Any = None


@dataclass
class Comparison:
    """What a comparison found, filled in as the mismatches are consumed."""

    fields: Sequence[FieldSpec]
    salesforce_records: int = 0
    netsuite_records: int = 0
    matched: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    field_counts: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "salesforce_records": self.salesforce_records,
            "netsuite_records": self.netsuite_records,
            "matched": self.matched,
            "counts": {kind.value: self.counts.get(kind.value, 0) for kind in MismatchKind},
            "field_counts": dict(self.field_counts),
        }


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _numbers_agree(tolerance: float) -> Callable[[Any, Any], bool]:
    # An absolute tolerance plus a relative epsilon: float sums of the same cents can differ in the
    # last binary digit.
    def agree(left: Any, right: Any) -> bool:
        if _blank(left) or _blank(right):
            return _blank(left) and _blank(right)
        try:
            a, b = float(left), float(right)
        except (TypeError, ValueError):
            return str(left) == str(right)
        return abs(a - b) <= tolerance + 1e-9 * max(1.0, abs(a), abs(b)) or (math.isnan(a) and math.isnan(b))

    return agree


def _integers_agree(left: Any, right: Any) -> bool:
    if _blank(left) or _blank(right):
        return _blank(left) and _blank(right)
    try:
        return int(float(left)) == int(float(right))
    except (TypeError, ValueError):
        return str(left) == str(right)


def _texts_agree(left: Any, right: Any) -> bool:
    return ("" if left is None else str(left)) == ("" if right is None else str(right))


def _texts_agree_ci(left: Any, right: Any) -> bool:
    return ("" if left is None else str(left)).strip().casefold() == (
        "" if right is None else str(right)
    ).strip().casefold()


def _unique(
    pairs: Iterator[Pair], *, salesforce: bool, result: Comparison, found: list[Mismatch]
) -> Iterator[Pair]:
    """Each key's first record; later records with the same key go to ``found`` as duplicates."""
    previous: str | None = None
    count = 0
    for key, values in pairs:
        count += 1
        if key == previous:
            side = ("salesforce", None) if salesforce else (None, "netsuite")
            found.append(Mismatch(MismatchKind.DUPLICATE, key, "", *side))
            continue
        previous = key
        yield key, values
    if salesforce:
        result.salesforce_records = count
    else:
        result.netsuite_records = count


def compare(
    salesforce: Iterable[Pair],
    netsuite: Iterable[Pair],
    fields: Sequence[FieldSpec],
    *,
    result: Comparison | None = None,
    chunk_size: int = 200_000,
) -> Iterator[Mismatch]:
    """Every mismatch between the two streams; ``result`` (if given) receives the counts.

    Both streams yield ``(key, values)`` with ``values`` aligned to ``fields``. Keys compare exactly.
    """
    outcome = result if result is not None else Comparison(fields)
    comparators = [spec.comparator() for spec in fields]
    names = [spec.name for spec in fields]
    found: list[Mismatch] = []
    lefts = _unique(
        sorted_by_key(salesforce, chunk_size=chunk_size), salesforce=True, result=outcome, found=found
    )
    rights = _unique(
        sorted_by_key(netsuite, chunk_size=chunk_size), salesforce=False, result=outcome, found=found
    )
    for mismatch in _walk(lefts, rights, comparators, names, outcome, found):
        outcome.counts[mismatch.kind.value] += 1
        yield mismatch


def _walk(
    lefts: Iterator[Pair],
    rights: Iterator[Pair],
    comparators: list[Callable[[Any, Any], bool]],
    names: list[str],
    outcome: Comparison,
    found: list[Mismatch],
) -> Iterator[Mismatch]:
    a = next(lefts, None)
    b = next(rights, None)
    while a is not None or b is not None:
        if found:
            yield from found
            found.clear()
        if a is not None and (b is None or a[0] < b[0]):
            yield Mismatch(MismatchKind.MISSING_IN_NETSUITE, a[0], "", _summary(names, a[1]), None)
            a = next(lefts, None)
        elif b is not None and (a is None or b[0] < a[0]):
            yield Mismatch(MismatchKind.MISSING_IN_SALESFORCE, b[0], "", None, _summary(names, b[1]))
            b = next(rights, None)
        elif a is not None and b is not None:  # the same key on both sides
            key, left_values, right_values = a[0], a[1], b[1]
            same = True
            for index, agree in enumerate(comparators):
                if not agree(left_values[index], right_values[index]):
                    same = False
                    outcome.field_counts[names[index]] += 1
                    yield Mismatch(
                        MismatchKind.FIELD_DIFFERS, key, names[index], left_values[index], right_values[index]
                    )
            if same:
                outcome.matched += 1
            a = next(lefts, None)
            b = next(rights, None)
    if found:
        yield from found
        found.clear()


def _summary(names: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(names, values, strict=False))
