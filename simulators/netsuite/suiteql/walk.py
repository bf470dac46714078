"""Walking the SuiteQL AST: conjuncts, ROWNUM limits, aggregates and the columns outside them."""

from __future__ import annotations

from simulators.netsuite.suiteql import ast
from simulators.netsuite.suiteql.functions import AGGREGATES


def conjuncts(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.Binary) and node.op == "AND":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def rownum_limit(node: ast.Node) -> int | None:
    if (
        isinstance(node, ast.Binary)
        and node.op in ("<", "<=")
        and isinstance(node.left, ast.ColumnRef)
        and node.left.qualifier is None
        and node.left.name == "rownum"
        and isinstance(node.right, ast.Literal)
        and isinstance(node.right.value, int)
    ):
        return max(0, node.right.value - (1 if node.op == "<" else 0))
    return None


def children(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.Unary):
        return [node.operand]
    if isinstance(node, ast.Binary):
        return [node.left, node.right]
    if isinstance(node, ast.InList):
        return [node.operand, *([] if isinstance(node.items, ast.Select) else node.items)]
    if isinstance(node, ast.Between):
        return [node.operand, node.low, node.high]
    if isinstance(node, ast.Like):
        return [node.operand, node.pattern]
    if isinstance(node, ast.IsNull):
        return [node.operand]
    if isinstance(node, ast.Case):
        nodes = [node.subject] if node.subject is not None else []
        for condition, result in node.whens:
            nodes += [condition, result]
        return nodes + ([node.otherwise] if node.otherwise is not None else [])
    return []


def has_aggregate(node: ast.Node) -> bool:
    if isinstance(node, ast.Call) and node.name in AGGREGATES:
        return True
    return any(has_aggregate(child) for child in children(node))


def bare_columns(node: ast.Node) -> list[ast.ColumnRef]:
    """Column references outside any aggregate function."""
    if isinstance(node, ast.Call) and node.name in AGGREGATES:
        return []
    if isinstance(node, ast.ColumnRef):
        return [] if node.name in ("sysdate", "current_date", "current_timestamp") else [node]
    return [ref for child in children(node) for ref in bare_columns(child)]
