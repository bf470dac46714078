"""The business rules engine: a small, safe expression language for pre-sale gates and post-sale checks.

Django-free on purpose, like :mod:`sync.mappings.engine`: the models store a rule's text, this package parses,
checks, compiles and evaluates it. Nothing is evaluated with ``eval``/``exec``; parsing is bounded in
length and depth, evaluation in steps. docs/rules-language.md is the reference.

>>> rule = compile_rule(RuleSpec(key="amount", name="Amount set", subject="opportunity",
...     placement="pre_sale", severity="block", message="No amount", condition="Amount > 0"))
>>> RuleSet([rule]).evaluate({"Amount": 0.0}).decision
'blocked'
"""

from sync.rules.engine.errors import BudgetExceeded, RuleCheckError, RuleError, RuleSyntaxError
from sync.rules.engine.ruleset import (
    PLACEMENTS,
    SEVERITIES,
    SUBJECTS,
    CompiledRule,
    Evaluation,
    Outcome,
    RuleSet,
    RuleSpec,
    compile_condition,
    compile_rule,
)

__all__ = [
    "PLACEMENTS",
    "SEVERITIES",
    "SUBJECTS",
    "BudgetExceeded",
    "CompiledRule",
    "Evaluation",
    "Outcome",
    "RuleCheckError",
    "RuleError",
    "RuleSet",
    "RuleSpec",
    "RuleSyntaxError",
    "compile_condition",
    "compile_rule",
]
