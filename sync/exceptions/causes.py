"""Why exceptions happen together: the cause key that groups them (issue 24, point 2).

The first reconciliation run of a new org can open 47 exceptions at once, and a country missing from
``country_to_subsidiary`` stops every deal of that country: one cause, many exceptions. Each exception
gets a **cause key** when it is raised (:func:`sync.exceptions.services.exception_raise` calls
:func:`cause_key_for`), and the exceptions sharing one are shown as a group with one action for all
(:mod:`sync.exceptions.groups`), while each keeps its own history.

Three kinds of cause, tried in this order:

* ``lookup``: the same key missing from the same lookup table of the same integration (the mapping
  engine's ``no 'FR' in lookup table 'country_to_subsidiary'``), whatever the record;
* ``recon``: the same reconciliation check and run, with the same finding (kind and field): "47 sales
  orders missing in NetSuite in run 12";
* ``error``: the same category, error code and field (the error path, else the mapping row or rule at
  fault) in the same integration.

An exception with none of these (no code, no field, no check) has no cause key and stands alone. The key
is a short digest of those parts (``lookup-3f2a...``): safe in a URL, the same on every database, and
never shown to people, who read :func:`cause_describe` instead. A later occurrence recomputes it (the
newest facts win, as for the rest of an exception): a mismatch seen again by the next run joins that
run's group.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CAUSE_KEY_LENGTH = 40  # the column's width: a kind prefix and a 32-character digest fit

# The mapping engine's words for a lookup miss (sync.mappings.engine.transforms.values._lookup): the key
# is written as Python writes a string (either quote), the table in single quotes. A key the engine
# shortened (ending in "…") does not match and falls back to the error cause.
_LOOKUP_MISS = re.compile(r"""no (?P<quote>['"])(?P<key>.*?)(?P=quote) in lookup table '(?P<table>[^']+)'""")


@dataclass(frozen=True)
class LookupMiss:
    """A key a lookup table does not have: what a draft entry would add."""

    table: str
    key: str


def lookup_miss_of(message: str) -> LookupMiss | None:
    """The first lookup miss ``message`` reports (an engine problem, possibly several joined), or None."""
    found = _LOOKUP_MISS.search(message or "")
    if found is None or not found["key"].strip():
        return None
    return LookupMiss(table=found["table"], key=found["key"])


@dataclass(frozen=True)
class Cause:
    """What an exception's cause is made of; :attr:`key` is the digest stored on the exception."""

    kind: str  # "lookup" | "recon" | "error"
    parts: tuple[str, ...]

    @property
    def key(self) -> str:
        digest = hashlib.sha256("\x1f".join(self.parts).encode()).hexdigest()
        return f"{self.kind}-{digest[: CAUSE_KEY_LENGTH - len(self.kind) - 1]}"


def cause_of(
    *,
    category: str,
    integration_id: int | None,
    vendor_code: str = "",
    vendor_message: str = "",
    error_path: str = "",
    mapping_row: str = "",
    rule: str = "",
    details: Mapping[str, Any] | None = None,
) -> Cause | None:
    """The cause of an exception with these facts, or None when it has nothing to share with others."""
    details = details or {}
    integration = str(integration_id or "")
    miss = lookup_miss_of(vendor_message)
    if miss is not None:
        return Cause("lookup", (integration, miss.table, miss.key))
    check = details.get("check")
    if check:
        run = details.get("run")
        kind, field = details.get("kind") or "", details.get("field") or ""
        return Cause("recon", (integration, str(check), str(run or ""), str(kind), str(field)))
    field = error_path or mapping_row or rule
    if vendor_code or field:
        return Cause("error", (integration, category, vendor_code, field))
    return None


def cause_key_for(**facts: Any) -> str:
    """The cause key of an exception with these facts (:func:`cause_of`'s arguments); "" for none."""
    cause = cause_of(**facts)
    return cause.key if cause is not None else ""


def cause_of_item(item: Any) -> Cause | None:
    """The cause of a stored exception (an :class:`~sync.exceptions.models.ExceptionItem`)."""
    return cause_of(
        category=item.category.key,
        integration_id=item.integration_id,
        vendor_code=item.vendor_code,
        vendor_message=item.vendor_message,
        error_path=item.error_path,
        mapping_row=item.mapping_row,
        rule=item.rule,
        details=item.details,
    )


def cause_describe(item: Any) -> str:
    """The cause of ``item``'s group in words, for the group's page ("No 'FR' in the lookup table
    country_to_subsidiary")."""
    cause = cause_of_item(item)
    if cause is None:
        return item.title
    if cause.kind == "lookup":
        _, table, key = cause.parts
        return f"No {key!r} in the lookup table {table}"
    if cause.kind == "recon":
        _, check, run, kind, field = cause.parts
        what = kind.replace("_", " ") + (f" ({field})" if field else "")
        return f"Reconciliation {check}{f' run {run}' if run else ''}: {what}"
    _, category, code, field = cause.parts
    said = " at ".join(part for part in (code, field) if part)
    return f"{item.category.name}: {said}"
