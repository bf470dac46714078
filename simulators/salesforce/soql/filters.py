"""WHERE clauses: SOQL conditions to SQL with SOQL's two-valued logic and its type rules for literals.

A comparison on a null field is false and its negation true (``Name != 'x'`` matches a null Name), so
``NOT`` is pushed down to the leaves, each of which knows its own negation, instead of relying on SQL's
three-valued ``NOT``. Literals must match the field's type the way Salesforce insists (dates unquoted,
strings quoted, ids well formed).
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import datetime as dt
from typing import Any

from simulators.salesforce import ids
from simulators.salesforce.errors import ApiError
from simulators.salesforce.schema import FILTER_TYPE_NAMES, ID_TYPES, NUMBER_TYPES, TEXT_TYPES, Field, Schema
from simulators.salesforce.soql import parser as ast
from simulators.salesforce.soql.dates import date_range
from simulators.salesforce.soql.lexer import malformed
from simulators.salesforce.soql.scope import Resolved, Scope
from simulators.salesforce.values import parse_date, stored_datetime

_FLIP = {"AND": "OR", "OR": "AND"}


class FilterCompiler:
    """The WHERE half of :class:`simulators.salesforce.soql.compiler.Compiler` (a mixin)."""

    schema: Schema
    query: ast.Query
    include_deleted: bool
    today: dt.date

    def next_alias(self) -> int:
        raise NotImplementedError

    def error(self, code: str, pos: int, message: str) -> ApiError:
        raise NotImplementedError

    def _type_error(self, f: Field, pos: int) -> ApiError:
        kind = FILTER_TYPE_NAMES.get(f.type, "id" if f.type in ID_TYPES else "string")
        quoted = (
            "should be enclosed in quotes"
            if f.type in TEXT_TYPES or f.type in ID_TYPES
            else "should not be enclosed in quotes"
        )
        return self.error(
            "INVALID_FIELD",
            pos,
            f"value of filter criterion for field '{f.name}' must be of type {kind} and {quoted}",
        )

    def _where(
        self, scope: Scope, condition: ast.Condition | None, alias: str = "t0"
    ) -> tuple[str, list[Any]]:
        params: list[Any] = []
        parts = [] if self.include_deleted else [f'{alias}."IsDeleted" = 0']
        if condition is not None:
            parts.append(self._condition(scope, condition, False, params))
        return (" WHERE " + " AND ".join(parts), params) if parts else ("", params)

    def _condition(self, scope: Scope, condition: ast.Condition, negate: bool, params: list[Any]) -> str:
        if isinstance(condition, ast.BoolOp):
            op = _FLIP[condition.op] if negate else condition.op
            return (
                "("
                + f" {op} ".join(self._condition(scope, item, negate, params) for item in condition.items)
                + ")"
            )
        if isinstance(condition, ast.Not):
            return self._condition(scope, condition.item, not negate, params)
        if isinstance(condition, ast.InList):
            return self._in_list(scope, condition, negate, params)
        return self._comparison(scope, condition, negate, params)

    def _filterable(self, scope: Scope, path: ast.FieldPath) -> Resolved:
        resolved = scope.resolve(path)
        if not resolved.field.filterable:
            raise self.error(
                "INVALID_FIELD",
                path.pos,
                f"field '{resolved.field.name}' can not be filtered in a query call",
            )
        return resolved

    def _comparison(self, scope: Scope, comparison: ast.Comparison, negate: bool, params: list[Any]) -> str:
        resolved = self._filterable(scope, comparison.field)
        column, f, literal, op = resolved.sql, resolved.field, comparison.value, comparison.op
        if op == "LIKE":
            if f.type not in TEXT_TYPES:
                raise self.error("INVALID_FIELD", comparison.pos, f"invalid operator on field '{f.name}'")
            params.append(literal.value.like)
            positive = f"{column} LIKE ? ESCAPE '\\'"
            return f"({column} IS NULL OR NOT ({positive}))" if negate else positive
        if literal.kind == "date_literal":
            return self._date_literal(column, f, literal, op, negate, params)
        value = self._param(f, literal)
        if value is None:
            is_null = (op == "=") != negate
            if op not in ("=", "!="):
                return "1" if negate else "0"
            return f"{column} IS NULL" if is_null else f"{column} IS NOT NULL"
        params.append(value)
        if op == "!=":
            return f"{column} = ?" if negate else f"({column} IS NULL OR {column} != ?)"
        positive = f"{column} {op} ?"
        return f"({column} IS NULL OR NOT ({positive}))" if negate else positive

    def _date_literal(
        self, column: str, f: Field, literal: ast.Literal, op: str, negate: bool, params: list[Any]
    ) -> str:
        if f.type not in ("date", "datetime"):
            raise self._type_error(f, literal.pos)
        name, amount = literal.value
        start, end = date_range(name, amount, self.today)
        bounds = (
            [start.isoformat(), end.isoformat()]
            if f.type == "date"
            else [f"{start.isoformat()}T00:00:00.000+0000", f"{end.isoformat()}T00:00:00.000+0000"]
        )
        if op in ("=", "!="):
            params.extend(bounds)
            inside = f"({column} >= ? AND {column} < ?)"
            if (op == "=") != negate:
                return inside
            return f"({column} IS NULL OR NOT {inside})"
        bound, test = {"<": (0, "<"), "<=": (1, "<"), ">": (1, ">="), ">=": (0, ">=")}[op]
        params.append(bounds[bound])
        positive = f"{column} {test} ?"
        return f"({column} IS NULL OR NOT ({positive}))" if negate else positive

    def _in_list(self, scope: Scope, condition: ast.InList, negate: bool, params: list[Any]) -> str:
        resolved = self._filterable(scope, condition.field)
        column, f = resolved.sql, resolved.field
        inside = negate == condition.negated  # True: "column is in the list"
        if condition.subquery is not None:
            if f.type not in ID_TYPES:
                raise self.error(
                    "INVALID_FIELD",
                    condition.pos,
                    "Invalid semi join: the left operand must be an Id or reference field",
                )
            sub_sql = self._semi_join(condition.subquery, params)
            return (
                f"{column} IN ({sub_sql})" if inside else f"({column} IS NULL OR {column} NOT IN ({sub_sql}))"
            )
        values = []
        has_null = False
        for literal in condition.values:
            if literal.kind == "date_literal":
                raise self._type_error(f, literal.pos)
            value = self._param(f, literal)
            if value is None:
                has_null = True
            else:
                values.append(value)
        params.extend(values)
        marks = ", ".join("?" for _ in values)
        if inside:
            test = f"{column} IN ({marks})" if values else "0"
            return f"({test} OR {column} IS NULL)" if has_null else test
        test = f"{column} NOT IN ({marks})" if values else "1"
        return f"({column} IS NOT NULL AND {test})" if has_null else f"({column} IS NULL OR {test})"

    def _semi_join(self, query: ast.Query, params: list[Any]) -> str:
        sobject = self.schema.get(query.sobject)
        if sobject is None:
            raise self.error(
                "INVALID_TYPE", query.sobject_pos, f"sObject type '{query.sobject}' is not supported."
            )
        if len(query.items) != 1 or not isinstance(query.items[0], ast.FieldPath):
            raise malformed(
                self.query.source,
                query.sobject_pos,
                "Invalid semi join: the subquery must select exactly one Id or reference field",
            )
        alias = f"s{self.next_alias()}"
        scope = Scope(self, sobject, alias, query.alias)
        selected = scope.resolve(query.items[0])
        if selected.field.type not in ID_TYPES:
            raise self.error(
                "INVALID_FIELD",
                query.items[0].pos,
                "Invalid semi join: the subquery must select an Id or reference field",
            )
        where_sql, where_params = self._where(scope, query.where, alias=alias)
        params.extend(where_params)
        limit = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        return f"SELECT {selected.sql} FROM {scope.from_sql()}{where_sql}{limit}"

    def _param(self, f: Field, literal: ast.Literal) -> Any:
        kind = literal.kind
        if kind == "null":
            return None
        if f.type in ID_TYPES:
            if kind != "string":
                raise self._type_error(f, literal.pos)
            text = literal.value.text
            if text == "":
                return None
            normalized = ids.normalize(text)
            if normalized is None:
                raise self.error("INVALID_QUERY_FILTER_OPERATOR", literal.pos, f"invalid ID field: {text}")
            return normalized
        if f.type in TEXT_TYPES:
            if kind != "string":
                raise self._type_error(f, literal.pos)
            return literal.value.text or None
        if f.type == "boolean":
            if kind != "boolean":
                raise self._type_error(f, literal.pos)
            return int(literal.value)
        if f.type in NUMBER_TYPES:
            if kind != "number":
                raise self._type_error(f, literal.pos)
            return literal.value
        if f.type == "date":
            if kind != "date":
                raise self._type_error(f, literal.pos)
            if parse_date(literal.value) is None:
                raise malformed(self.query.source, literal.pos, f"invalid date: {literal.text}")
            return literal.value
        if kind != "datetime":
            raise self._type_error(f, literal.pos)
        stored = stored_datetime(literal.value)
        if stored is None:
            raise malformed(self.query.source, literal.pos, f"invalid date time: {literal.text}")
        return stored

    # -- ORDER BY -------------------------------------------------------------------------------
