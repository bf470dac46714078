"""Checking a parsed rule before it is saved: known functions with the right arguments, values of
kinds that fit their operators, ``^.`` only where there is an enclosing record, lookups of known
tables, and a condition that is true or false. Each problem points at the offending part.

Kinds: number, text, bool, date, list, null, and any (a field's value, known only when a record is
read). Only what is certain is refused: ``Amount > 'x'`` passes the checker (Amount might be text),
``1 > 'x'`` does not.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from decimal import Decimal

from sync.rules.engine.errors import RuleCheckError
from sync.rules.engine.functions import AGGREGATES, ALL_NAMES, FUNCTIONS, Signature
from sync.rules.engine.parser import Node

_ORDERED = {("number", "number"), ("text", "text"), ("date", "date"), ("date", "text"), ("text", "date")}
_ACCEPTS = {
    "any": {"number", "text", "bool", "date", "list", "null", "any"},
    "number": {"number", "null", "any"},
    "text": {"text", "null", "any"},
    "date": {"date", "text", "null", "any"},
    "bool": {"bool", "null", "any"},
    "list": {"list", "null", "any"},
}


def check(tree: Node, *, source: str, outer_levels: int = 0, tables: Collection[str] | None = None) -> None:
    """Raise :class:`RuleCheckError` for the first problem found.

    ``outer_levels`` is how many enclosing records ``^.`` may reach at the top (1 for a quote line,
    whose enclosing record is the opportunity); ``tables`` the reference tables ``lookup`` may name
    (None: any name).
    """
    checker = _Checker(source, tables)
    kind = checker.kind(tree, outer_levels)
    if tree.kind == "path":
        raise checker.error(
            tree, "a condition must be true or false: compare the field (Amount > 0) or write present(...)"
        )
    if kind not in ("bool", "any"):
        raise checker.error(tree, f"a condition must be true or false, but this gives a {kind}")


class _Checker:
    def __init__(self, source: str, tables: Collection[str] | None) -> None:
        self.source = source
        self.tables = tables

    def error(self, node: Node, message: str, at: int | None = None) -> RuleCheckError:
        return RuleCheckError(message, source=self.source, offset=node.start if at is None else at)

    def kind(self, node: Node, levels: int) -> str:
        """The kind of value ``node`` gives (``levels``: how far up ``^.`` may reach here)."""
        return _KIND_STEPS[node.kind](self, node, levels)

    def literal(self, node: Node, levels: int) -> str:
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "bool"
        return "number" if isinstance(value, Decimal) else "text"

    def path(self, node: Node, levels: int) -> str:
        if node.value.anchor == "parent" and node.value.up > levels:
            raise self.error(
                node,
                "'^.' reads the enclosing record, which exists only inside an aggregate such as "
                "any(LIST, ...)" + (" (here it goes too far up)" if levels else ""),
            )
        return "any"

    def listing(self, node: Node, levels: int) -> str:
        for arg in node.args:
            self.kind(arg, levels)
        return "list"

    def negation(self, node: Node, levels: int) -> str:
        self.expect(node.args[0], levels, "bool", "'not' needs true or false")
        return "bool"

    def boolean(self, node: Node, levels: int) -> str:
        for arg in node.args:
            self.expect(arg, levels, "bool", f"'{node.kind}' joins conditions (true or false)")
        return "bool"

    def minus(self, node: Node, levels: int) -> str:
        self.expect(node.args[0], levels, "number", "'-' needs a number")
        return "number"

    def membership(self, node: Node, levels: int) -> str:
        self.kind(node.args[0], levels)
        right = self.kind(node.args[1], levels)
        if right not in ("list", "text", "any"):
            raise self.error(node.args[1], f"'in' looks in a list or a text, not in a {right}")
        return "bool"

    def expect(self, node: Node, levels: int, wanted: str, message: str) -> str:
        found = self.kind(node, levels)
        if found not in _ACCEPTS[wanted]:
            raise self.error(node, f"{message}; this is a {found}")
        return found

    def comparison(self, node: Node, levels: int) -> str:
        left, right = (self.kind(arg, levels) for arg in node.args)
        if node.value in ("==", "!="):
            return "bool"
        for side, found in zip(node.args, (left, right), strict=True):
            if found in ("bool", "list", "null"):
                raise self.error(side, f"'{node.value}' orders numbers, texts or dates, not a {found}")
        if "any" not in (left, right) and (left, right) not in _ORDERED:
            raise self.error(node, f"a {left} and a {right} do not compare with '{node.value}'", node.at)
        return "bool"

    def arithmetic(self, node: Node, levels: int) -> str:
        op = node.value
        left, right = (self.kind(arg, levels) for arg in node.args)
        for side, found in zip(node.args, (left, right), strict=True):
            if found in ("bool", "list", "null") or (found == "text" and op != "+"):
                raise self.error(side, f"'{op}' does not apply to a {found}")
        if "any" in (left, right):
            return "number" if op in ("*", "/", "%") else "any"  # + and - may be date arithmetic
        pair = (left, right)
        if op == "+":
            result = {
                ("number", "number"): "number",
                ("text", "text"): "text",
                ("date", "number"): "date",
                ("number", "date"): "date",
            }
        elif op == "-":
            result = {("number", "number"): "number", ("date", "number"): "date", ("date", "date"): "number"}
        else:
            result = {("number", "number"): "number"}
        if pair not in result:
            raise self.error(node, f"a {left} {op} a {right} has no meaning", node.at)
        return result[pair]

    def call(self, node: Node, levels: int) -> str:
        name = node.value
        if name not in AGGREGATES and name not in FUNCTIONS:
            close = difflib.get_close_matches(name, ALL_NAMES, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; the functions are {', '.join(ALL_NAMES)}"
            raise self.error(node, f"unknown function {name!r}{hint}")
        signature = AGGREGATES[name] if name in AGGREGATES else FUNCTIONS[name][1]
        self.arity(node, signature)
        if name in AGGREGATES:
            return self.aggregate(node, levels, signature)
        if name == "lookup":
            return self.lookup(node, levels)
        params = signature.params
        for position, arg in enumerate(node.args):
            wanted = params[min(position, len(params) - 1)]
            if wanted == "*":
                wanted = params[-2]
            self.expect(arg, levels, wanted, f"argument {position + 1} of {name}() must be a {wanted}")
        return signature.result

    def aggregate(self, node: Node, levels: int, signature: Signature) -> str:
        name, source = node.value, node.args[0]
        if self.kind(source, levels) not in ("list", "any") or source.kind == "list":
            raise self.error(source, f"{name}() goes over a list field such as primary_quote.lines")
        if len(node.args) == 2:
            wanted = signature.params[1]
            self.expect(node.args[1], levels + 1, wanted, f"{name}()'s second argument must be a {wanted}")
        return signature.result

    def lookup(self, node: Node, levels: int) -> str:
        table = node.args[0]
        if table.kind != "literal" or not isinstance(table.value, str):
            raise self.error(table, "lookup() names its table in quotes: lookup('country_to_subsidiary', X)")
        if self.tables is not None and table.value not in self.tables:
            close = difflib.get_close_matches(table.value, list(self.tables), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.error(table, f"unknown reference table {table.value!r}{hint}")
        self.kind(node.args[1], levels)
        return "any"

    def arity(self, node: Node, signature: Signature) -> None:
        given = len(node.args)
        params = signature.params
        if params and params[-1] == "*":
            least, most = len(params) - 1, 20
        else:
            least, most = len(params) - signature.optional, len(params)
        if not least <= given <= most:
            expected = str(least) if least == most else f"{least} to {most}"
            raise self.error(
                node, f"{node.value}() takes {expected} argument(s), not {given}: {signature.summary}"
            )


_KIND_STEPS: dict[str, Callable[[_Checker, Node, int], str]] = {
    "literal": _Checker.literal,
    "path": _Checker.path,
    "list": _Checker.listing,
    "not": _Checker.negation,
    "and": _Checker.boolean,
    "or": _Checker.boolean,
    "neg": _Checker.minus,
    "compare": _Checker.comparison,
    "arith": _Checker.arithmetic,
    "in": _Checker.membership,
    "not_in": _Checker.membership,
    "call": _Checker.call,
}
