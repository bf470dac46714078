"""A field test guarding an ``or`` decides exactly as the general closures do (``trace="all"`` uses none of
the fast paths), for values of every kind. Until issue 19 the guard and the ``or`` were fused in one
closure (field_tests.py::or_guard, removed); the cases now prove the field tests of
sync/rules/engine/field_tests.py joined by the general ``or``."""

from __future__ import annotations

from typing import Any

import pytest

from sync.rules.engine import RuleSet, compile_rule
from tests.sync.rules.engine.helpers import TODAY, spec

VALUES: list[Any] = [None, "", "x", "sub", 0.0, 1.0, 1, True, False, [], [1], {}, {"records": []}]
GUARDS = [
    "present(n)",
    "empty(n)",
    "present(a.b)",
    "empty(a.b)",
    "n == 'x'",
    "n != 'x'",
    "a.b == 'sub'",
    "a.b != 'sub'",
    "n == true",
    "n != true",
    "a.b == false",
    "n == null",
    "a.b != null",
]


@pytest.mark.parametrize("guard", GUARDS)
@pytest.mark.parametrize("otherwise", ["m > 0", "false", "present(m)"])
def test_it_decides_like_the_general_closures(guard: str, otherwise: str) -> None:
    ruleset = RuleSet([compile_rule(spec(f"{guard} or {otherwise}"))])
    seen = set()
    for value in VALUES:
        for m in (1.0, -1.0, None):
            for record in ({"n": value, "a": {"b": value}, "m": m}, {"n": value, "a": value, "m": m}, {}):
                fast = ruleset.evaluate(record, today=TODAY, trace="none").decision
                assert fast == ruleset.evaluate(record, today=TODAY, trace="all").decision, record
                seen.add(fast)
    assert seen == {"passed", "blocked"}
