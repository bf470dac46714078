"""Business-rule seams: the pre-sale gate (on the opportunity graph, before any NetSuite write) and the
post-sale check (on each NetSuite payload, just before it is sent).

Both pass everything today. The rules engine (issue 7) replaces :func:`pre_sale_gate` and
:func:`post_sale_check` at merge; the pipeline already honours a blocking outcome: the opportunity's sync
stops, the reason is recorded as a ``rule`` failure on its record and written back to the Opportunity's
``Concord_Sync_Status__c`` / ``Concord_Sync_Message__c``. Warnings are recorded and the sync goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.mapping import ObjectPayload


@dataclass(frozen=True)
class GateOutcome:
    blocked: bool = False
    reason: str = ""
    rule: str = ""  # the rule (and version) that decided, for the failure record
    warnings: tuple[str, ...] = ()


PASS = GateOutcome()


def pre_sale_gate(graph: dict[str, Any]) -> GateOutcome:
    """Judge an opportunity graph before anything is written to NetSuite (passes everything for now)."""
    return PASS


def post_sale_check(payload: ObjectPayload) -> GateOutcome:
    """Judge one mapped NetSuite payload before it is sent (passes everything for now)."""
    return PASS


@dataclass(frozen=True)
class Gates:
    """The gates a run uses; tests give doubles, production uses the module functions."""

    pre_sale: Callable[[dict[str, Any]], GateOutcome] = field(default=pre_sale_gate)
    post_sale: Callable[[ObjectPayload], GateOutcome] = field(default=post_sale_check)
