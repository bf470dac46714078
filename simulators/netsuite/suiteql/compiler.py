"""SuiteQL AST -> one parameterised SQLite SELECT over the simulator's tables.

Tables and columns come only from :mod:`tables` (unknown ones are errors naming them), table aliases
are renamed to generated ones, and every literal becomes a ``?`` parameter, so no client text reaches
the SQL. Oracle semantics kept where clients notice them: NULLs sort last ascending and first
descending, ``||`` treats NULL as empty, ``/`` is never integer division, strings compared with dates
are read in the account's formats, and a bare column beside an aggregate needs a GROUP BY.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simulators.netsuite.suiteql import ast
from simulators.netsuite.suiteql.dates import implicit_date
from simulators.netsuite.suiteql.functions import compile_call
from simulators.netsuite.suiteql.lexer import SuiteQLError
from simulators.netsuite.suiteql.tables import Table, TableRegistry
from simulators.netsuite.suiteql.walk import bare_columns, conjuncts, has_aggregate, rownum_limit


@dataclass(frozen=True)
class Frag:
    sql: str
    params: tuple[Any, ...] = ()
    type: str = "any"
    display: str = ""  # BUILTIN.DF template for a plain column


@dataclass
class Source:
    name: str  # how the query refers to it: its alias, or the table name
    table: Table
    sql_alias: str


@dataclass
class Scope:
    parent: Scope | None
    sources: list[Source] = field(default_factory=list)

    def chain(self) -> Iterator[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent


@dataclass
class Compiled:
    sql: str
    params: tuple[Any, ...]
    names: list[str]
    types: list[str]
    limit: int | None


class Compiler:
    def __init__(self, registry: TableRegistry, now: Callable[[], str]) -> None:
        self.registry = registry
        self.now = now
        self._aliases = 0

    def compile(self, query: ast.Select) -> Compiled:
        return self._select(query, None, top=True)

    # -- SELECT ----------------------------------------------------------------------------------

    def _select(self, query: ast.Select, parent: Scope | None, *, top: bool = False) -> Compiled:
        scope = Scope(parent)
        from_sql = self._add_source(scope, query.source)
        for join in query.joins:
            self._add_source(scope, join.table)
        params: list[Any] = []
        join_sql = []
        for join, source in zip(query.joins, scope.sources[1:], strict=True):
            if join.kind == "CROSS":
                join_sql.append(f" CROSS JOIN {source.table.physical} {source.sql_alias}")
                continue
            condition = self.expr(join.condition, scope)
            join_sql.append(
                f" {'LEFT' if join.kind == 'LEFT' else 'INNER'} JOIN {source.table.physical} "
                f"{source.sql_alias} ON {condition.sql}"
            )
            params.extend(condition.params)
        items, names, types, item_params = self._items(query, scope)
        where, limit = self._where(query.where, scope)
        if limit is not None and (
            query.group_by or any(has_aggregate(item.expression) for item in query.items)
        ):
            # Oracle numbers rows before grouping; a LIMIT after it would give a different answer.
            raise SuiteQLError(
                "ROWNUM together with GROUP BY or aggregates is not supported by this simulator; "
                "use FETCH FIRST n ROWS ONLY."
            )
        if query.fetch_first is not None:
            limit = query.fetch_first if limit is None else min(limit, query.fetch_first)
        distinct = "DISTINCT " if query.distinct else ""
        sql = f"SELECT {distinct}{', '.join(items)} FROM {from_sql}{''.join(join_sql)}"
        all_params = [*item_params, *params]
        if where is not None:
            sql += " WHERE " + where.sql
            all_params.extend(where.params)
        group = [self.expr(node, scope) for node in query.group_by]
        self._check_grouping(query, scope, group)
        if group:
            sql += " GROUP BY " + ", ".join(g.sql for g in group)
            for g in group:
                all_params.extend(g.params)
        if query.having is not None:
            having = self.expr(query.having, scope)
            sql += " HAVING " + having.sql
            all_params.extend(having.params)
        if query.order_by:
            order_sql, order_params = self._order(query.order_by, scope, names)
            sql += " ORDER BY " + order_sql
            all_params.extend(order_params)
        if not top and limit is not None:
            sql += f" LIMIT {int(limit)}"
        return Compiled(sql, tuple(all_params), names, types, limit if top else None)

    def _add_source(self, scope: Scope, ref: ast.TableRef) -> str:
        table = self.registry.get(ref.name)
        if table is None:
            raise SuiteQLError(f"Record '{ref.name}' was not found.")
        name = ref.alias or ref.name
        if any(source.name == name for source in scope.sources):
            raise SuiteQLError(f"The table alias '{name}' is used twice.")
        self._aliases += 1
        source = Source(name, table, f"t{self._aliases}")
        scope.sources.append(source)
        return f"{table.physical} {source.sql_alias}"

    def _items(self, query: ast.Select, scope: Scope) -> tuple[list[str], list[str], list[str], list[Any]]:
        items: list[str] = []
        names: list[str] = []
        types: list[str] = []
        params: list[Any] = []
        unnamed = 0
        for item in query.items:
            expression = item.expression
            if isinstance(expression, ast.Star):
                sources = (
                    scope.sources
                    if expression.qualifier is None
                    else [self._source(scope, expression.qualifier)]
                )
                for source in sources:
                    for column in source.table.columns.values():
                        items.append(f"{column.sql.format(t=source.sql_alias)} AS c{len(items)}")
                        names.append(column.name)
                        types.append(column.type)
                continue
            frag = self.expr(expression, scope)
            if item.alias:
                name = item.alias
            elif isinstance(expression, ast.ColumnRef):
                name = expression.name
            else:
                unnamed += 1
                name = f"expr{unnamed}"
            items.append(f"{frag.sql} AS c{len(items)}")
            names.append(name)
            types.append(frag.type)
            params.extend(frag.params)
        return items, names, types, params

    def _where(self, node: ast.Node | None, scope: Scope) -> tuple[Frag | None, int | None]:
        """The WHERE condition, with top-level ``ROWNUM <= n`` conjuncts taken out as a row limit."""
        if node is None:
            return None, None
        limit: int | None = None
        kept = []
        for conjunct in conjuncts(node):
            rownum = rownum_limit(conjunct)
            if rownum is not None:
                limit = rownum if limit is None else min(limit, rownum)
            else:
                kept.append(conjunct)
        if not kept:
            return None, limit
        frags = [self.expr(conjunct, scope) for conjunct in kept]
        sql = " AND ".join(f"({frag.sql})" for frag in frags)
        return Frag(sql, tuple(p for frag in frags for p in frag.params), "predicate"), limit

    def _order(self, order_by: list[ast.OrderItem], scope: Scope, names: list[str]) -> tuple[str, list[Any]]:
        parts = []
        params: list[Any] = []
        for item in order_by:
            expression = item.expression
            if isinstance(expression, ast.Literal) and isinstance(expression.value, int):
                if not 1 <= expression.value <= len(names):
                    raise SuiteQLError(f"ORDER BY position {expression.value} is not in the select list.")
                sql = f"c{expression.value - 1}"
            elif (
                isinstance(expression, ast.ColumnRef)
                and expression.qualifier is None
                and expression.name in names
            ):
                sql = f"c{names.index(expression.name)}"
            else:
                frag = self.expr(expression, scope)
                sql = frag.sql
                params.extend(frag.params)
            nulls = item.nulls or ("FIRST" if item.descending else "LAST")
            parts.append(f"{sql} {'DESC' if item.descending else 'ASC'} NULLS {nulls}")
        return ", ".join(parts), params

    def _check_grouping(self, query: ast.Select, scope: Scope, group: list[Frag]) -> None:
        aggregated = any(has_aggregate(item.expression) for item in query.items)
        if not group and not aggregated:
            return
        grouped = {g.sql for g in group}
        for item in query.items:
            if isinstance(item.expression, ast.Star):
                raise SuiteQLError("SELECT * cannot be used with GROUP BY or aggregate functions.")
            frag = self.expr(item.expression, scope)
            if frag.sql in grouped:
                continue
            loose = [self.expr(ref, scope).sql for ref in bare_columns(item.expression)]
            if any(sql not in grouped for sql in loose):
                raise SuiteQLError(
                    "Not a GROUP BY expression: every selected column must be aggregated or "
                    "listed in GROUP BY."
                )

    # -- expressions -----------------------------------------------------------------------------

    def _source(self, scope: Scope, name: str) -> Source:
        for level in scope.chain():
            for source in level.sources:
                if source.name == name:
                    return source
        raise SuiteQLError(f"Unknown table alias '{name}'.")

    def column(self, ref: ast.ColumnRef, scope: Scope) -> Frag:
        if ref.qualifier is not None:
            source = self._source(scope, ref.qualifier)
            column = source.table.columns.get(ref.name)
            if column is None:
                raise SuiteQLError(f"Field '{ref.name}' for record '{source.table.name}' was not found.")
            return _column_frag(source, column.name)
        if ref.name in ("sysdate", "current_date", "current_timestamp"):
            return Frag("?", (self.now(),), "datetime")
        if ref.name == "rownum":
            raise SuiteQLError("ROWNUM is only supported as 'ROWNUM <= n' in the WHERE clause.")
        for level in scope.chain():
            found = [source for source in level.sources if ref.name in source.table.columns]
            if len(found) > 1:
                raise SuiteQLError(f"Column '{ref.name}' is ambiguous; qualify it with a table alias.")
            if found:
                return _column_frag(found[0], ref.name)
        tables = ", ".join(source.table.name for source in scope.sources)
        raise SuiteQLError(f"Field '{ref.name}' for record '{tables}' was not found.")

    def expr(self, node: ast.Node, scope: Scope) -> Frag:
        if isinstance(node, ast.Literal):
            if node.value is None:
                return Frag("NULL", (), "null")
            kind = (
                "int" if isinstance(node.value, int) else "float" if isinstance(node.value, float) else "text"
            )
            return Frag("?", (node.value,), kind)
        if isinstance(node, ast.ColumnRef):
            return self.column(node, scope)
        if isinstance(node, ast.Call):
            return compile_call(self, node, scope)
        if isinstance(node, ast.Unary):
            operand = self.expr(node.operand, scope)
            if node.op == "NOT":
                return Frag(f"(NOT {operand.sql})", operand.params, "predicate")
            return Frag(f"(- {operand.sql})", operand.params, operand.type)
        if isinstance(node, ast.Binary):
            return self._binary(node, scope)
        if isinstance(node, ast.InList):
            return self._in(node, scope)
        if isinstance(node, ast.Between):
            operand = self.expr(node.operand, scope)
            low, high = self.coerced(node.low, operand, scope), self.coerced(node.high, operand, scope)
            word = "NOT BETWEEN" if node.negated else "BETWEEN"
            return Frag(
                f"({operand.sql} {word} {low.sql} AND {high.sql})",
                operand.params + low.params + high.params,
                "predicate",
            )
        if isinstance(node, ast.Like):
            operand, pattern = self.expr(node.operand, scope), self.expr(node.pattern, scope)
            sql = f"({operand.sql} {'NOT LIKE' if node.negated else 'LIKE'} {pattern.sql}"
            params = operand.params + pattern.params
            if node.escape is not None:
                escape = self.expr(node.escape, scope)
                sql += f" ESCAPE {escape.sql}"
                params += escape.params
            return Frag(sql + ")", params, "predicate")
        if isinstance(node, ast.IsNull):
            operand = self.expr(node.operand, scope)
            return Frag(
                f"({operand.sql} IS {'NOT ' if node.negated else ''}NULL)", operand.params, "predicate"
            )
        if isinstance(node, ast.Case):
            return self._case(node, scope)
        if isinstance(node, ast.Exists):
            inner = self._select(node.query, scope)
            return Frag(f"(EXISTS ({inner.sql}))", inner.params, "predicate")
        if isinstance(node, ast.SubQuery):
            inner = self._select(node.query, scope)
            if len(inner.names) != 1:
                raise SuiteQLError("A subquery used as a value must select exactly one column.")
            return Frag(f"({inner.sql})", inner.params, inner.types[0])
        if isinstance(node, ast.Star):
            raise SuiteQLError("'*' is only allowed in the select list or in COUNT(*).")
        raise SuiteQLError("Unsupported expression.")

    def coerced(self, node: ast.Node, other: Frag, scope: Scope) -> Frag:
        """``node`` compiled for comparison with ``other``: literals take the other side's type, as Oracle
        converts them implicitly (a string against a date column is read in the account's date formats)."""
        if isinstance(node, ast.Literal) and node.value is not None:
            value = node.value
            if other.type in ("date", "datetime") and isinstance(value, str):
                converted = implicit_date(value)
                if converted is None:
                    raise SuiteQLError(f"'{value}' is not a valid date; use TO_DATE('...', 'YYYY-MM-DD').")
                return Frag("?", (converted,), other.type)
            if other.type in ("int", "float") and isinstance(value, str):
                try:
                    return Frag("?", (float(value) if "." in value else int(value),), other.type)
                except ValueError:
                    raise SuiteQLError(f"Invalid number '{value}'.") from None
            if other.type in ("text", "bool") and isinstance(value, int | float):
                return Frag("?", (str(value),), "text")
        return self.expr(node, scope)

    def _binary(self, node: ast.Binary, scope: Scope) -> Frag:
        if node.op in ("AND", "OR"):
            left, right = self.expr(node.left, scope), self.expr(node.right, scope)
            return Frag(f"({left.sql} {node.op} {right.sql})", left.params + right.params, "predicate")
        if node.op in ("=", "<>", "<", "<=", ">", ">="):
            left = self.expr(node.left, scope)
            right = self.coerced(node.right, left, scope)
            if isinstance(node.left, ast.Literal) and not isinstance(node.right, ast.Literal):
                left = self.coerced(node.left, right, scope)
            return Frag(f"({left.sql} {node.op} {right.sql})", left.params + right.params, "predicate")
        left, right = self.expr(node.left, scope), self.expr(node.right, scope)
        params = left.params + right.params
        if node.op == "||":
            return Frag(f"(IFNULL({left.sql}, '') || IFNULL({right.sql}, ''))", params, "text")
        if node.op in ("+", "-") and left.type in ("date", "datetime") and right.type in ("int", "float"):
            function = "date" if left.type == "date" else "datetime"
            sign = "" if node.op == "+" else "-"
            return Frag(
                f"{function}({left.sql}, printf('%+.6f days', {sign}({right.sql})))", params, left.type
            )
        if node.op == "-" and left.type in ("date", "datetime") and right.type in ("date", "datetime"):
            return Frag(f"(julianday({left.sql}) - julianday({right.sql}))", params, "float")
        if node.op == "/":
            return Frag(f"(CAST({left.sql} AS REAL) / {right.sql})", params, "float")
        kind = "int" if left.type == right.type == "int" else "float"
        return Frag(f"({left.sql} {node.op} {right.sql})", params, kind)

    def _in(self, node: ast.InList, scope: Scope) -> Frag:
        operand = self.expr(node.operand, scope)
        word = "NOT IN" if node.negated else "IN"
        if isinstance(node.items, ast.Select):
            inner = self._select(node.items, scope)
            if len(inner.names) != 1:
                raise SuiteQLError("The subquery of IN must select exactly one column.")
            return Frag(f"({operand.sql} {word} ({inner.sql}))", operand.params + inner.params, "predicate")
        items = [self.coerced(item, operand, scope) for item in node.items]
        params = operand.params + tuple(p for item in items for p in item.params)
        return Frag(f"({operand.sql} {word} ({', '.join(item.sql for item in items)}))", params, "predicate")

    def _case(self, node: ast.Case, scope: Scope) -> Frag:
        parts = ["(CASE"]
        params: list[Any] = []
        kind = "any"
        subject = None
        if node.subject is not None:
            subject = self.expr(node.subject, scope)
            parts.append(subject.sql)
            params.extend(subject.params)
        for condition, result in node.whens:
            when = (
                self.coerced(condition, subject, scope)
                if subject is not None
                else self.expr(condition, scope)
            )
            then = self.expr(result, scope)
            parts.append(f"WHEN {when.sql} THEN {then.sql}")
            params.extend(when.params + then.params)
            kind = then.type if kind in ("any", "null") else kind
        if node.otherwise is not None:
            otherwise = self.expr(node.otherwise, scope)
            parts.append(f"ELSE {otherwise.sql}")
            params.extend(otherwise.params)
        parts.append("END)")
        return Frag(" ".join(parts), tuple(params), kind)


def _column_frag(source: Source, name: str) -> Frag:
    column = source.table.columns[name]
    display = column.display.format(t=source.sql_alias) if column.display else ""
    return Frag(column.sql.format(t=source.sql_alias), (), column.type, display)
