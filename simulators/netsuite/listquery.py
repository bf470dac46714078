"""The ``q`` parameter of record lists: ``field OPERATOR value`` joined with AND / OR (and parentheses).

Operators: IS, IS_NOT, EQUAL, EQUAL_NOT, ANY_OF, ANY_OF_NOT, START_WITH(_NOT), END_WITH(_NOT),
CONTAIN(_NOT), GREATER, GREATER_OR_EQUAL, LESS, LESS_OR_EQUAL, BETWEEN(_NOT), WITHIN, AFTER,
ON_OR_AFTER, BEFORE, ON_OR_BEFORE, ON, EMPTY, EMPTY_NOT. Values are quoted ("Acme" or 'Acme') or bare;
lists are ``[1, 2]``. Dates may be ``1/31/2026`` or ``2026-01-31``; date-times ISO 8601.
"""

from __future__ import annotations

import re
from typing import Any

from simulators.netsuite.errors import NetSuiteError, invalid_parameter
from simulators.netsuite.schema import RecordType
from simulators.netsuite.suiteql.dates import implicit_date
from simulators.netsuite.suiteql.tables import Column, Table
from simulators.netsuite.values import stored_datetime

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|(\[|\]|,|\(|\))|([^\s\[\](),"\']+))')
_COMPARE = {
    "EQUAL": "=",
    "IS": "=",
    "EQUAL_NOT": "<>",
    "IS_NOT": "<>",
    "GREATER": ">",
    "GREATER_OR_EQUAL": ">=",
    "LESS": "<",
    "LESS_OR_EQUAL": "<=",
    "AFTER": ">",
    "ON_OR_AFTER": ">=",
    "BEFORE": "<",
    "ON_OR_BEFORE": "<=",
    "ON": "=",
}
_LIKE = {"START_WITH": "{}%", "END_WITH": "%{}", "CONTAIN": "%{}%"}
_NO_VALUE = ("EMPTY", "EMPTY_NOT")


def _error(detail: str) -> NetSuiteError:
    return invalid_parameter(f"Invalid query parameter q: {detail}", "q")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _error(f"cannot read the text at position {position + 1}")
        quoted, single, punctuation, word = match.groups()
        if quoted is not None or single is not None:
            tokens.append(("value", (quoted if quoted is not None else single or "").replace('\\"', '"')))
        elif punctuation is not None:
            tokens.append(("punct", punctuation))
        else:
            tokens.append(("word", word or ""))
        position = match.end()
    return tokens


class ListFilter:
    """Compiles ``q`` for one record type to (sql, params) over table alias ``r``."""

    def __init__(self, record_type: RecordType, table: Table, text: str) -> None:
        self.record_type = record_type
        self.table = table
        self.tokens = _tokens(text)
        self.index = 0

    def compile(self) -> tuple[str, list[Any]]:
        if not self.tokens:
            raise _error("the query is empty")
        sql, params = self._or()
        if self.index != len(self.tokens):
            raise _error(f"unexpected '{self.tokens[self.index][1]}'")
        return sql, params

    def _next(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise _error("the query ends too early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _peek_word(self, *words: str) -> bool:
        return (
            self.index < len(self.tokens)
            and self.tokens[self.index][0] == "word"
            and self.tokens[self.index][1].upper() in words
        )

    def _or(self) -> tuple[str, list[Any]]:
        sql, params = self._and()
        while self._peek_word("OR"):
            self.index += 1
            right, more = self._and()
            sql, params = f"({sql} OR {right})", params + more
        return sql, params

    def _and(self) -> tuple[str, list[Any]]:
        sql, params = self._condition()
        while self._peek_word("AND"):
            self.index += 1
            right, more = self._condition()
            sql, params = f"({sql} AND {right})", params + more
        return sql, params

    def _condition(self) -> tuple[str, list[Any]]:
        kind, value = self._next()
        if (kind, value) == ("punct", "("):
            sql, params = self._or()
            if self._next() != ("punct", ")"):
                raise _error("missing ')'")
            return sql, params
        if kind != "word":
            raise _error(f"expected a field name, found '{value}'")
        field = self.record_type.field(value)
        column = self.table.columns.get(field.column_name or "") if field is not None else None
        if field is None or column is None:
            raise _error(f"'{value}' is not a field of {self.record_type.name} that can be filtered")
        kind, operator = self._next()
        operator = operator.upper()
        expression = column.sql.format(t="r")
        if operator in _NO_VALUE:
            sql = f"({expression} IS NULL OR {expression} = '')"
            return (sql if operator == "EMPTY" else f"(NOT {sql})"), []
        negated = operator.endswith("_NOT") and operator not in ("EQUAL_NOT", "IS_NOT")
        base = operator[:-4] if negated else operator
        if base in ("ANY_OF", "BETWEEN", "WITHIN"):
            values = [self._convert(column, item) for item in self._values()]
            if base == "ANY_OF":
                if not values:
                    raise _error("ANY_OF needs at least one value")
                sql = f"{expression} IN ({', '.join('?' * len(values))})"
            else:
                if len(values) != 2:
                    raise _error(f"{operator} needs two values")
                sql = f"{expression} BETWEEN ? AND ?"
            return (f"(NOT ({sql}))" if negated else f"({sql})"), values
        raw = self._single()
        if base in _LIKE:
            escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql = f"{expression} LIKE ? ESCAPE '\\'"
            return (f"(NOT ({sql}))" if negated else f"({sql})"), [_LIKE[base].format(escaped)]
        if base not in _COMPARE:
            raise _error(f"unknown operator '{operator}'")
        converted = self._convert(column, raw)
        if column.type == "datetime" and isinstance(converted, str) and len(converted) == 10:
            expression = f"date({expression})"
        return f"({expression} {_COMPARE[base]} ?)", [converted]

    def _single(self) -> str:
        kind, value = self._next()
        if kind == "punct":
            raise _error(f"expected a value, found '{value}'")
        return value

    def _values(self) -> list[str]:
        if self.index < len(self.tokens) and self.tokens[self.index] == ("punct", "["):
            self.index += 1
            values: list[str] = []
            while True:
                kind, value = self._next()
                if (kind, value) == ("punct", "]"):
                    return values
                if (kind, value) == ("punct", ","):
                    continue
                if kind == "punct":
                    raise _error(f"unexpected '{value}' in a list")
                values.append(value)
        values = [self._single()]
        while self.index < len(self.tokens) and self.tokens[self.index] == ("punct", ","):
            self.index += 1
            values.append(self._single())
        return values

    def _convert(self, column: Column, value: str) -> Any:
        if column.type in ("int", "float"):
            try:
                return int(value) if column.type == "int" else float(value)
            except ValueError:
                raise _error(f"'{value}' is not a number") from None
        if column.type == "bool":
            if value.lower() not in ("true", "false", "t", "f"):
                raise _error(f"'{value}' is not true or false")
            return "T" if value.lower() in ("true", "t") else "F"
        if column.type in ("date", "datetime"):
            converted = implicit_date(value)
            if converted is None:
                try:
                    converted = stored_datetime(value)
                except ValueError:
                    raise _error(f"'{value}' is not a date") from None
            return converted
        return value
