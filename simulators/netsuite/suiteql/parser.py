"""A recursive-descent parser for the SELECT subset of SuiteQL (Oracle-flavoured SQL).

Supported: SELECT [DISTINCT] columns, ``t.col``, ``*``, ``t.*``, aliases (``AS`` optional), functions,
CASE, arithmetic and ``||``; FROM one table with an alias; [INNER] JOIN, LEFT [OUTER] JOIN ... ON,
comma joins; WHERE with AND/OR/NOT, comparisons, [NOT] IN (list or subquery), [NOT] BETWEEN,
[NOT] LIKE [ESCAPE], IS [NOT] NULL, EXISTS; GROUP BY, HAVING, ORDER BY [ASC|DESC] [NULLS FIRST|LAST];
FETCH FIRST|NEXT n ROWS ONLY; at the top level, ``UNION ALL`` between SELECTs without ORDER BY or
FETCH FIRST (SQL-92, which SuiteQL supports: see the module docstring of :mod:`..engine`). Anything else
(UNION without ALL, a UNION in a subquery, ORDER BY on a union) fails with a message naming the problem.
"""

from __future__ import annotations

from simulators.netsuite.suiteql import ast
from simulators.netsuite.suiteql.lexer import SuiteQLError, Token, tokenize

MAX_DEPTH = 60
_COMPARISONS = ("=", "<>", "!=", "<", "<=", ">", ">=")


