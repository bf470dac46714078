"""The fields a rule reads, as paths from the opportunity graph's root (for the derived Salesforce query).

A pre-sale rule on an ``opportunity`` reads paths from the graph; a ``quote_line`` rule from one line of
``primary_quote.lines`` (``^.`` is the opportunity); inside an aggregate (``all(primary_quote.lines,
X)``) ``X`` reads the item. A ``netsuite_payload`` rule reads the mapped payload, nothing in Salesforce.
Django-free, like the rest of the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.mappings.engine.paths import SourcePath
from sync.rules.engine.functions import AGGREGATES
from sync.rules.engine.parser import Node
from sync.rules.engine.ruleset import CompiledRule

# The record each subject's paths start from, as a path from the opportunity graph's root.
_SUBJECT_BASES: dict[str, list[tuple[str, ...]]] = {
    "opportunity": [()],
    "quote_line": [(), ("primary_quote", "lines")],
}


def rule_paths(rule: CompiledRule) -> list[tuple[str, ...]]:
    """The paths ``rule`` reads from the opportunity graph's root (``("primary_quote",
    "SBQQ__NetAmount__c")``), list indexes and subquery wrappers left out; [] for a payload rule."""
    stack = _SUBJECT_BASES.get(rule.spec.subject)
    if stack is None:
        return []
    found: list[tuple[str, ...]] = []
    _walk(rule.tree, list(stack), found)
    return found


def ruleset_paths(rules: Iterable[CompiledRule]) -> list[tuple[CompiledRule, tuple[str, ...]]]:
    """(rule, path) for every path every rule reads."""
    return [(rule, path) for rule in rules for path in rule_paths(rule)]


def _walk(node: Node, stack: list[tuple[str, ...]], found: list[tuple[str, ...]]) -> None:
    if node.kind == "path":
        found.append(_rooted(node.value, stack))
        return
    if node.kind == "call" and node.value in AGGREGATES and node.args:
        source = node.args[0]
        _walk(source, stack, found)
        if source.kind == "path" and len(node.args) > 1:
            inner = [*stack, _rooted(source.value, stack)]
            for arg in node.args[1:]:
                _walk(arg, inner, found)
        return
    for arg in node.args:
        _walk(arg, stack, found)


def _rooted(path: SourcePath, stack: list[tuple[str, ...]]) -> tuple[str, ...]:
    if path.anchor == "root":
        base: tuple[str, ...] = ()
    elif path.anchor == "parent":
        base = stack[max(0, len(stack) - 1 - path.up)]
    else:
        base = stack[-1]
    if path.children is not None:
        return base
    return base + tuple(name for name, _ in path.segments if name != "records")
