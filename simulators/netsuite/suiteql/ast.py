"""The parsed shape of a SuiteQL query."""

from __future__ import annotations

from dataclasses import dataclass, field


class Node:
    position: int = 0


@dataclass
class Literal(Node):
    value: str | int | float | None
    position: int = 0


@dataclass
class ColumnRef(Node):
    qualifier: str | None
    name: str
    position: int = 0


@dataclass
class Star(Node):
    qualifier: str | None
    position: int = 0


@dataclass
class Call(Node):
    name: str  # upper case, dotted for BUILTIN.DF
    args: list[Node]
    distinct: bool = False
    star: bool = False
    position: int = 0


@dataclass
class Unary(Node):
    op: str  # "-", "NOT"
    operand: Node
    position: int = 0


@dataclass
class Binary(Node):
    op: str  # arithmetic, comparison, AND, OR, ||
    left: Node
    right: Node
    position: int = 0


@dataclass
class InList(Node):
    operand: Node
    items: list[Node] | Select
    negated: bool
    position: int = 0


@dataclass
class Between(Node):
    operand: Node
    low: Node
    high: Node
    negated: bool
    position: int = 0


@dataclass
class Like(Node):
    operand: Node
    pattern: Node
    negated: bool
    escape: Node | None = None
    position: int = 0


@dataclass
class IsNull(Node):
    operand: Node
    negated: bool
    position: int = 0


@dataclass
class Case(Node):
    subject: Node | None
    whens: list[tuple[Node, Node]]
    otherwise: Node | None
    position: int = 0


@dataclass
class Exists(Node):
    query: Select
    position: int = 0


@dataclass
class SubQuery(Node):
    query: Select
    position: int = 0


@dataclass
class SelectItem:
    expression: Node
    alias: str | None


@dataclass
class TableRef:
    name: str
    alias: str | None
    position: int = 0


@dataclass
class Join:
    kind: str  # "INNER", "LEFT"
    table: TableRef
    condition: Node


@dataclass
class OrderItem:
    expression: Node
    descending: bool
    nulls: str | None  # "FIRST" / "LAST" / None (Oracle's default)


@dataclass
class Select(Node):
    items: list[SelectItem]
    source: TableRef
    distinct: bool = False
    joins: list[Join] = field(default_factory=list)
    where: Node | None = None
    group_by: list[Node] = field(default_factory=list)
    having: Node | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    fetch_first: int | None = None
    position: int = 0


@dataclass
class UnionAll(Node):
    """``SELECT ... UNION ALL SELECT ...``: the rows of every part, in order; the columns are named by the
    first part and every part selects as many."""

    parts: list[Select]
    position: int = 0
