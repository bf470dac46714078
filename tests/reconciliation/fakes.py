"""An in-memory check and exception-queue double for the service tests (no simulators needed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciliation import checks, exceptions
from reconciliation.checks import Check
from reconciliation.engine import FieldSpec
from reconciliation.engine.sorting import Pair
from reconciliation.reading import Sources


@dataclass
class Sides:
    """What each side holds; tests change it between runs. ``during`` runs after each NetSuite record."""

    salesforce: list[Pair] = field(default_factory=list)
    netsuite: list[Pair] = field(default_factory=list)
    during: Callable[[], None] | None = None
    fail: Exception | None = None


def install_check(monkeypatch: pytest.MonkeyPatch, sides: Sides, name: str = "fake") -> Check:
    def read_salesforce(sources: Sources) -> Iterator[Pair]:
        yield from sides.salesforce

    def read_netsuite(sources: Sources) -> Iterator[Pair]:
        for pair in sides.netsuite:
            yield pair
            if sides.during:
                sides.during()
        if sides.fail:
            raise sides.fail

    check = Check(
        name=name,
        title="A fake check",
        description="In-memory sides.",
        fields=(FieldSpec("name", "text"), FieldSpec("amount", "number", 0.01)),
        read_salesforce=read_salesforce,
        read_netsuite=read_netsuite,
    )
    monkeypatch.setitem(checks.CHECKS, name, check)
    return check


def no_sources(integration: object = None) -> Sources:
    del integration  # every integration reads the same in-memory sides
    return Sources(salesforce=None, netsuite=None, lookups={})  # type: ignore[arg-type]


@dataclass
class ExceptionQueueDouble:
    opened: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> ExceptionQueueDouble:
        def open_(**kwargs: Any) -> str:
            self.opened.append(kwargs)
            return f"EXC-{kwargs['dedup_key']}"

        def resolve(**kwargs: Any) -> None:
            self.resolved.append(kwargs)

        monkeypatch.setattr(exceptions, "mismatch_exception_open", open_)
        monkeypatch.setattr(exceptions, "mismatch_exception_resolve", resolve)
        return self