def parse(text: str) -> ast.Select | ast.UnionAll:
    parser = _Parser(tokenize(text))
    parts = [parser.select(compound=True)]
    while parser.at("keyword", "UNION"):
        union = parser.advance()
        if not parser.accept("keyword", "ALL"):
            raise SuiteQLError(
                f"UNION without ALL is not supported by this simulator ({union.describe()}); use UNION ALL."
            )
        parts.append(parser.select(compound=True))
    parser.expect_end()
    if len(parts) == 1:
        return parts[0]
    if any(part.order_by or part.fetch_first is not None for part in parts):
        raise SuiteQLError("ORDER BY and FETCH FIRST on a UNION ALL are not supported by this simulator.")
    return ast.UnionAll(parts, position=parts[0].position)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def at(self, kind: str, *values: str) -> bool:
        token = self.current
        return token.kind == kind and (not values or token.value in values)

    def accept(self, kind: str, *values: str) -> Token | None:
        if self.at(kind, *values):
            return self.advance()
        return None

    def expect(self, kind: str, *values: str) -> Token:
        token = self.accept(kind, *values)
        if token is None:
            wanted = (
                " or ".join(values) if values else {"ident": "a name", "number": "a number"}.get(kind, kind)
            )
            raise SuiteQLError(f"Expected {wanted} but found {self.current.describe()}.")
        return token

    def expect_end(self) -> None:
        if not self.at("eof"):
            raise SuiteQLError(f"Unexpected {self.current.describe()}.")

    # -- statements ------------------------------------------------------------------------------

    def select(self, *, compound: bool = False) -> ast.Select:
        """One SELECT; ``compound``: at the top level, where ``UNION ALL`` may follow (see :func:`parse`)."""
        self._enter()
        start = self.expect("keyword", "SELECT")
        distinct = bool(self.accept("keyword", "DISTINCT"))
        if not distinct:
            self.accept("keyword", "ALL")
        items = [self.select_item()]
        while self.accept("op", ","):
            items.append(self.select_item())
        self.expect("keyword", "FROM")
        query = ast.Select(items=items, source=self.table_ref(), distinct=distinct, position=start.position)
        self.joins(query)
        if self.accept("keyword", "WHERE"):
            query.where = self.expression()
        if self.accept("keyword", "GROUP"):
            self.expect("keyword", "BY")
            query.group_by = [self.expression()]
            while self.accept("op", ","):
                query.group_by.append(self.expression())
        if self.accept("keyword", "HAVING"):
            query.having = self.expression()
        if self.accept("keyword", "ORDER"):
            self.expect("keyword", "BY")
            query.order_by = [self.order_item()]
            while self.accept("op", ","):
                query.order_by.append(self.order_item())
        if self.accept("keyword", "FETCH"):
            self.expect("keyword", "FIRST", "NEXT")
            count = self.expect("number")
            if not count.value.isdigit():
                raise SuiteQLError(f"FETCH FIRST needs a whole number, found {count.describe()}.")
            self.expect("keyword", "ROWS", "ROW")
            self.expect("keyword", "ONLY")
            query.fetch_first = int(count.value)
        if self.at("keyword", "OFFSET") or (not compound and self.at("keyword", "UNION")):
            raise SuiteQLError(
                f"{self.current.value} is not supported by this simulator ({self.current.describe()})."
            )
        self._leave()
        return query

    def select_item(self) -> ast.SelectItem:
        token = self.current
        if self.accept("op", "*"):
            return ast.SelectItem(ast.Star(None, token.position), None)
        if (
            token.kind == "ident"
            and self.peek().value == "."
            and self.peek(2).value == "*"
            and self.peek(2).kind == "op"
        ):
            self.index += 3
            return ast.SelectItem(ast.Star(token.value.lower(), token.position), None)
        expression = self.expression()
        alias = None
        if self.accept("keyword", "AS"):
            alias = self.alias_name()
        elif self.at("ident") or self.at("qident"):
            alias = self.alias_name()
        return ast.SelectItem(expression, alias)

    def alias_name(self) -> str:
        token = self.current
        if token.kind in ("ident", "qident"):
            self.advance()
            return token.value.lower()
        raise SuiteQLError(f"Expected an alias but found {token.describe()}.")

    def table_ref(self) -> ast.TableRef:
        token = self.current
        if token.kind != "ident":
            raise SuiteQLError(f"Expected a table name but found {token.describe()}.")
        self.advance()
        alias = None
        if self.accept("keyword", "AS"):
            alias = self.expect("ident").value.lower()
        elif self.at("ident"):
            alias = self.advance().value.lower()
        return ast.TableRef(token.value.lower(), alias, token.position)

    def joins(self, query: ast.Select) -> None:
        while True:
            if self.accept("op", ","):
                query.joins.append(ast.Join("CROSS", self.table_ref(), ast.Literal(1)))
                continue
            if self.at("keyword", "RIGHT", "FULL", "CROSS"):
                raise SuiteQLError(
                    f"{self.current.value} JOIN is not supported by this simulator "
                    f"({self.current.describe()}); use JOIN or LEFT OUTER JOIN."
                )
            if self.accept("keyword", "LEFT"):
                self.accept("keyword", "OUTER")
                kind = "LEFT"
            elif self.accept("keyword", "INNER"):
                kind = "INNER"
            elif self.at("keyword", "JOIN"):
                kind = "INNER"
            else:
                return
            self.expect("keyword", "JOIN")
            table = self.table_ref()
            self.expect("keyword", "ON")
            query.joins.append(ast.Join(kind, table, self.expression()))

    def order_item(self) -> ast.OrderItem:
        expression = self.expression()
        descending = False
        if self.accept("keyword", "DESC"):
            descending = True
        else:
            self.accept("keyword", "ASC")
        nulls = None
        if self.accept("keyword", "NULLS"):
            nulls = self.expect("keyword", "FIRST", "LAST").value
        return ast.OrderItem(expression, descending, nulls)

    # -- expressions -----------------------------------------------------------------------------

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SuiteQLError("The query is nested too deeply.")

    def _leave(self) -> None:
        self.depth -= 1

    def expression(self) -> ast.Node:
        self._enter()
        node = self.and_expression()
        while (token := self.accept("keyword", "OR")) is not None:
            node = ast.Binary("OR", node, self.and_expression(), token.position)
        self._leave()
        return node

    def and_expression(self) -> ast.Node:
        node = self.not_expression()
        while (token := self.accept("keyword", "AND")) is not None:
            node = ast.Binary("AND", node, self.not_expression(), token.position)
        return node

    def not_expression(self) -> ast.Node:
        token = self.accept("keyword", "NOT")
        if token is not None:
            self._enter()
            operand = self.not_expression()
            self._leave()
            return ast.Unary("NOT", operand, token.position)
        return self.predicate()

    def predicate(self) -> ast.Node:
        left = self.additive()
        token = self.current
        if token.kind == "op" and token.value in _COMPARISONS:
            self.advance()
            op = "<>" if token.value == "!=" else token.value
            return ast.Binary(op, left, self.additive(), token.position)
        negated = False
        if (
            self.at("keyword", "NOT")
            and self.peek().kind == "keyword"
            and self.peek().value in ("IN", "BETWEEN", "LIKE")
        ):
            self.advance()
            negated = True
        if self.accept("keyword", "IN"):
            self.expect("op", "(")
            if self.at("keyword", "SELECT"):
                items: list[ast.Node] | ast.Select = self.select()
            else:
                items = [self.expression()]
                while self.accept("op", ","):
                    items.append(self.expression())
            self.expect("op", ")")
            return ast.InList(left, items, negated, token.position)
        if self.accept("keyword", "BETWEEN"):
            low = self.additive()
            self.expect("keyword", "AND")
            return ast.Between(left, low, self.additive(), negated, token.position)
        if self.accept("keyword", "LIKE"):
            pattern = self.additive()
            escape = self.additive() if self.accept("keyword", "ESCAPE") else None
            return ast.Like(left, pattern, negated, escape, token.position)
        if self.accept("keyword", "IS"):
            is_not = bool(self.accept("keyword", "NOT"))
            self.expect("keyword", "NULL")
            return ast.IsNull(left, is_not, token.position)
        return left

    def additive(self) -> ast.Node:
        node = self.multiplicative()
        while self.current.kind == "op" and self.current.value in ("+", "-", "||"):
            token = self.advance()
            node = ast.Binary(token.value, node, self.multiplicative(), token.position)
        return node

    def multiplicative(self) -> ast.Node:
        node = self.unary()
        while self.current.kind == "op" and self.current.value in ("*", "/"):
            token = self.advance()
            node = ast.Binary(token.value, node, self.unary(), token.position)
        return node

    def unary(self) -> ast.Node:
        token = self.current
        if token.kind == "op" and token.value in ("-", "+"):
            self.advance()
            self._enter()
            operand = self.unary()
            self._leave()
            return operand if token.value == "+" else ast.Unary("-", operand, token.position)
        return self.primary()

    def primary(self) -> ast.Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            is_float = any(ch in token.value for ch in ".eE")
            return ast.Literal(float(token.value) if is_float else int(token.value), token.position)
        if token.kind == "string":
            self.advance()
            return ast.Literal(token.value, token.position)
        if self.accept("keyword", "NULL"):
            return ast.Literal(None, token.position)
        if self.accept("op", "("):
            if self.at("keyword", "SELECT"):
                node: ast.Node = ast.SubQuery(self.select(), token.position)
            else:
                node = self.expression()
            self.expect("op", ")")
            return node
        if self.accept("keyword", "CASE"):
            return self.case(token)
        if self.accept("keyword", "EXISTS"):
            self.expect("op", "(")
            query = self.select()
            self.expect("op", ")")
            return ast.Exists(query, token.position)
        if token.kind == "ident":
            return self.name_or_call()
        raise SuiteQLError(f"Unexpected {token.describe()}.")

    def case(self, start: Token) -> ast.Node:
        subject = None if self.at("keyword", "WHEN") else self.expression()
        whens = []
        while self.accept("keyword", "WHEN"):
            condition = self.expression()
            self.expect("keyword", "THEN")
            whens.append((condition, self.expression()))
        if not whens:
            raise SuiteQLError(f"CASE needs at least one WHEN (found {self.current.describe()}).")
        otherwise = self.expression() if self.accept("keyword", "ELSE") else None
        self.expect("keyword", "END")
        return ast.Case(subject, whens, otherwise, start.position)

    def name_or_call(self) -> ast.Node:
        first = self.advance()
        parts = [first.value]
        while self.at("op", ".") and self.peek().kind == "ident":
            self.advance()
            parts.append(self.advance().value)
        if self.accept("op", "("):
            return self.call(".".join(parts).upper(), first)
        if len(parts) == 1:
            return ast.ColumnRef(None, parts[0].lower(), first.position)
        if len(parts) == 2:
            return ast.ColumnRef(parts[0].lower(), parts[1].lower(), first.position)
        raise SuiteQLError(f"Unexpected name '{'.'.join(parts)}' at position {first.position + 1}.")

    def call(self, name: str, start: Token) -> ast.Node:
        self._enter()
        node = ast.Call(name, [], position=start.position)
        if self.accept("op", "*"):
            node.star = True
        elif not self.at("op", ")"):
            node.distinct = bool(self.accept("keyword", "DISTINCT"))
            node.args.append(self.expression())
            while self.accept("op", ","):
                node.args.append(self.expression())
        self.expect("op", ")")
        self._leave()
        return node
