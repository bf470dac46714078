"""Compiling a checked tree into nested closures, once; evaluating is then calling the outermost one.

Every closure takes one *frame*, a tuple ``(item, parent, root, run, label)``: the record paths read
from (always a dict), the enclosing frame (for ``^.``), the graph root (for ``$.``), the evaluation's
:class:`Run` (step budget, today, reference tables, what was read) and, when tracing, where the item
came from (``primary_quote.lines[2]``). Tuples, not objects: the 10,000-graph benchmark creates one
frame per line per aggregate, and indexing a tuple is the cheapest access Python has.

Work is bounded: the tree is bounded by the parser, and the only repetition is an aggregate over a
list, which charges ``items x size of its expression`` to the run's step budget before it starts.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sync.mapping.coerce import key_text, to_decimal
from sync.mapping.paths import Segment, SourcePath, as_items
from sync.rules import values
from sync.rules.approx import approximation, float_first, worth_it
from sync.rules.functions import AGGREGATES, FUNCTIONS
from sync.rules.fused import absolute, arithmetic, decider, item_closure, literal_places, rounding
from sync.rules.parser import Node
from sync.rules.values import charged_items

Frame = tuple[Any, Any, Any, "Run", str | None]
Fn = Callable[[Frame], Any]
MAX_READS = 200  # values a traced evaluation records; enough to explain, bounded for big quotes
DEFAULT_BUDGET = 200_000
_EMPTY: dict[str, Any] = {}
_HUGE = Decimal("1e300")  # ordering limits beyond this keep to Decimal (a float would overflow)


class Run:
    """What one evaluation of one record shares between closures."""

    __slots__ = ("reads", "steps", "tables", "today")

    def __init__(
        self,
        *,
        today: dt.date,
        tables: Mapping[str, Mapping[str, Any]],
        budget: int = DEFAULT_BUDGET,
        trace: bool = False,
    ) -> None:
        self.steps = budget
        self.today = today
        self.tables = tables
        self.reads: list[tuple[str, Any]] | None = [] if trace else None


def size(node: Node) -> int:
    return 1 + sum(size(arg) for arg in node.args)


def compile_tree(tree: Node, *, source: str, trace: bool = False) -> Fn:
    """The closure evaluating ``tree``; with ``trace`` it also records what each path and call read."""
    return _Compiler(source, trace).compile(tree)


class _Compiler:
    def __init__(self, source: str, trace: bool) -> None:
        self.source = source
        self.trace = trace

    def compile(self, node: Node) -> Fn:
        kind = node.kind
        if kind == "literal":
            constant = node.value
            return lambda f: constant
        if kind == "path":
            getter = _getter(node.value)
            return self.traced(getter, node.value.text, inside=True) if self.trace else getter
        if kind == "list":
            parts = [self.compile(arg) for arg in node.args]
            if all(arg.kind == "literal" for arg in node.args):
                fixed = [arg.value for arg in node.args]
                return lambda f: fixed
            return lambda f: [part(f) for part in parts]
        if kind == "not":
            inner = self.compile(node.args[0])
            return lambda f: inner(f) is not True
        if kind in ("and", "or"):
            return _boolean(kind, [self.compile(arg) for arg in node.args])
        if kind == "neg":
            inner = self.compile(node.args[0])
            return lambda f: values.subtract(Decimal(0), inner(f))
        if kind == "compare":
            return self.comparison(node)
        if kind == "arith":
            operation = _ARITHMETIC[node.value]
            left, right = self.compile(node.args[0]), self.compile(node.args[1])
            if not self.trace:
                return arithmetic(node.value, left, right)
            return lambda f: operation(left(f), right(f))
        if kind in ("in", "not_in"):
            fused = self.membership_literal(node)
            if fused is not None:
                return fused
            left, right = self.compile(node.args[0]), self.compile(node.args[1])
            if kind == "in":
                return lambda f: values.member(left(f), right(f))
            return lambda f: not values.member(left(f), right(f))
        if kind == "call":
            return self.call(node)
        raise ValueError(f"unknown node kind {kind!r}")  # pragma: no cover - the parser makes no others

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
        """``x in ['a', 'b']``: a set lookup when every item is a text (only a text equals a text)."""
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
        name = self.field(left_node)
        pair = self.field_pair(left_node)
        if pair is not None and right_node.kind == "literal":
            fused_pair = _pair_literal(pair, op, right_node.value)
            if fused_pair is not None:
                return fused_pair
        if right_node.kind == "literal" and op in ("==", "!="):
            fused = _equal_literal(left, name, right_node.value, negate=op == "!=")
            if fused is not None:
                return fused
        if op == "==":
            return lambda f: values.equal(left(f), right(f))
        if op == "!=":
            return lambda f: not values.equal(left(f), right(f))
        exact = self.order(op, left, right, name, right_node, left_node)
        # abs(x) < limit: the float path takes abs itself (one call fewer per evaluation).
        absolute = left_node.kind == "call" and left_node.value == "abs" and len(left_node.args) == 1
        approached = left_node.args[0] if absolute else left_node
        approx = approximation(approached, self.compile) if not self.trace and worth_it(left_node) else None
        limit = right_node.value if right_node.kind == "literal" else None
        if approx is not None and isinstance(limit, Decimal) and limit.is_finite() and abs(limit) < _HUGE:
            return float_first(approx, op, limit, exact, absolute=absolute)
        return exact

    def order(self, op: str, left: Fn, right: Fn, name: str | None, right_node: Node, left_node: Node) -> Fn:
        test = _ORDER[op]
        other = self.field(right_node)
        if name is not None and other is not None:
            return _fields_order(name, other, op)
        if right_node.kind == "literal" and isinstance(right_node.value, Decimal):
            limit = right_node.value
            as_float = float(limit)
            if to_decimal(as_float) == limit:
                default = self.coalesced(left_node)
                if default is not None:
                    return _order_literal(left, default[0], op, limit, as_float, default=default[1])
                return _order_literal(left, name, op, limit, as_float)

        def compare(f: Frame) -> bool:
            sign = values.order(left(f), right(f))
            return sign is not None and test(sign)

        return compare

    def call(self, node: Node) -> Fn:
        name = node.value
        if name in AGGREGATES:
            fn = self.aggregate(node)
        elif name == "today":
            fn = _today
        elif name == "lookup":
            fn = self.lookup(node)
        elif name in ("present", "empty"):
            pair = self.field_pair(node.args[0])
            if pair is not None:
                fn = _presence_pair(pair, name == "present")
            else:
                fn = _presence(self.compile(node.args[0]), self.field(node.args[0]), name == "present")
        elif (
            name == "coalesce"
            and len(node.args) == 2
            and self.field(node.args[0])
            and node.args[1].kind == "literal"
        ):
            fn = _coalesce_field(self.field(node.args[0]) or "", node.args[1].value)
        else:
            implementation = FUNCTIONS[name][0]
            if implementation is None:  # pragma: no cover - every other function has one
                raise ValueError(name)
            args = [self.compile(arg) for arg in node.args]
            places = literal_places(node.args[1]) if name == "round" and len(node.args) == 2 else None
            if self.trace:
                pass
            elif name == "abs":
                return absolute(args[0])
            elif places is not None:
                return rounding(args[0], places)
            if len(args) == 1:
                (only,) = args
                fn = lambda f: implementation(only(f))  # noqa: E731
            elif len(args) == 2:
                first, second = args
                fn = lambda f: implementation(first(f), second(f))  # noqa: E731
            else:
                fn = lambda f: implementation(*(arg(f) for arg in args))  # noqa: E731
        if self.trace and name in (*AGGREGATES, "lookup"):
            return self.traced(fn, self.source[node.start : node.end], inside=True)
        return fn

    def against_outer(self, node: Node) -> tuple[str, Fn, bool] | None:
        """``field == ^.path`` (or ``$.path``, ``!=``) in an aggregate: the outer side is the same for
        every item, so it is read once (reading a path has no effect but its value)."""
        if node.kind != "compare" or node.value not in ("==", "!="):
            return None
        left, right = node.args
        field = self.field(left)
        if field is None or right.kind != "path" or right.value.anchor == "current":
            return None
        return field, _getter(right.value), node.value == "!="

    def lookup(self, node: Node) -> Fn:
        table_name = node.args[0].value
        key = self.compile(node.args[1])
        pair = self.field_pair(node.args[1])
        if pair is not None:
            a, b = pair

            def lookup_pair(f: Frame) -> Any:  # lookup('t', a.b): the key read inline, one call fewer
                inner = f[0].get(a)
                wanted = inner.get(b) if inner.__class__ is dict else None
                table = f[3].tables.get(table_name)
                if table is None or wanted is None:
                    return None
                if wanted.__class__ is str:  # key_text's first case, without the call
                    return table.get(wanted)
                text = key_text(wanted)
                return table.get(text) if text is not None else None

            return lookup_pair

        def lookup(f: Frame) -> Any:
            table = f[3].tables.get(table_name)
            wanted = key(f)
            if table is None or wanted is None:
                return None
            text = key_text(wanted)
            return table.get(text) if text is not None else None

        return lookup

    def aggregate(self, node: Node) -> Fn:
        name = node.value
        source = self.compile(node.args[0])
        label_text = self.source[node.args[0].start : node.args[0].end]
        if len(node.args) == 1:  # count(LIST)

            def count_all(f: Frame) -> Any:
                items = as_items(source(f))
                return Decimal(len(items)) if items is not None else None

            return count_all
        inner = self.compile(node.args[1])
        cost = size(node.args[1]) + 1
        trace = self.trace
        field = self.field(node.args[1])
        if field is not None and name in ("min", "max"):
            return _field_extreme(source, field, cost, 1 if name == "max" else -1)
        itemwise = None if trace else item_closure(node.args[1])
        if itemwise is not None:
            return _itemwise(name, source, itemwise, cost)
        outer = None if trace or name not in ("any", "all", "count") else self.against_outer(node.args[1])
        if outer is not None:
            return _against_outer(name, source, *outer, cost)

        def frames(f: Frame) -> list[Frame] | None:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            root, run = f[2], f[3]
            if trace:
                return [
                    (item if item.__class__ is dict else _EMPTY, f, root, run, f"{label_text}[{index}]")
                    for index, item in enumerate(items)
                ]
            return [(item if item.__class__ is dict else _EMPTY, f, root, run, None) for item in items]

        # Plain loops, not any()/all() over generators: a generator costs a frame switch per item.
        if name == "any":

            def any_(f: Frame) -> Any:
                framed = frames(f)
                if framed is None:
                    return None
                for frame in framed:
                    if inner(frame) is True:
                        return True
                return False

            return any_
        if name == "all":

            def all_(f: Frame) -> Any:
                framed = frames(f)
                if framed is None:
                    return None
                for frame in framed:
                    if inner(frame) is not True:
                        return False
                return True

            return all_
        if name == "count":

            def count(f: Frame) -> Any:
                framed = frames(f)
                if framed is None:
                    return None
                found = 0
                for frame in framed:
                    if inner(frame) is True:
                        found += 1
                return Decimal(found)

            return count
        if field is not None:
            # sum of one field of each item: read it straight from the items, no frames.
            def field_values(f: Frame) -> list[Any] | None:
                items = charged_items(source(f), f, cost)
                if items is None:
                    return None
                return [item.get(field) if item.__class__ is dict else None for item in items]

            return _summary(name, field_values)

        def inner_values(f: Frame) -> list[Any] | None:
            framed = frames(f)
            return None if framed is None else [inner(frame) for frame in framed]

        return _summary(name, inner_values)


def _itemwise(name: str, source: Fn, test: Callable[[dict[str, Any]], Any], cost: int) -> Fn:
    """An aggregate whose expression reads only its item: no frame per item (see :mod:`fused`)."""

    if name == "any":

        def any_(f: Frame) -> Any:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            for item in items:
                if test(item if item.__class__ is dict else _EMPTY) is True:
                    return True
            return False

        return any_
    if name == "all":

        def all_(f: Frame) -> Any:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            for item in items:
                if test(item if item.__class__ is dict else _EMPTY) is not True:
                    return False
            return True

        return all_
    if name == "count":

        def count(f: Frame) -> Any:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            found = 0
            for item in items:
                if test(item if item.__class__ is dict else _EMPTY) is True:
                    found += 1
            return Decimal(found)

        return count

    def read(f: Frame) -> list[Any] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        return [test(item if item.__class__ is dict else _EMPTY) for item in items]

    return _summary(name, read)


def _against_outer(name: str, source: Fn, field: str, outer: Fn, negate: bool, cost: int) -> Fn:
    """any/all/count of ``field == <outer path>`` with the outer value read once per call."""
    want = True if name == "any" else False if name == "all" else None

    def against_outer(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        constant = outer((_EMPTY, f, f[2], f[3], None))  # an item's ^. is f's record; $. the root
        text = constant.__class__ is str
        found = 0
        for item in items:
            value = item.get(field) if item.__class__ is dict else None
            same = value == constant if text and value.__class__ is str else values.equal(value, constant)
            if same is not negate:
                if want is True:
                    return True
                found += 1
            elif want is False:
                return False
        return Decimal(found) if want is None else not want

    return against_outer


def _summary(name: str, read: Callable[[Frame], list[Any] | None]) -> Fn:
    """sum, min or max of the values ``read`` gives (nulls skipped)."""
    if name == "sum":

        def total(f: Frame) -> Any:
            found = read(f)
            if found is None:
                return None
            result = Decimal(0)
            for value in found:
                if value is None:
                    continue
                amount = values.number(value)
                if amount is None:
                    return None
                try:
                    result += amount
                except ArithmeticError:
                    return None
            return result

        return total
    best = 1 if name == "max" else -1

    def extreme(f: Frame) -> Any:
        found = read(f)
        if found is None:
            return None
        chosen: Any = None
        for value in found:
            if value is None:
                continue
            if chosen is None:
                chosen = value
                continue
            sign = values.order(value, chosen)
            if sign is None:
                return None  # items that do not order with each other have no extreme
            if sign == best:
                chosen = value
        return chosen

    return extreme


def _field_extreme(source: Fn, field: str, cost: int, best: int) -> Fn:
    """min/max of one field of each item (``best`` 1 for max, -1 for min), read straight from the
    items; two floats compare natively, which gives what :func:`values.order` gives them."""

    def extreme(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        chosen: Any = None
        for item in items:
            value = item.get(field) if item.__class__ is dict else None
            if value is None:
                continue
            if chosen is None:
                chosen = value
            elif value.__class__ is float and chosen.__class__ is float:
                if (value > chosen) if best == 1 else (value < chosen):
                    chosen = value
            else:
                sign = values.order(value, chosen)
                if sign is None:
                    return None  # items that do not order with each other have no extreme
                if sign == best:
                    chosen = value
        return chosen

    return extreme


def _pair_literal(pair: tuple[str, str], op: str, constant: Any) -> Fn | None:
    """``a.b == 'text'`` / ``!=`` / ``== true`` / ``== null`` and ``a.b > 20``: read and test inline."""
    a, b = pair
    if op in ("==", "!="):
        identity = constant is None or isinstance(constant, bool)
        if not identity and not isinstance(constant, str):
            return None
        negate = op == "!="

        def equal_pair(f: Frame) -> bool:
            inner = f[0].get(a)
            value = inner.get(b) if inner.__class__ is dict else None
            same = value is constant if identity else value == constant
            return same is not negate

        return equal_pair
    if not isinstance(constant, Decimal) or to_decimal(float(constant)) != constant:
        return None
    test, limit, as_float = _ORDER[op], constant, float(constant)
    below, strict = op in ("<", "<="), op in ("<", ">")

    def order_pair(f: Frame) -> bool:
        inner = f[0].get(a)
        value = inner.get(b) if inner.__class__ is dict else None
        cls = value.__class__
        if cls is float or cls is int:
            if below:  # the operator picked inline: a branch costs less than a call
                return value < as_float if strict else value <= as_float
            return value > as_float if strict else value >= as_float
        sign = values.order(value, limit)
        return sign is not None and test(sign)

    return order_pair


def _presence_pair(pair: tuple[str, str], present: bool) -> Fn:
    a, b = pair
    decide = decider(present)

    def presence_pair(f: Frame) -> bool:
        inner = f[0].get(a)
        value = inner.get(b) if inner.__class__ is dict else None
        if value.__class__ is str:  # the common cases, without a call
            return (value != "") is present
        if value is None:
            return not present
        return decide(value)

    return presence_pair


def _equal_literal(left: Fn, name: str | None, constant: Any, *, negate: bool) -> Fn | None:
    """``x == 'text'``, ``x == true``, ``x == null`` (and ``!=``) as one identity or string test."""
    if constant is None or isinstance(constant, bool):
        if name is not None:
            if negate:
                return lambda f: f[0].get(name) is not constant
            return lambda f: f[0].get(name) is constant
        if negate:
            return lambda f: left(f) is not constant
        return lambda f: left(f) is constant
    if isinstance(constant, str):
        # Only a text equals a text; a date read from a field is text too (dates are made by date()).
        if name is not None:
            if negate:
                return lambda f: f[0].get(name) != constant
            return lambda f: f[0].get(name) == constant
        if negate:
            return lambda f: not values.equal(left(f), constant)
        return lambda f: values.equal(left(f), constant)
    return None


def _order_literal(
    left: Fn, name: str | None, op: str, limit: Decimal, as_float: float, *, default: Any = None
) -> Fn:
    """``x > 20`` where 20 is exactly a float: JSON numbers (floats) compare without a Decimal.

    With ``name``, ``x`` is that field read inline, or ``default`` when it is null (``coalesce(field,
    literal)``: a null field never reaches the comparison then, as in the closure it replaces)."""
    native = _NATIVE[op]
    test = _ORDER[op]
    below, strict = op in ("<", "<="), op in ("<", ">")

    def slow(value: Any) -> bool:
        sign = values.order(value, limit)
        return sign is not None and test(sign)

    if name is not None:

        def field_against_number(f: Frame) -> bool:
            value = f[0].get(name)
            if value is None:
                value = default
            cls = value.__class__
            if cls is float or cls is int:  # the operator picked inline: a branch costs less than a call
                if below:
                    return value < as_float if strict else value <= as_float
                return value > as_float if strict else value >= as_float
            return slow(value)

        return field_against_number

    def against_number(f: Frame) -> bool:
        value = left(f)
        cls = value.__class__
        if cls is float or cls is int:
            return native(value, as_float)
        if cls is Decimal:
            return native(value, limit)
        return slow(value)

    return against_number


def _presence(read: Fn, name: str | None, present: bool) -> Fn:
    """``present(x)`` / ``empty(x)`` with the common answers (null, text, number) decided inline."""
    decide = decider(present)
    if name is not None:

        def field_presence(f: Frame) -> bool:
            value = f[0].get(name)
            if value.__class__ is str:  # the common cases, without a call
                return (value != "") is present
            if value is None:
                return not present
            return decide(value)

        return field_presence
    return lambda f: decide(read(f))


def _coalesce_field(name: str, constant: Any) -> Fn:
    """``coalesce(field, literal)``: the field unless it is null."""

    def coalesce(f: Frame) -> Any:
        value = f[0].get(name)
        return constant if value is None else value

    return coalesce


def _fields_order(name: str, other: str, op: str) -> Fn:
    """``a <= b`` for two fields of the record: two floats (not NaN) compare natively, as order() would."""
    test = _ORDER[op]
    below, strict = op in ("<", "<="), op in ("<", ">")

    def fields(f: Frame) -> bool:
        item = f[0]
        x, y = item.get(name), item.get(other)
        if x.__class__ is float and y.__class__ is float and x == x and y == y:
            if below:  # the operator picked inline: a branch costs less than a call
                return x < y if strict else x <= y
            return x > y if strict else x >= y
        sign = values.order(x, y)
        return sign is not None and test(sign)

    return fields


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


_ORDER: dict[str, Callable[[int], bool]] = {
    "<": lambda sign: sign < 0,
    "<=": lambda sign: sign <= 0,
    ">": lambda sign: sign > 0,
    ">=": lambda sign: sign >= 0,
}
_NATIVE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": values.add,
    "-": values.subtract,
    "*": values.multiply,
    "/": values.divide,
    "%": values.remainder,
}


def _getter(path: SourcePath) -> Fn:
    """A closure reading ``path`` from a frame (the same path syntax as mappings)."""
    segments = path.segments
    if path.anchor == "current":
        start: Fn = _item
    elif path.anchor == "root":
        start = _root
    else:
        up = path.up

        def start(f: Frame) -> Any:
            frame: Any = f
            for _ in range(up):
                frame = frame[1] if frame is not None else None
            return frame[0] if frame is not None else None

    plain = all(index is None for _, index in segments)
    if path.anchor == "current" and plain and len(segments) == 1:
        ((a, _),) = segments
        return lambda f: f[0].get(a)
    if path.anchor == "current" and plain and len(segments) == 2:
        (a, _), (b, _) = segments

        def two(f: Frame) -> Any:
            inner = f[0].get(a)
            return inner.get(b) if inner.__class__ is dict else None

        return two
    if not segments:
        return start
    walk = _walker(segments)
    return lambda f: walk(start(f))


def _item(f: Frame) -> Any:
    return f[0]


def _root(f: Frame) -> Any:
    return f[2]


def _walker(segments: tuple[Segment, ...]) -> Callable[[Any], Any]:
    def walk(item: Any) -> Any:
        for name, index in segments:
            if item.__class__ is not dict:
                return None
            item = item.get(name)
            if index is not None:
                items = as_items(item)
                item = items[index] if items is not None and index < len(items) else None
        return item

    return walk
