"""The business rules engine: a small, safe expression language for pre-sale gates and post-sale checks.

Django-free on purpose, like :mod:`sync.mappings.engine`: the models store a rule's text, this package parses,
checks, compiles and evaluates it. Nothing is evaluated with ``eval``/``exec``; parsing is bounded in
length and depth, evaluation in steps. docs/rules-language.md is the reference.

The language's meaning is written once: the general closures of :mod:`~sync.rules.engine.compiler` over
the value semantics of :mod:`~sync.rules.engine.values`, each aggregate one reducer in
:mod:`~sync.rules.engine.aggregates`. A traced evaluation (``trace="all"``) uses nothing else. To keep
bench/rules.py (50 rules on 10,000 graphs) well under its 2 s goal, four fast paths remain, each used
only when nothing is traced, each proven to decide as the general closures by the property tests in
tests/sync/rules/engine/, each buying (issue 19, bench/RESULTS.md; median CPU 1.40 s with all of them
on a loaded 2-core machine where the code before issue 19 took 1.07 s):
a field read and tested in one call (:mod:`~sync.rules.engine.field_tests`, ~0.5 s, and
present/empty, coalesce, ``in`` and lookup of a field, ~0.4 s together); the float path for
arithmetic ordered against a literal (:mod:`~sync.rules.engine.approx`, ~0.4 s); an aggregate's item
read without a frame (:mod:`~sync.rules.engine.item_closures`, ~0.1 s); and the quote line loop of
:class:`RuleSet` (~0.14 s). Removed in issue 19 as not worth their code: item_loops.py, approx_fused.py
(the fused float shapes), the flat line checks, the fused or-guard, the fused arithmetic, abs and
round, and the min/max/sum-of-a-field and against-outer aggregates.

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
