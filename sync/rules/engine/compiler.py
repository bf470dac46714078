"""Compiling a checked tree into nested closures, once; evaluating is then calling the outermost one.

Every closure takes one frame (:mod:`sync.rules.engine.frames`). The general closures (one per node
kind, :data:`_Compiler.KINDS`, and the value semantics of :mod:`sync.rules.engine.values`) give the
language its meaning, and they alone run when tracing. When nothing is traced the compiler picks, for
a few common shapes, a fast path proven to decide the same (see the package docstring for what each
buys): a field read and tested in one call (:mod:`sync.rules.engine.field_tests`, and the membership
and lookup closures below), an aggregate's item read without a frame (:mod:`sync.rules.engine.item_closures`),
arithmetic ordered against a literal in floats first (:mod:`sync.rules.engine.approx`). Aggregates are
compiled in :mod:`sync.rules.engine.aggregates`.

Work is bounded: the tree is bounded by the parser, and the only repetition is an aggregate over a
list, which charges ``items x size of its expression`` to the run's step budget before it starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from sync.mappings.engine.coerce import to_decimal
from sync.mappings.engine.paths import SourcePath
from sync.rules.engine import values
from sync.rules.engine.aggregates import compile_aggregate
from sync.rules.engine.approx import approximation, float_first, worth_it
from sync.rules.engine.field_tests import (
    SIGN_TESTS,
    coalesce_field,
    equal_literal,
    fields_order,
    order_literal,
    pair_literal,
    presence,
    presence_pair,
)
from sync.rules.engine.frames import DEFAULT_BUDGET, MAX_READS, Fn, Frame, Run, getter
from sync.rules.engine.functions import AGGREGATES, FUNCTIONS
from sync.rules.engine.parser import Node

__all__ = ["DEFAULT_BUDGET", "Fn", "Frame", "Run", "compile_tree"]
_HUGE = Decimal("1e300")  # ordering limits beyond this keep to Decimal (a float would overflow)


def compile_tree(tree: Node, *, source: str, trace: bool = False) -> Fn:
    """The closure evaluating ``tree``; with ``trace`` it also records what each path and call read."""
    return _Compiler(source, trace).compile(tree)


class _Compiler:
    KINDS: ClassVar[dict[str, Callable[[_Compiler, Node], Fn]]]  # node kind -> its compile step
    CALLS: ClassVar[dict[str, Callable[[_Compiler, Node], Fn]]]  # functions compiled specially

    def __init__(self, source: str, trace: bool) -> None:
        self.source = source
        self.trace = trace

    def compile(self, node: Node) -> Fn:
        step = self.KINDS.get(node.kind)
        if step is None:  # pragma: no cover - the parser makes no others
            raise ValueError(f"unknown node kind {node.kind!r}")
        return step(self, node)

    def literal(self, node: Node) -> Fn:
        constant = node.value
        return lambda f: constant

    def path(self, node: Node) -> Fn:
        read = getter(node.value)
        return self.traced(read, node.value.text, inside=True) if self.trace else read

    def listing(self, node: Node) -> Fn:
        if all(arg.kind == "literal" for arg in node.args):
            fixed = [arg.value for arg in node.args]
            return lambda f: fixed
        parts = [self.compile(arg) for arg in node.args]
        return lambda f: [part(f) for part in parts]

    def negation(self, node: Node) -> Fn:
        inner = self.compile(node.args[0])
        return lambda f: inner(f) is not True

    def boolean(self, node: Node) -> Fn:
        return _boolean(node.kind, [self.compile(arg) for arg in node.args])

    def minus(self, node: Node) -> Fn:
        inner = self.compile(node.args[0])
        return lambda f: values.subtract(Decimal(0), inner(f))

    def arithmetic(self, node: Node) -> Fn:
        operation = _ARITHMETIC[node.value]
        left, right = self.compile(node.args[0]), self.compile(node.args[1])
        return lambda f: operation(left(f), right(f))

    def membership(self, node: Node) -> Fn:
        fused = self.membership_literal(node)  # the meaning of `in` a list of texts, traced or not
        if fused is not None:
            return fused
        left, right = self.compile(node.args[0]), self.compile(node.args[1])
        if node.kind == "in":
            return lambda f: values.member(left(f), right(f))
        return lambda f: not values.member(left(f), right(f))

    def traced(self, fn: Fn, text: str, *, inside: bool) -> Fn:
        def record(f: Frame) -> Any:
            value = fn(f)
            reads = f[3].reads
            if reads is not None and len(reads) < MAX_READS:
                label = f[4]
                reads.append((f"{label} \u2192 {text}" if label and inside else text, value))
            return value

        return record

    def field(self, node: Node) -> str | None:
        """The field name when ``node`` reads one plain field of the current record (``Amount``) and
        nothing is traced: such reads are inlined into the closure that uses them, one call fewer."""
        if self.trace or node.kind != "path":
            return None
        path: SourcePath = node.value
        if path.anchor != "current" or len(path.segments) != 1 or path.segments[0][1] is not None:
            return None
        return path.segments[0][0]

    def coalesced(self, node: Node) -> tuple[str, Any] | None:
        """``(field, literal)`` when ``node`` is ``coalesce(field, literal)`` (inlined like :meth:`field`)."""
        if node.kind != "call" or node.value != "coalesce" or len(node.args) != 2:
            return None
        name = self.field(node.args[0])
        if name is None or node.args[1].kind != "literal":
            return None
        return name, node.args[1].value

    def field_pair(self, node: Node) -> tuple[str, str] | None:
        """``(a, b)`` when ``node`` reads ``a.b`` from the current record (``SBQQ__Product__r.Name``)
        and nothing is traced: inlined like :meth:`field`."""
        if self.trace or node.kind != "path":
            return None
        path: SourcePath = node.value
        if (
            path.anchor != "current"
            or len(path.segments) != 2
            or any(i is not None for _, i in path.segments)
        ):
            return None
        return path.segments[0][0], path.segments[1][0]

    def membership_literal(self, node: Node) -> Fn | None:
        """``x in ['a', 'b']``: a set lookup when every item is a text (only a text equals a text).

        Used traced or not, so it is the meaning of ``in`` a list of texts: a date computed by an
        expression (``date(X) in ['2026-01-31']``) is not a text, false here where values.member would
        say true (kept as it was; see the issue 19 note in bench/RESULTS.md). The field and ``a.b``
        reads inline buy part of the ~0.4 s of field_tests' docstring."""
        left_node, right_node = node.args
        if right_node.kind != "list" or not all(
            arg.kind == "literal" and isinstance(arg.value, str) for arg in right_node.args
        ):
            return None
        texts = frozenset(arg.value for arg in right_node.args)
        name = self.field(left_node)
        negate = node.kind == "not_in"
        pair = self.field_pair(left_node)
        if pair is not None:
            a, b = pair

            def pair_in(f: Frame) -> bool:
                inner = f[0].get(a)
                value = inner.get(b) if inner.__class__ is dict else None
                return (value.__class__ is str and value in texts) is not negate

            return pair_in
        if name is not None:

            def field_in(f: Frame) -> bool:
                value = f[0].get(name)
                return (value.__class__ is str and value in texts) is not negate

            return field_in
        left = self.compile(left_node)

        def value_in(f: Frame) -> bool:
            value = left(f)
            return (value.__class__ is str and value in texts) is not negate

        return value_in

    def comparison(self, node: Node) -> Fn:
        op = node.value
        left_node, right_node = node.args
        left, right = self.compile(left_node), self.compile(right_node)
        if right_node.kind == "literal":
            tested = self.literal_test(op, left, left_node, right_node.value)
            if tested is not None:
                return tested
        if op == "==":
            return lambda f: values.equal(left(f), right(f))
        if op == "!=":
            return lambda f: not values.equal(left(f), right(f))
        exact = self.order(op, left, right, self.field(left_node), right_node, left_node)
        return self.floats_first(op, left_node, right_node, exact)

    def literal_test(self, op: str, left: Fn, left_node: Node, constant: Any) -> Fn | None:
        """``a.b op literal`` and ``x == literal`` read and tested in one closure, or None."""
        pair = self.field_pair(left_node)
        if pair is not None:
            fused = pair_literal(pair, op, constant)
            if fused is not None:
                return fused
        if op in ("==", "!="):
            return equal_literal(left, self.field(left_node), constant, negate=op == "!=")
        return None

    def floats_first(self, op: str, left_node: Node, right_node: Node, exact: Fn) -> Fn:
        """``arithmetic op literal`` decided in floats when they can (:mod:`approx`), else ``exact``."""
        limit = right_node.value if right_node.kind == "literal" else None
        if self.trace or not worth_it(left_node):
            return exact
        if not isinstance(limit, Decimal) or not limit.is_finite() or abs(limit) >= _HUGE:
            return exact
        # abs(x) < limit: the float path takes abs itself (one call fewer per evaluation).
        absolute = left_node.kind == "call" and left_node.value == "abs" and len(left_node.args) == 1
        approx = approximation(left_node.args[0] if absolute else left_node, self.compile)
        return float_first(approx, op, limit, exact, absolute=absolute) if approx is not None else exact

    def order(self, op: str, left: Fn, right: Fn, name: str | None, right_node: Node, left_node: Node) -> Fn:
        test = SIGN_TESTS[op]
        other = self.field(right_node)
        if name is not None and other is not None:
            return fields_order(name, other, op)
        if right_node.kind == "literal" and isinstance(right_node.value, Decimal):
            limit = right_node.value
            as_float = float(limit)
            if to_decimal(as_float) == limit:
                default = self.coalesced(left_node)
                if default is not None:
                    return order_literal(left, default[0], op, limit, as_float, default=default[1])
                return order_literal(left, name, op, limit, as_float)

        def compare(f: Frame) -> bool:
            sign = values.order(left(f), right(f))
            return sign is not None and test(sign)

        return compare

    def call(self, node: Node) -> Fn:
        name = node.value
        special = self.CALLS.get(name)
        fn = special(self, node) if special is not None else self.function(node)
        if self.trace and (name in AGGREGATES or name == "lookup"):
            return self.traced(fn, self.source[node.start : node.end], inside=True)
        return fn

    def aggregate(self, node: Node) -> Fn:
        return compile_aggregate(self, node)

    def today(self, node: Node) -> Fn:
        return _today

    def presence(self, node: Node) -> Fn:
        present = node.value == "present"
        pair = self.field_pair(node.args[0])
        if pair is not None:
            return presence_pair(pair, present)
        return presence(self.compile(node.args[0]), self.field(node.args[0]), present)

    def coalesce(self, node: Node) -> Fn:
        default = self.coalesced(node)
        return coalesce_field(*default) if default is not None else self.function(node)

    def function(self, node: Node) -> Fn:
        """A plain function of its arguments' values (:data:`sync.rules.engine.functions.FUNCTIONS`)."""
        implementation = FUNCTIONS[node.value][0]
        if implementation is None:  # pragma: no cover - every other function has one
            raise ValueError(node.value)
        args = [self.compile(arg) for arg in node.args]
        if len(args) == 1:
            (only,) = args
            return lambda f: implementation(only(f))
        if len(args) == 2:
            first, second = args
            return lambda f: implementation(first(f), second(f))
        return lambda f: implementation(*(arg(f) for arg in args))

    def lookup(self, node: Node) -> Fn:
        table_name = node.args[0].value
        key = self.compile(node.args[1])
        pair = self.field_pair(node.args[1])
        if pair is not None:
            a, b = pair

            # lookup('t', a.b): the key read inline, one call fewer (part of field_tests' ~0.4 s).
            def lookup_pair(f: Frame) -> Any:
                inner = f[0].get(a)
                wanted = inner.get(b) if inner.__class__ is dict else None
                table = f[3].tables.get(table_name)
                if table is None or wanted is None:
                    return None
                if wanted.__class__ is str:  # lookup_key's first case, without the call
                    return table.get(wanted)
                text = values.lookup_key(wanted)
                return table.get(text) if text is not None else None

            return lookup_pair

        def lookup(f: Frame) -> Any:
            table = f[3].tables.get(table_name)
            wanted = key(f)
            if table is None or wanted is None:
                return None
            text = values.lookup_key(wanted)
            return table.get(text) if text is not None else None

        return lookup


