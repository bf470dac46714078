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
from dataclasses import dataclass, field
from typing import Any

from sync.mapping.paths import as_items
from sync.rules.checker import check
from sync.rules.compiler import DEFAULT_BUDGET, Fn, Run, compile_tree
from sync.rules.errors import BudgetExceeded
from sync.rules.parser import Node, parse
from sync.rules.values import shown_value

SUBJECTS: dict[str, str] = {
    "opportunity": "Opportunity graph (with Account, contact roles and primary_quote.lines)",
    "quote_line": "One quote line of an opportunity graph (^. is the opportunity)",
    "netsuite_payload": "A NetSuite record body (customer, sales order...)",
}
PLACEMENTS: dict[str, str] = {
    "pre_sale": "Pre-sale gate (Salesforce side, before any NetSuite write)",
    "post_sale": "Post-sale compliance (NetSuite side)",
}
SEVERITIES: dict[str, str] = {"block": "Block", "warn": "Warn"}
PASSED, BLOCKED, WARNED = "passed", "blocked", "warned"


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
    """Parse and check a condition; raises :class:`~sync.rules.errors.RuleError` pointing at the problem."""
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


@dataclass(slots=True)
class Outcome:
    """One rule's verdict on one record (or one quote line: ``item`` names it)."""

    rule: RuleSpec
    status: str  # passed | blocked | warned
    item: str | None = None
    values: list[tuple[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def message(self) -> str:
        return self.rule.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.key,
            "name": self.rule.name,
            "version_id": self.rule.version_id,
            "severity": self.rule.severity,
            "status": self.status,
            "message": "" if self.passed else self.rule.message,
            "item": self.item,
            "values": [[text, shown_value(value)] for text, value in self.values],
            "error": self.error,
        }


@dataclass(slots=True)
class Evaluation:
    """Every rule's outcome for one record. ``decision`` is what the pipeline acts on."""

    subject: str
    placement: str | None
    outcomes: list[Outcome]

    @property
    def blocked(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == BLOCKED]

    @property
    def warnings(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == WARNED]

    @property
    def decision(self) -> str:
        statuses = {outcome.status for outcome in self.outcomes}
        return BLOCKED if BLOCKED in statuses else WARNED if WARNED in statuses else PASSED

    @property
    def rule_versions(self) -> list[int]:
        """The rule versions this evaluation used, each once, for the pipeline's record."""
        return sorted({o.rule.version_id for o in self.outcomes if o.rule.version_id is not None})

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "placement": self.placement,
            "decision": self.decision,
            "rule_versions": self.rule_versions,
            "outcomes": [outcome.as_dict() for outcome in self.outcomes],
        }


class RuleSet:
    """Compiled rules, evaluated together against records.

    ``trace`` chooses which outcomes carry the values their condition read: ``"failures"`` (the
    default: a failing rule is evaluated a second time, with tracing), ``"all"`` or ``"none"``.
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
        if not isinstance(record, dict):
            raise TypeError("a record is a JSON object (dict)")
        if subject not in SUBJECTS:
            raise ValueError(f"unknown subject {subject!r}")
        day = today or dt.date.today()
        outcomes: list[Outcome] = []
        frame = (record, None, record, None, None)
        self._run(self.for_subject(subject, placement), frame, day, trace, outcomes, None)
        if subject == "opportunity":
            line_rules = self.for_subject("quote_line", placement)
            quote = record.get("primary_quote")
            lines = as_items(quote.get("lines")) if isinstance(quote, dict) else None
            if line_rules and lines:
                for index, line in enumerate(lines):
                    item = line if isinstance(line, dict) else {}
                    label = f"primary_quote.lines[{index}]" + (f" ({item['Id']})" if item.get("Id") else "")
                    self._run(line_rules, (item, frame, record, None, None), day, trace, outcomes, label)
        return Evaluation(subject=subject, placement=placement, outcomes=outcomes)

    def _run(
        self,
        rules: list[CompiledRule],
        frame: tuple[Any, Any, Any, Any, Any],
        day: dt.date,
        trace: str,
        outcomes: list[Outcome],
        item: str | None,
    ) -> None:
        item_, parent, root = frame[0], frame[1], frame[2]
        for rule in rules:
            run = Run(today=day, tables=self.tables, budget=self.budget, trace=trace == "all")
            fn = rule.traced if trace == "all" else rule.fast
            error = ""
            try:
                ok = fn((item_, parent, root, run, None)) is True
            except BudgetExceeded as exc:
                ok, error = False, str(exc)
            if ok:
                outcomes.append(Outcome(rule.spec, PASSED, item, run.reads or []))
                continue
            if trace == "failures" and not error:
                run = Run(today=day, tables=self.tables, budget=self.budget, trace=True)
                try:
                    rule.traced((item_, parent, root, run, None))
                except BudgetExceeded:  # pragma: no cover - the fast run already succeeded within budget
                    pass
            status = BLOCKED if rule.spec.severity == "block" else WARNED
            outcomes.append(Outcome(rule.spec, status, item, run.reads or [], error))
