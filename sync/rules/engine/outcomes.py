"""What an evaluation found: each rule's :class:`Outcome`, and the :class:`Evaluation` of one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sync.rules.engine.values import shown_value

if TYPE_CHECKING:
    from sync.rules.engine.ruleset import CompiledRule, RuleSpec

PASSED, BLOCKED, WARNED = "passed", "blocked", "warned"


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


Line = tuple[int, Any] | None  # (index, line) of the quote line a quote line rule judged
# One evaluation of a list of rules on one record or line: the rules, the line, and the failures by
# position (empty when every rule passed, the common case, which then costs one tuple in all).
Batch = tuple[list["CompiledRule"], Line, dict[int, Outcome]]


NO_FAILURES: dict[int, Outcome] = {}  # shared by the batches where every rule passed; never written to


class Evaluation:
    """Every rule's outcome for one record. ``decision`` is what the pipeline acts on.

    Passing rules are not stored one by one: ``outcomes`` builds their :class:`Outcome` objects when
    read. Most rules pass, and the pipeline mostly asks for the decision and the failures.
    """

    __slots__ = ("batches", "failures", "placement", "statuses", "subject")

    def __init__(self, subject: str, placement: str | None) -> None:
        self.subject = subject
        self.placement = placement
        self.batches: list[Batch] = []
        self.failures: list[Outcome] = []
        self.statuses: set[str] = set()

    @property
    def outcomes(self) -> list[Outcome]:
        """Every outcome, in evaluation order (opportunity rules, then each line's rules)."""
        found: list[Outcome] = []
        for rules, line, failed in self.batches:
            for position, rule in enumerate(rules):
                outcome = failed.get(position)
                found.append(outcome if outcome is not None else Outcome(rule.spec, PASSED, label(line)))
        return found

    @property
    def blocked(self) -> list[Outcome]:
        return [outcome for outcome in self.failures if outcome.status == BLOCKED]

    @property
    def warnings(self) -> list[Outcome]:
        return [outcome for outcome in self.failures if outcome.status == WARNED]

    @property
    def decision(self) -> str:
        statuses = self.statuses
        return BLOCKED if BLOCKED in statuses else WARNED if WARNED in statuses else PASSED

    @property
    def rule_versions(self) -> list[int]:
        """The rule versions this evaluation used, each once, for the pipeline's record."""
        used = {rule.spec.version_id for rules, _, _ in self.batches for rule in rules}
        return sorted(version for version in used if version is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "placement": self.placement,
            "decision": self.decision,
            "rule_versions": self.rule_versions,
            "outcomes": [outcome.as_dict() for outcome in self.outcomes],
        }


def label(line: Line) -> str | None:
    if line is None:
        return None
    index, item = line
    return f"primary_quote.lines[{index}]" + (f" ({item['Id']})" if item.get("Id") else "")