_Compiler.KINDS = {
    "literal": _Compiler.literal,
    "path": _Compiler.path,
    "list": _Compiler.listing,
    "not": _Compiler.negation,
    "and": _Compiler.boolean,
    "or": _Compiler.boolean,
    "neg": _Compiler.minus,
    "compare": _Compiler.comparison,
    "arith": _Compiler.arithmetic,
    "in": _Compiler.membership,
    "not_in": _Compiler.membership,
    "call": _Compiler.call,
}
_Compiler.CALLS = {
    **dict.fromkeys(AGGREGATES, _Compiler.aggregate),
    "today": _Compiler.today,
    "lookup": _Compiler.lookup,
    "present": _Compiler.presence,
    "empty": _Compiler.presence,
    "coalesce": _Compiler.coalesce,
}


def _today(f: Frame) -> dt.date:
    return f[3].today


def _boolean(kind: str, parts: list[Fn]) -> Fn:
    if kind == "and":
        if len(parts) == 2:
            a, b = parts
            return lambda f: a(f) is True and b(f) is True
        return lambda f: all(part(f) is True for part in parts)
    if len(parts) == 2:
        a, b = parts
        return lambda f: a(f) is True or b(f) is True
    return lambda f: any(part(f) is True for part in parts)


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": values.add,
    "-": values.subtract,
    "*": values.multiply,
    "/": values.divide,
    "%": values.remainder,
}
