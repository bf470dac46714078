"""Name resolution for one FROM clause: field paths to SQL columns, with the parent joins they need."""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from simulators.salesforce.errors import ApiError, bad_relationship_text, no_such_column_text
from simulators.salesforce.schema import Field, Schema, SObject
from simulators.salesforce.soql import parser as ast


class ScopeOwner(Protocol):
    """What a scope needs from the compiler: the schema, fresh aliases and located errors."""

    schema: Schema

    def next_alias(self) -> int: ...

    def error(self, code: str, pos: int, message: str) -> ApiError: ...


@dataclass
class Resolved:
    sql: str
    field: Field
    relationships: tuple[str, ...]
    aliases: tuple[str, ...]
    parents: tuple[SObject, ...]


class Scope:
    """One FROM clause: its object, alias and the parent joins its field paths need."""

    def __init__(self, compiler: ScopeOwner, sobject: SObject, alias: str, query_alias: str | None) -> None:
        self.compiler = compiler
        self.sobject = sobject
        self.alias = alias
        self.query_alias = query_alias
        self.joins: dict[tuple[str, ...], tuple[str, SObject]] = {}
        self.join_sql: list[str] = []

    def resolve(self, path: ast.FieldPath) -> Resolved:
        parts = list(path.parts)
        if len(parts) > 1:
            head = parts[0].lower()
            if (self.query_alias and head == self.query_alias.lower()) or (
                head == self.sobject.name.lower() and self.sobject.relationship(parts[0]) is None
            ):
                parts = parts[1:]
        current, alias = self.sobject, self.alias
        relationships: list[str] = []
        aliases: list[str] = []
        parents: list[SObject] = []
        for part in parts[:-1]:
            lookup = current.relationship(part)
            if lookup is None or lookup.reference_to is None:
                raise self.compiler.error(
                    "INVALID_FIELD",
                    path.pos,
                    bad_relationship_text(part),
                )
            relationships.append(str(lookup.relationship_name))
            key = tuple(name.lower() for name in relationships)
            if key not in self.joins:
                parent = self.compiler.schema.sobjects[lookup.reference_to]
                join_alias = f"j{self.compiler.next_alias()}"
                self.joins[key] = (join_alias, parent)
                self.join_sql.append(
                    f' LEFT JOIN "{parent.table}" AS {join_alias} '
                    f'ON {join_alias}."Id" = {alias}."{lookup.name}"'
                )
            alias, current = self.joins[key]
            aliases.append(alias)
            parents.append(current)
        found = current.field(parts[-1])
        if found is None:
            raise self.compiler.error(
                "INVALID_FIELD",
                path.pos,
                no_such_column_text(parts[-1], current.name),
            )
        return Resolved(
            f'{alias}."{found.name}"', found, tuple(relationships), tuple(aliases), tuple(parents)
        )

    def from_sql(self) -> str:
        return f'"{self.sobject.table}" AS {self.alias}' + "".join(self.join_sql)


class Columns:
    def __init__(self) -> None:
        self.sql: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, sql: str) -> int:
        if sql not in self.index:
            self.index[sql] = len(self.sql)
            self.sql.append(sql)
        return self.index[sql]
