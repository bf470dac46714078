"""Rules as data, compiled once, and the evaluation of a set of them against one record.

A rule judges one *subject*: an opportunity graph (as ``fetch_opportunity_graphs`` returns it), one
quote line of such a graph, or a NetSuite payload body (what is about to be written, or what was read
back). Its *placement* says where the pipeline runs it: ``pre_sale`` gates run in Salesforce terms
before anything is written to NetSuite; ``post_sale`` checks run on the NetSuite side. A rule whose
condition is not true fails: a ``block`` rule stops the record, a ``warn`` rule lets it through and is
recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.mappings.engine.paths import as_items
from sync.rules.engine.checker import check
from sync.rules.engine.compiler import compile_tree
from sync.rules.engine.errors import BudgetExceeded
from sync.rules.engine.frames import DEFAULT_BUDGET, Fn, Run
from sync.rules.engine.outcomes import BLOCKED, NO_FAILURES, PASSED, WARNED, Evaluation, Line, Outcome, label
from sync.rules.engine.parser import Node, parse

__all__ = [
    "BLOCKED",
    "PASSED",
    "PLACEMENTS",
    "SEVERITIES",
    "SUBJECTS",
    "WARNED",
    "CompiledRule",
    "Evaluation",
    "Outcome",
    "RuleSet",
    "RuleSpec",
    "compile_condition",
    "compile_rule",
]
SUBJECTS: dict[str, str] = {
    "opportunity": "Opportunity graph (with Account, contact roles and primary_quote.lines)",
    "quote_line": "One quote line of an opportunity graph (^. is the opportunity)",
    "netsuite_payload": "A NetSuite record body (customer, sales order...)",
}
PLACEMENTS: dict[str, str] = {
    "pre_sale": "Pre-sale gate (Salesforce side, before any NetSuite write)",
    "post_sale": "Post-sale compliance (NetSuite side)",
    # Issue 22: a synced deal lost afterwards (or a cancelled contract) closes its NetSuite order or
    # terminates its subscriptions only after a finance approval, unless the published rules of this
    # placement all pass on the opportunity (sync.lifecycle.cancellations.cancellation_allowed).
    "cancellation": "Cancellation: when true, a lost deal is cancelled in NetSuite without finance approval",
}
SEVERITIES: dict[str, str] = {"block": "Block", "warn": "Warn"}


@dataclass(frozen=True)
class RuleSpec:
    """A rule as stored: plain data. ``version_id`` is the database id of the rule version, if any."""

    key: str
    name: str
    subject: str
    placement: str
    severity: str
    message: str
    condition: str
    owner: str = ""
    version_id: int | None = None


def compile_condition(
    text: str, *, subject: str = "opportunity", tables: Collection[str] | None = None
) -> Node:
    """Parse and check a condition; raises :class:`~sync.rules.engine.errors.RuleError` pointing at the
    problem."""
    tree = parse(text)
    check(tree, source=text, outer_levels=1 if subject == "quote_line" else 0, tables=tables)
    return tree


class CompiledRule:
    """A rule ready to evaluate: the fast closure, and a tracing one built on first need."""

    __slots__ = ("_traced", "fast", "spec", "tree")

    def __init__(self, spec: RuleSpec, tree: Node, fast: Fn) -> None:
        self.spec = spec
        self.tree = tree
        self.fast = fast
        self._traced: Fn | None = None

    @property
    def traced(self) -> Fn:
        if self._traced is None:
            self._traced = compile_tree(self.tree, source=self.spec.condition, trace=True)
        return self._traced


def compile_rule(spec: RuleSpec, *, tables: Collection[str] | None = None) -> CompiledRule:
    """Validate ``spec`` (subject, placement, severity, condition) and compile it."""
    for value, allowed, what in (
        (spec.subject, SUBJECTS, "subject"),
        (spec.placement, PLACEMENTS, "placement"),
        (spec.severity, SEVERITIES, "severity"),
    ):
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")
    tree = compile_condition(spec.condition, subject=spec.subject, tables=tables)
    return CompiledRule(spec, tree, compile_tree(tree, source=spec.condition))


def _refuse_unknown(record: Any, subject: str, trace: str) -> None:
    if not isinstance(record, dict):
        raise TypeError("a record is a JSON object (dict)")
    if subject not in SUBJECTS:
        raise ValueError(f"unknown subject {subject!r}")
    if trace not in ("failures", "all", "none"):
        raise ValueError(f"unknown trace {trace!r}")


class RuleSet:
    """Compiled rules, evaluated together against records.

    ``trace`` chooses which outcomes carry the values their condition read: ``"failures"`` (the
    default: a failing rule is evaluated a second time, with tracing), ``"all"`` or ``"none"``.
    Each rule evaluation has ``budget`` steps (see :mod:`sync.rules.engine.aggregates`).
    """

    def __init__(
        self,
        rules: Iterable[CompiledRule],
        *,
        tables: Mapping[str, Mapping[str, Any]] | None = None,
        budget: int = DEFAULT_BUDGET,
    ) -> None:
        self.rules = list(rules)
        self.tables = tables or {}
        self.budget = budget
        self._by_subject: dict[tuple[str, str | None], list[CompiledRule]] = {}

    def for_subject(self, subject: str, placement: str | None = None) -> list[CompiledRule]:
        key = (subject, placement)
        if key not in self._by_subject:
            self._by_subject[key] = [
                rule
                for rule in self.rules
                if rule.spec.subject == subject and (placement is None or rule.spec.placement == placement)
            ]
        return self._by_subject[key]

    def evaluate(
        self,
        record: Mapping[str, Any],
        *,
        subject: str = "opportunity",
        placement: str | None = None,
        today: dt.date | None = None,
        trace: str = "failures",
    ) -> Evaluation:
        """Evaluate the rules of ``subject`` (and ``placement``, if given) on ``record``.

        For an opportunity graph the quote line rules run too, once per line of ``primary_quote``;
        their outcomes name the line. No rule raises: a rule that runs out of steps fails with an error.
        """
        _refuse_unknown(record, subject, trace)
        evaluation = Evaluation(subject, placement)
        run = Run(
            today=today or dt.date.today(), tables=self.tables, budget=self.budget, trace=trace == "all"
        )
        frame = (record, None, record, run, None)
        rules = self.for_subject(subject, placement)
        if rules:
            self._run(rules, frame, trace, evaluation, None)
        if subject == "opportunity":
            self._quote_lines(frame, placement, trace, evaluation)
        return evaluation

    def _quote_lines(
        self,
        frame: tuple[Any, Any, Any, Run, None],
        placement: str | None,
        trace: str,
        evaluation: Evaluation,
    ) -> None:
        """The quote line rules on each line of the opportunity's ``primary_quote``."""
        line_rules = self.for_subject("quote_line", placement)
        quote: Any = frame[0].get("primary_quote")
        lines = as_items(quote.get("lines")) if line_rules and quote.__class__ is dict else None
        if not lines:
            return
        if trace != "all":
            self._run_lines(line_rules, lines, frame, trace, evaluation)
            return
        for index, line in enumerate(lines):
            item = line if line.__class__ is dict else {}
            self._run(line_rules, (item, frame, frame[2], frame[3], None), trace, evaluation, (index, item))

    def _run(
        self,
        rules: list[CompiledRule],
        frame: tuple[Any, Any, Any, Run, None],
        trace: str,
        evaluation: Evaluation,
        line: Line,
        start: int = 0,
    ) -> None:
        """Judge ``rules`` on ``frame``; the ones before ``start`` are known to pass (the caller saw it)."""
        run = frame[3]
        budget = self.budget
        failed: dict[int, Outcome] = {}
        if trace == "all":
            for position, rule in enumerate(rules):
                failed[position] = self._judge(rule, rule.traced, frame, line)  # kept with its reads
        else:
            position = start
            for rule in rules[start:] if start else rules:
                run.steps = budget  # the budget is per rule: one runaway rule fails alone
                try:
                    if rule.fast(frame) is True:
                        position += 1
                        continue
                except BudgetExceeded:
                    pass
                # Failures are rare: judge again on a fresh run, traced unless asked not to.
                failed[position] = self._judge(
                    rule, rule.traced if trace == "failures" else rule.fast, frame, line
                )
                position += 1
        self._record(evaluation, rules, line, failed)

    def _run_lines(
        self,
        rules: list[CompiledRule],
        lines: list[Any],
        parent: tuple[Any, Any, Any, Run, None],
        trace: str,
        evaluation: Evaluation,
    ) -> None:
        """The quote line rules on every line, in one loop: what :meth:`_run` does per line, without
        a call per line while every rule passes; a line whose rules all pass shares one empty failure
        map. A line where some rule fails goes to :meth:`_run` from that rule on.

        What it buys: ~0.14 s of bench/rules.py (1.40 s with it, 1.54 s with :meth:`_run` per line;
        issue 19 in bench/RESULTS.md). Proven equal by the traced evaluations of test_evaluator.py."""
        run, record = parent[3], parent[2]
        budget = self.budget
        fast = [rule.fast for rule in rules]
        batches = evaluation.batches
        for index, line in enumerate(lines):
            item = line if line.__class__ is dict else {}
            frame = (item, parent, record, run, None)
            for decide in fast:
                run.steps = budget
                try:
                    if decide(frame) is not True:
                        break
                except BudgetExceeded:
                    break
            else:
                batches.append((rules, (index, item), NO_FAILURES))
                continue
            # The rules before this one passed (a rule listed twice: its first place, also passed).
            self._run(rules, frame, trace, evaluation, (index, item), fast.index(decide))

    @staticmethod
    def _record(
        evaluation: Evaluation, rules: list[CompiledRule], line: Line, failed: dict[int, Outcome]
    ) -> None:
        evaluation.batches.append((rules, line, failed))
        for outcome in failed.values():
            if not outcome.passed:
                evaluation.failures.append(outcome)
                evaluation.statuses.add(outcome.status)

    def _judge(
        self, rule: CompiledRule, fn: Fn, frame: tuple[Any, Any, Any, Run, None], line: Line
    ) -> Outcome:
        """Evaluate ``rule`` once more on its own run (recording what it reads) and say what it decides."""
        run = Run(today=frame[3].today, tables=self.tables, budget=self.budget, trace=True)
        try:
            ok, error = fn((frame[0], frame[1], frame[2], run, None)) is True, ""
        except BudgetExceeded as exc:
            ok, error = False, str(exc)
        status = PASSED if ok else BLOCKED if rule.spec.severity == "block" else WARNED
        return Outcome(rule.spec, status, label(line), run.reads or [], error)
