"""Small builders for rule tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync.rules.engine import Evaluation, RuleSet, RuleSpec, compile_rule
from sync.rules.engine.shipped import shipped_rules, shipped_tables

TODAY = dt.date(2026, 3, 15)


def spec(
    condition: str, *, subject: str = "opportunity", severity: str = "block", key: str = "r"
) -> RuleSpec:
    return RuleSpec(
        key=key,
        name=key,
        subject=subject,
        placement="pre_sale",
        severity=severity,
        message=f"{key} failed",
        condition=condition,
    )


def evaluate(condition: str, record: dict[str, Any], **options: Any) -> Evaluation:
    tables = options.pop("tables", {"t": {"1": "one", "12": "twelve"}})
    rule = compile_rule(spec(condition, subject=options.pop("subject", "opportunity")))
    return RuleSet([rule], tables=tables, budget=options.pop("budget", 200_000)).evaluate(
        record, today=TODAY, **options
    )


def holds(condition: str, record: dict[str, Any] | None = None) -> bool:
    return evaluate(condition, record or {}).decision == "passed"


def shipped_ruleset() -> RuleSet:
    tables = shipped_tables()
    return RuleSet([compile_rule(rule, tables=set(tables)) for rule in shipped_rules()], tables=tables)
