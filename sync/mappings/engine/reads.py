"""What a mapping reads from the opportunity graph: every source path, placed in the graph's sections.

The Closed Won flow reads one graph per opportunity (``fetch_opportunity_graphs``): the opportunity, its
account (``Account.X``), its contact roles (``OpportunityContactRoles``, each with ``Contact.X``), its
primary quote (``primary_quote``, read through the child relationship ``SBQQ__Quotes2__r``) and the
quote's lines (``primary_quote.lines``). A mapping names fields anywhere in that graph: in rows
(``source``, ``concat`` parts), in conditions (an object's or a group's ``where``, the ``if`` transform's
condition, ``value_from``), in transform options (``default``'s ``field``, ``currency_precision``'s
``currency_field``, ``concat``'s parts) and in an object's ``external_id``. :func:`spec_reads` finds them
all, each with the row that needs it, so the query can be derived from the mapping (sync.pipeline.reads)
and each row checked against the org's metadata (sync.mappings.metadata_check).

Paths are resolved as the engine resolves them: ``$.`` from the root, ``^.`` from the enclosing record,
``@children_of`` over the current list, the rest from the current record. Django-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sync.mappings.engine.transforms import TRANSFORMS

# The graph's sections, in query order, and the Salesforce object each one's fields belong to.
SECTION_OBJECTS: dict[str, str] = {
    "opportunity": "Opportunity",
    "account": "Account",
    "contact_roles": "OpportunityContactRole",
    "quote": "SBQQ__Quote__c",
    "quote_line": "SBQQ__QuoteLine__c",
}
SECTIONS = tuple(SECTION_OBJECTS)
# Where each section hangs in the graph (the relationship or child relationship Salesforce knows it by).
SECTION_VIA: dict[str, str] = {
    "account": "Opportunity.Account (AccountId)",
    "contact_roles": "Opportunity.OpportunityContactRoles",
    "quote": "Opportunity.SBQQ__Quotes2__r (the primary quote)",
    "quote_line": "SBQQ__Quote__c lines (SBQQ__QuoteLine__c.SBQQ__Quote__c)",
}


@dataclass(frozen=True)
class FieldRead:
    """One Salesforce field a mapping reads: its graph section, its path there (``Contact.Email``), and
    who reads it (object key, row label; ``row`` is "" for the object's own settings)."""

    section: str
    field: str
    object_key: str
    row: str
    path: str  # the path as written in the mapping
    optional: bool = False  # the row is skipped where the org lacks the field
    # How the row reads it: "source" (its value), "concat" (a part of it), "condition", "external_id",
    # or the transform option ("currency_precision.currency_field").
    role: str = "source"

    @property
    def soql(self) -> str:
        """The name as selected in its section's query (``Contact.Email``)."""
        return self.field


def spec_reads(spec: Mapping[str, Any]) -> list[FieldRead]:
    """Every Salesforce field ``spec`` reads, in spec order (a field read by two rows appears twice)."""
    reads: list[FieldRead] = []
    for obj in spec.get("objects") or []:
        if not isinstance(obj, Mapping):
            continue
        key = str(obj.get("key") or "")
        stack: list[tuple[str, ...]] = [()]
        for name in ("source_path", "for_each"):
            if isinstance(obj.get(name), str) and obj[name]:
                stack.append(resolved(stack, obj[name]))
        found = _Reads(reads, key)
        found.condition(obj.get("where"), stack, "where", False)
        if isinstance(obj.get("external_id"), Mapping):
            found.expression(obj["external_id"], stack, "external_id", False, "external_id")
        found.rows(obj.get("fields") or [], stack, "")
    return reads


def reads_by_section(reads: Iterable[FieldRead]) -> dict[str, list[str]]:
    """Section -> the fields read there, each once (first spelling wins), in order."""
    sections: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for read in reads:
        marker = (read.section, read.field.lower())
        if marker not in seen:
            seen.add(marker)
            sections.setdefault(read.section, []).append(read.field)
    return sections


class _Reads:
    """Collects the reads of one object mapping."""

    def __init__(self, reads: list[FieldRead], object_key: str) -> None:
        self.reads = reads
        self.object_key = object_key

    def add(
        self, stack: list[tuple[str, ...]], text: Any, row: str, optional: bool, role: str = "source"
    ) -> None:
        if not isinstance(text, str) or not text or text.startswith("@"):
            return
        placed = place(resolved(stack, text))
        if placed is not None:
            self.reads.append(FieldRead(placed[0], placed[1], self.object_key, row, text, optional, role))

    def rows(self, rows: Iterable[Any], stack: list[tuple[str, ...]], prefix: str) -> None:
        for position, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                continue
            label = row_label(row, position, prefix)
            optional = row.get("optional") is True
            if isinstance(row.get("each"), str):
                inner = [*stack, resolved(stack, row["each"])]
                self.condition(row.get("where"), inner, label, optional)
                self.rows(row.get("fields") or [], inner, label)
                continue
            self.expression(row, stack, label, optional)

    def expression(
        self,
        data: Mapping[str, Any],
        stack: list[tuple[str, ...]],
        row: str,
        optional: bool,
        role: str = "source",
    ) -> None:
        self.add(stack, data.get("source"), row, optional, role)
        concat = data.get("concat")
        for part in concat if isinstance(concat, list) else []:
            if isinstance(part, Mapping):
                self.expression(part, stack, row, optional, "concat")
        self.transforms(data.get("transforms"), stack, row, optional)

    def transforms(self, chain: Any, stack: list[tuple[str, ...]], row: str, optional: bool) -> None:
        if not isinstance(chain, list):
            return
        for item in chain:
            if not isinstance(item, Mapping):
                continue
            definition = TRANSFORMS.get(str(item.get("fn")))
            if definition is None:
                continue
            for param in definition.params:
                role = f"{definition.name}.{param.name}"
                self.param(param.kind, item.get(param.name), stack, row, optional, role)

    def param(
        self, kind: str, value: Any, stack: list[tuple[str, ...]], row: str, optional: bool, role: str
    ) -> None:
        """The paths one transform option reads: a path, a condition, value expressions, a branch."""
        if kind == "path":
            self.add(stack, value, row, optional, role)
        elif kind == "condition":
            self.condition(value, stack, row, optional)
        elif kind == "expressions" and isinstance(value, list):
            for part in value:
                if isinstance(part, Mapping):
                    self.expression(part, stack, row, optional, "concat")
        elif kind == "branch" and isinstance(value, list):
            self.transforms(value, stack, row, optional)

    def condition(self, data: Any, stack: list[tuple[str, ...]], row: str, optional: bool) -> None:
        for path in condition_paths(data):
            self.add(stack, path, row, optional, "condition")


def condition_paths(data: Any, depth: int = 0) -> Iterator[str]:
    """The source paths a condition reads (``field`` and ``value_from``, through all/any/not)."""
    if not isinstance(data, Mapping) or depth > 20:
        return
    for combinator in ("all", "any"):
        if isinstance(data.get(combinator), list):
            for part in data[combinator]:
                yield from condition_paths(part, depth + 1)
    if "not" in data:
        yield from condition_paths(data["not"], depth + 1)
    for name in ("field", "value_from"):
        if isinstance(data.get(name), str):
            yield data[name]


def row_label(row: Mapping[str, Any], position: int, prefix: str = "") -> str:
    """How problems name a row: its id (``#<position>`` without one), after its group's (``lines/qty``)."""
    ident = row.get("id") if isinstance(row.get("id"), str) and row["id"].strip() else f"#{position}"
    return f"{prefix}/{str(ident).strip()}" if prefix else str(ident).strip()


def resolved(stack: list[tuple[str, ...]], text: str) -> tuple[str, ...]:
    """The path ``text`` names from the graph's root, without list indexes and subquery wrappers."""
    if text.startswith("@children_of"):
        return stack[-1]  # the items of the list the current record is in
    base: tuple[str, ...] = ()
    if text == "$" or text.startswith("$."):
        rest = text[2:]
    else:
        up = 0
        while text == "^" or text.startswith("^."):
            up, text = up + 1, text[2:]
        base, rest = stack[max(0, len(stack) - 1 - up)], text
    names = tuple(part.split("[", 1)[0] for part in rest.split(".") if part)
    return base + tuple(name for name in names if name != "records")


def place(path: tuple[str, ...]) -> tuple[str, str] | None:
    """(section, field path within it) of a path from the graph's root; None for a list or wrapper."""
    head, rest = (path[0], path[1:]) if path else ("", ())
    if head == "Account":
        section = "account"
    elif head == "OpportunityContactRoles":
        section = "contact_roles"
    elif head == "primary_quote" and rest[:1] == ("lines",):
        section, rest = "quote_line", rest[1:]
    elif head == "primary_quote":
        section = "quote"
    elif head and head not in ("attributes", "SBQQ__Quotes2__r"):
        section, rest = "opportunity", path
    else:
        return None
    if not rest or rest[-1] == "attributes":
        return None
    return section, ".".join(rest)
