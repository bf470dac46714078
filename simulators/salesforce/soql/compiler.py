"""SOQL AST -> SQLite statements, checked against the schema the way Salesforce checks a query.

Parent paths (``Account.Owner.Name``) become LEFT JOINs on the parent's ``Id``
(:mod:`~simulators.salesforce.soql.scope`); child subqueries become one extra statement per page, keyed
by the parent ids; WHERE clauses are compiled by :mod:`~simulators.salesforce.soql.filters`.
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.salesforce.errors import ApiError, bad_child_relationship_text, unsupported_type_text
from simulators.salesforce.schema import Schema, SObject
from simulators.salesforce.soql import parser as ast
from simulators.salesforce.soql.filters import FilterCompiler
from simulators.salesforce.soql.lexer import located, malformed
from simulators.salesforce.soql.scope import Columns, Scope
from simulators.salesforce.values import output

MAX_OFFSET = 2000


@dataclass
class OutputNode:
    """How one (possibly nested) record is built from a result row."""

    sobject: str
    id_index: int
    # (key, column index, converter, nested parent node); index -1 reserves a child subquery's place.
    entries: list[tuple[str, int, Callable[[Any], Any] | None, OutputNode | None]] = field(
        default_factory=list
    )

    def build(self, row: Any, prefix: str) -> dict[str, Any]:
        record: dict[str, Any] = {
            "attributes": {"type": self.sobject, "url": prefix + self.sobject + "/" + row[self.id_index]}
        }
        for key, index, convert, node in self.entries:
            if node is not None:
                record[key] = None if row[node.id_index] is None else node.build(row, prefix)
            elif convert is None:
                record[key] = None
            else:
                record[key] = convert(row[index])
        return record


@dataclass
class ChildPlan:
    key: str
    sql: str  # its first parameter is a JSON array of parent ids
    params: list[Any]
    parent_index: int
    node: OutputNode
    limit: int | None
    offset: int


@dataclass
class Plan:
    """A compiled query: the statements to run and how to shape their rows."""

    sobject: SObject
    mode: str  # records, count, aggregate
    columns_sql: str
    from_sql: str
    where_sql: str
    params: list[Any]
    order_sql: str
    limit: int | None
    offset: int
    node: OutputNode
    rid_index: int
    children: list[ChildPlan]
    aggregate_keys: list[str]

    def rows_sql(self) -> str:
        return (
            f"SELECT {self.columns_sql} FROM {self.from_sql}{self.where_sql}{self.order_sql} LIMIT ? OFFSET ?"
        )

    def rowids_sql(self) -> str:
        return f"SELECT t0._rid FROM {self.from_sql}{self.where_sql}{self.order_sql} LIMIT ? OFFSET ?"

    def page_sql(self) -> str:
        keys = "(SELECT value FROM json_each(?))"
        return f"SELECT {self.columns_sql} FROM {self.from_sql} WHERE t0._rid IN {keys}"

    def count_sql(self) -> str:
        return f"SELECT COUNT(*) FROM (SELECT 1 FROM {self.from_sql}{self.where_sql} LIMIT ? OFFSET ?)"

    def aggregate_sql(self) -> str:
        return f"SELECT {self.columns_sql} FROM {self.from_sql}{self.where_sql}"


class Compiler(FilterCompiler):
    """Compiles one parsed query; ``today`` fixes what TODAY and friends mean."""

    def __init__(self, schema: Schema, query: ast.Query, *, include_deleted: bool, today: dt.date) -> None:
        self.schema = schema
        self.query = query
        self.include_deleted = include_deleted
        self.today = today
        self._aliases = 0

    def next_alias(self) -> int:
        self._aliases += 1
        return self._aliases

    def error(self, code: str, pos: int, message: str) -> ApiError:
        return ApiError(400, code, located(self.query.source, pos, message))

    # -- top level ------------------------------------------------------------------------------

    def compile(self) -> Plan:
        query = self.query
        sobject = self.schema.get(query.sobject)
        if sobject is None:
            raise self.error(
                "INVALID_TYPE",
                query.sobject_pos,
                unsupported_type_text(query.sobject),
            )
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise ApiError(400, "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        scope = Scope(self, sobject, "t0", query.alias)
        columns = Columns()
        counts = [item for item in query.items if isinstance(item, ast.Count)]
        mode = "records"
        aggregate_keys: list[str] = []
        node = OutputNode(sobject.name, columns.add('t0."Id"'))
        children: list[ChildPlan] = []
        if counts:
            mode, aggregate_keys = self._aggregates(scope, columns, counts)
        else:
            self._fields(scope, columns, node, query.items, query.limit)
            for item in query.items:
                if isinstance(item, ast.SubQuery):
                    child = self._child(sobject, item, node)
                    if any(existing.key == child.key for existing in children):
                        raise malformed(query.source, item.pos, f"duplicate field selected: {child.key}")
                    children.append(child)
        where_sql, params = self._where(scope, query.where)
        order_sql = self._order(scope, query.order_by)
        rid_index = columns.add("t0._rid") if mode == "records" else -1
        return Plan(
            sobject,
            mode,
            ", ".join(columns.sql),
            scope.from_sql(),
            where_sql,
            params,
            order_sql,
            query.limit,
            query.offset or 0,
            node,
            rid_index,
            children,
            aggregate_keys,
        )

    def _aggregates(self, scope: Scope, columns: Columns, counts: list[ast.Count]) -> tuple[str, list[str]]:
        others = [item for item in self.query.items if not isinstance(item, ast.Count)]
        if any(count.field is None for count in counts):
            if len(self.query.items) > 1:
                # COUNT() stands alone in the select list; point at whatever comes second.
                raise malformed(self.query.source, self.query.items[1].pos, "unexpected token: ','")
            return "count", []
        if others:
            first = others[0]
            name = first.text if isinstance(first, ast.FieldPath) else "subquery"
            raise malformed(self.query.source, first.pos, f"Field must be grouped or aggregated: {name}")
        keys: list[str] = []
        columns.sql.clear()
        columns.index.clear()
        unnamed = 0
        for count in counts:
            if count.field is None:
                continue
            resolved = scope.resolve(count.field)
            columns.sql.append(f"COUNT({resolved.sql})")
            if count.alias:
                keys.append(count.alias)
            else:
                keys.append(f"expr{unnamed}")
                unnamed += 1
        return "aggregate", keys

    def _fields(
        self,
        scope: Scope,
        columns: Columns,
        node: OutputNode,
        items: list[ast.SelectItem],
        limit: int | None,
    ) -> None:
        for item in items:
            if isinstance(item, ast.SubQuery):
                node.entries.append((item.query.sobject, -1, None, None))  # filled in per page
                continue
            if isinstance(item, ast.FieldsFunction):
                if item.kind != "STANDARD" and (limit is None or limit > 200):
                    raise malformed(
                        self.query.source,
                        item.pos,
                        "The SOQL FIELDS function must have a LIMIT of at most 200",
                    )
                for f in scope.sobject.fields:
                    if item.kind == "ALL" or (item.kind == "CUSTOM") == f.custom:
                        self._add_field(
                            scope, columns, node, ast.FieldPath((f.name,), item.pos), allow_dup=True
                        )
                continue
            if isinstance(item, ast.FieldPath):
                self._add_field(scope, columns, node, item, allow_dup=False)

    def _add_field(
        self, scope: Scope, columns: Columns, node: OutputNode, path: ast.FieldPath, *, allow_dup: bool
    ) -> None:
        resolved = scope.resolve(path)
        target = node
        for relationship, alias, parent in zip(
            resolved.relationships, resolved.aliases, resolved.parents, strict=True
        ):
            nested = next(
                (entry[3] for entry in target.entries if entry[0] == relationship and entry[3]), None
            )
            if nested is None:
                nested = OutputNode(parent.name, columns.add(f'{alias}."Id"'))
                target.entries.append((relationship, -1, None, nested))
            target = nested
        if any(entry[0] == resolved.field.name for entry in target.entries):
            if allow_dup:
                return
            raise malformed(self.query.source, path.pos, f"duplicate field selected: {path.text}")
        target.entries.append((resolved.field.name, columns.add(resolved.sql), output(resolved.field), None))

    def _child(self, parent: SObject, item: ast.SubQuery, parent_node: OutputNode) -> ChildPlan:
        query = item.query
        relationship = parent.child_relationship(query.sobject)
        if relationship is None:
            raise self.error(
                "INVALID_TYPE",
                query.sobject_pos,
                bad_child_relationship_text(query.sobject),
            )
        # The entry reserved for this subquery answers under the canonical relationship name.
        for position, entry in enumerate(parent_node.entries):
            if entry[1] == -1 and entry[3] is None and entry[0] == query.sobject:
                parent_node.entries[position] = (relationship.name, -1, None, None)
                break
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise ApiError(400, "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        child = self.schema.sobjects[relationship.child]
        alias = f"c{self.next_alias()}"
        scope = Scope(self, child, alias, query.alias or query.sobject)
        columns = Columns()
        node = OutputNode(child.name, columns.add(f'{alias}."Id"'))
        if any(isinstance(i, ast.Count) for i in query.items):
            raise malformed(self.query.source, query.sobject_pos, "unexpected token: 'COUNT'")
        self._fields(scope, columns, node, query.items, query.limit)
        parent_index = columns.add(f'{alias}."{relationship.field}"')
        where_sql, params = self._where(scope, query.where, alias=alias)
        link = f'{alias}."{relationship.field}" IN (SELECT value FROM json_each(?))'
        where_sql = f" WHERE {link} AND ({where_sql[7:]})" if where_sql else f" WHERE {link}"
        order_sql = self._order(scope, query.order_by, alias=alias)
        sql = f"SELECT {', '.join(columns.sql)} FROM {scope.from_sql()}{where_sql}{order_sql}"
        return ChildPlan(relationship.name, sql, params, parent_index, node, query.limit, query.offset or 0)

    def _order(self, scope: Scope, items: list[ast.OrderItem], alias: str = "t0") -> str:
        terms = []
        for item in items:
            resolved = scope.resolve(item.field)
            if not resolved.field.sortable:
                raise self.error(
                    "INVALID_FIELD",
                    item.field.pos,
                    f"field '{resolved.field.name}' can not be sorted in a query call",
                )
            nulls = item.nulls or ("LAST" if item.descending else "FIRST")
            terms.append(f"{resolved.sql} {'DESC' if item.descending else 'ASC'} NULLS {nulls}")
        terms.append(f"{alias}._rid")  # a stable order for query locators and ties
        return " ORDER BY " + ", ".join(terms)
