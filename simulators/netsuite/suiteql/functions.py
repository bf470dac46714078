"""SuiteQL functions and their SQLite translations.

Aggregates COUNT/SUM/AVG/MIN/MAX; NVL, NVL2, COALESCE, DECODE; UPPER, LOWER, TRIM, LTRIM, RTRIM,
LENGTH, SUBSTR, INSTR, REPLACE, CONCAT; ROUND, ABS, TRUNC; TO_CHAR, TO_DATE, TO_TIMESTAMP, TO_NUMBER,
ADD_MONTHS; BUILTIN.DF (the display name of a reference, select or status column).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.netsuite.suiteql import ast
from simulators.netsuite.suiteql.dates import parse_with_format, strftime_format
from simulators.netsuite.suiteql.lexer import SuiteQLError

if TYPE_CHECKING:
    from simulators.netsuite.suiteql.compiler import Compiler, Frag, Scope

AGGREGATES = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX"})
_TEXT_FUNCTIONS = {
    "UPPER": "UPPER",
    "LOWER": "LOWER",
    "TRIM": "TRIM",
    "LTRIM": "LTRIM",
    "RTRIM": "RTRIM",
    "REPLACE": "REPLACE",
    "SUBSTR": "SUBSTR",
    "INSTR": "INSTR",
}
_ARITY: dict[str, tuple[int, int]] = {
    "UPPER": (1, 1),
    "LOWER": (1, 1),
    "TRIM": (1, 1),
    "LTRIM": (1, 2),
    "RTRIM": (1, 2),
    "REPLACE": (2, 3),
    "SUBSTR": (2, 3),
    "INSTR": (2, 2),
    "LENGTH": (1, 1),
    "CONCAT": (2, 2),
    "ROUND": (1, 2),
    "ABS": (1, 1),
    "TRUNC": (1, 2),
    "NVL": (2, 2),
    "NVL2": (3, 3),
    "COALESCE": (1, 64),
    "DECODE": (3, 255),
    "TO_CHAR": (1, 2),
    "TO_DATE": (1, 2),
    "TO_TIMESTAMP": (1, 2),
    "TO_NUMBER": (1, 1),
    "ADD_MONTHS": (2, 2),
    "BUILTIN.DF": (1, 1),
    "SUM": (1, 1),
    "AVG": (1, 1),
    "MIN": (1, 1),
    "MAX": (1, 1),
    "COUNT": (1, 1),
}


def compile_call(compiler: Compiler, node: ast.Call, scope: Scope) -> Frag:
    from simulators.netsuite.suiteql.compiler import Frag

    name = node.name
    if name not in _ARITY:
        raise SuiteQLError(f"Unknown or unsupported function {name}() at position {node.position + 1}.")
    if node.star:
        if name != "COUNT":
            raise SuiteQLError(f"{name}(*) is not valid; only COUNT(*) takes '*'.")
        return Frag("COUNT(*)", (), "int")
    low, high = _ARITY[name]
    if not low <= len(node.args) <= high:
        raise SuiteQLError(
            f"{name}() takes {low if low == high else f'{low} to {high}'} argument(s), "
            f"{len(node.args)} given."
        )
    if node.distinct and name not in AGGREGATES:
        raise SuiteQLError(f"DISTINCT is not allowed in {name}().")
    if name == "BUILTIN.DF":
        arg = compiler.expr(node.args[0], scope)
        return Frag(arg.display or arg.sql, arg.params, "text")
    if name in ("TO_DATE", "TO_TIMESTAMP"):
        return _to_date(node, name == "TO_TIMESTAMP")
    args = [compiler.expr(arg, scope) for arg in node.args]
    params = tuple(p for arg in args for p in arg.params)
    sqls = [arg.sql for arg in args]
    first = args[0]
    if name in AGGREGATES:
        if any(_contains_aggregate(arg) for arg in node.args):
            raise SuiteQLError("Aggregate functions cannot be nested.")
        distinct = "DISTINCT " if node.distinct else ""
        kind = {"COUNT": "int", "SUM": "float" if first.type != "int" else "int", "AVG": "float"}.get(
            name, first.type
        )
        return Frag(f"{name}({distinct}{sqls[0]})", params, kind)
    if name in ("NVL", "COALESCE"):
        kind = next((arg.type for arg in args if arg.type not in ("null", "any")), "any")
        return Frag(f"COALESCE({', '.join(sqls)})" if len(sqls) > 1 else sqls[0], params, kind)
    if name == "NVL2":
        return Frag(
            f"(CASE WHEN {sqls[0]} IS NOT NULL THEN {sqls[1]} ELSE {sqls[2]} END)", params, args[1].type
        )
    if name == "DECODE":
        return _decode(compiler, node, scope)
    if name in _TEXT_FUNCTIONS:
        return Frag(
            f"{_TEXT_FUNCTIONS[name]}({', '.join(sqls)})", params, "int" if name == "INSTR" else "text"
        )
    if name == "LENGTH":
        return Frag(f"LENGTH({sqls[0]})", params, "int")
    if name == "CONCAT":
        return Frag(f"(IFNULL({sqls[0]}, '') || IFNULL({sqls[1]}, ''))", params, "text")
    if name == "ROUND":
        return Frag(f"ROUND({', '.join(sqls)})", params, "float")
    if name == "ABS":
        return Frag(f"ABS({sqls[0]})", params, first.type)
    if name == "TRUNC":
        if first.type in ("date", "datetime"):
            return Frag(f"date({sqls[0]})", params, "date")
        if len(sqls) == 2:
            raise SuiteQLError("TRUNC(number, places) is not supported by this simulator; use ROUND.")
        return Frag(f"CAST({sqls[0]} AS INTEGER)", params, "int")
    if name == "TO_NUMBER":
        return Frag(f"CAST({sqls[0]} AS REAL)", params, "float")
    if name == "ADD_MONTHS":
        function = "datetime" if first.type == "datetime" else "date"
        return Frag(f"{function}({sqls[0]}, printf('%+d months', {sqls[1]}))", params, first.type)
    if name == "TO_CHAR":
        return _to_char(node, args)
    raise SuiteQLError(f"Unsupported function {name}().")


def _to_char(node: ast.Call, args: list[Frag]) -> Frag:
    from simulators.netsuite.suiteql.compiler import Frag

    value = args[0]
    if len(args) == 1:
        return Frag(f"CAST({value.sql} AS TEXT)", value.params, "text")
    fmt = node.args[1]
    if not isinstance(fmt, ast.Literal) or not isinstance(fmt.value, str):
        raise SuiteQLError("The format of TO_CHAR must be a string literal.")
    if value.type not in ("date", "datetime", "any", "null"):
        raise SuiteQLError("TO_CHAR with a format is supported for dates only in this simulator.")
    return Frag(f"strftime(?, {value.sql})", (strftime_format(fmt.value), *value.params), "text")


def _to_date(node: ast.Call, timestamp: bool) -> Frag:
    from simulators.netsuite.suiteql.compiler import Frag

    values: list[Any] = []
    for arg in node.args:
        if not isinstance(arg, ast.Literal) or not isinstance(arg.value, str):
            raise SuiteQLError(f"{node.name}() supports string literal arguments only in this simulator.")
        values.append(arg.value)
    fmt = values[1] if len(values) > 1 else ("YYYY-MM-DD HH24:MI:SS" if timestamp else "MM/DD/YYYY")
    value, kind = parse_with_format(values[0], fmt, timestamp=timestamp)
    return Frag("?", (value,), kind)


def _decode(compiler: Compiler, node: ast.Call, scope: Scope) -> Frag:
    from simulators.netsuite.suiteql.compiler import Frag

    subject = compiler.expr(node.args[0], scope)
    rest = node.args[1:]
    parts = [f"(CASE {subject.sql}"]
    params: list[Any] = list(subject.params)
    kind = "any"
    while len(rest) >= 2:
        when = compiler.coerced(rest[0], subject, scope)
        then = compiler.expr(rest[1], scope)
        parts.append(f"WHEN {when.sql} THEN {then.sql}")
        params.extend(when.params + then.params)
        kind = then.type if kind == "any" else kind
        rest = rest[2:]
    if rest:
        otherwise = compiler.expr(rest[0], scope)
        parts.append(f"ELSE {otherwise.sql}")
        params.extend(otherwise.params)
    parts.append("END)")
    return Frag(" ".join(parts), tuple(params), kind)


def _contains_aggregate(node: ast.Node) -> bool:
    if isinstance(node, ast.Call):
        return node.name in AGGREGATES or any(_contains_aggregate(arg) for arg in node.args)
    return False
