"""Business rules in the pipeline: the pre-sale gate (on the opportunity graph, before any NetSuite
write) and the post-sale check (on each NetSuite payload, just before it is sent).

Both evaluate the published rules (:func:`sync.rules.services.rules_evaluate`). A blocking outcome stops
the opportunity's sync: the reason is recorded as a ``rule`` failure on its record, opens an exception,
and is written back to the Opportunity's ``Concord_Sync_Status__c`` / ``Concord_Sync_Message__c``.
Warnings are recorded and the sync goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.mappings.engine import ObjectPayload
from sync.rules.engine.ruleset import Evaluation, RuleSet
from sync.rules.services import rules_evaluate


@dataclass(frozen=True)
class GateOutcome:
    blocked: bool = False
    reason: str = ""
    rule: str = ""  # the rule (and version) that decided, for the failure record
    warnings: tuple[str, ...] = ()
    # What was evaluated, for the record's audit trail (see :func:`evaluation_summary`); None when no
    # published rule applied.
    evaluated: dict[str, Any] | None = None


def evaluation_summary(evaluation: Evaluation) -> dict[str, Any] | None:
    """The rule versions an evaluation ran, its decision and the outcomes that did not pass: small
    enough to keep on every sync record (passing rules are listed by version id only)."""
    versions = evaluation.rule_versions
    if not versions:
        return None
    return {
        "placement": evaluation.placement,
        "subject": evaluation.subject,
        "decision": evaluation.decision,
        "rule_versions": versions,
        "failures": [
            {
                "rule": outcome.rule.key,
                "version_id": outcome.rule.version_id,
                "status": outcome.status,
                "message": outcome.message,
                "item": outcome.item,
            }
            for outcome in evaluation.failures
        ],
    }


def _outcome(evaluation: Evaluation) -> GateOutcome:
    blocked = evaluation.blocked
    warnings = tuple(
        f"{outcome.rule.name}: {outcome.message}" + (f" ({outcome.item})" if outcome.item else "")
        for outcome in evaluation.warnings
    )
    evaluated = evaluation_summary(evaluation)
    if not blocked:
        return GateOutcome(warnings=warnings, evaluated=evaluated)
    first = blocked[0]
    reasons = "; ".join(
        dict.fromkeys(outcome.message + (f" ({outcome.item})" if outcome.item else "") for outcome in blocked)
    )
    return GateOutcome(
        blocked=True,
        reason=reasons,
        rule=f"{first.rule.key}@v{first.rule.version_id}" if first.rule.version_id else first.rule.key,
        warnings=warnings,
        evaluated=evaluated,
    )


def pre_sale_gate(graph: dict[str, Any]) -> GateOutcome:
    """Judge an opportunity graph with the published pre-sale rules, before any NetSuite write."""
    return _outcome(rules_evaluate(placement="pre_sale", subject="opportunity", record=graph))


def post_sale_check(payload: ObjectPayload) -> GateOutcome:
    """Judge one mapped NetSuite payload with the published post-sale rules, just before it is sent."""
    record = {**payload.body, "recordType": payload.target_type}
    return _outcome(rules_evaluate(placement="post_sale", subject="netsuite_payload", record=record))


@dataclass(frozen=True)
class Gates:
    """The gates a run uses; tests give doubles, production uses the module functions."""

    pre_sale: Callable[[dict[str, Any]], GateOutcome] = field(default=pre_sale_gate)
    post_sale: Callable[[ObjectPayload], GateOutcome] = field(default=post_sale_check)


def gates_for(ruleset: RuleSet) -> Gates:
    """Gates that evaluate ``ruleset`` rather than the published rules (a release's test run)."""

    def pre_sale(graph: dict[str, Any]) -> GateOutcome:
        return _outcome(
            rules_evaluate(placement="pre_sale", subject="opportunity", record=graph, ruleset=ruleset)
        )

    def post_sale(payload: ObjectPayload) -> GateOutcome:
        record = {**payload.body, "recordType": payload.target_type}
        return _outcome(
            rules_evaluate(placement="post_sale", subject="netsuite_payload", record=record, ruleset=ruleset)
        )

    return Gates(pre_sale=pre_sale, post_sale=post_sale)
