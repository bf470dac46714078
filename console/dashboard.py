"""Which panels the home dashboard shows to whom, in what order, and the figures each panel needs.

Each role opens on what it answers for: Finance on money (DSO, quote to cash, overdue exceptions,
reconciliation), RevOps on the pipeline (volume and success per flow, rule blocks, queue, exceptions),
Admin on the installation (health, the connection watch, NetSuite concurrency, Salesforce API usage,
queue), the Auditor on a read-only mix. A person with several roles sees the union, in the order of their
first role. Each panel is also an HTMX fragment of its own, polled every ``DASHBOARD_POLL_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console import health
from console import selectors as figures
from core.roles import ADMIN, AUDITOR, FINANCE, REVOPS, ROLES
from governance.selectors import user_role_names
from reconciliation.selectors import money_per_currency
from sync.connections.models import Connection
from sync.connections.selectors import connection_health_summary
from sync.exceptions.permissions import AnyUser
from sync.integrations.access import IntegrationScope


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    # (the person, the integrations shown: theirs, or the one the filter chose; now) -> the figures
    figures: Callable[[AnyUser, IntegrationScope, dt.datetime], dict[str, Any]]

    @property
    def template(self) -> str:
        return f"console/partials/panel_{self.name}.html"


PANELS: dict[str, Panel] = {
    panel.name: panel
    for panel in (
        Panel(
            "volume",
            "Sync volume and success",
            lambda user, scope, now: {"volume": figures.sync_volume(now=now, scope=scope)},
        ),
        Panel(
            "exceptions",
            "Exceptions",
            lambda user, scope, now: {
                "rate": figures.exception_rate(user=user, now=now, scope=scope),
                "ages": figures.open_exceptions_by_age(user=user, now=now, scope=scope),
            },
        ),
        Panel(
            "queue",
            "Queue depth and lag",
            lambda user, scope, now: {"queue": figures.queue_figures(now=now, scope=scope)},
        ),
        Panel(
            "q2c",
            "Quote to cash",
            lambda user, scope, now: {"q2c": figures.quote_to_cash_recent(now=now, scope=scope)},
        ),
        Panel(
            "dso",
            "Days sales outstanding",
            lambda user, scope, now: {"dso": figures.days_sales_outstanding(today=now.date(), scope=scope)},
        ),
        Panel(
            "reconciliation",
            "Last reconciliation",
            lambda user, scope, now: {"checks": figures.last_reconciliations(scope=scope)},
        ),
        Panel(
            "currencies",
            "Money per currency",
            lambda user, scope, now: {
                "money": money_per_currency(user=user),
                "exceptions_by_currency": figures.open_exceptions_by_currency(user=user),
            },
        ),
        Panel("health", "Health", lambda user, scope, now: {"health": health.health_check(now=now)}),
        Panel(
            "connections",
            "Connections",
            lambda user, scope, now: {
                "connections": connection_health_summary(
                    connections=scope.filter(Connection.objects.all(), connection="pk")
                )
            },
        ),
        Panel(
            "limits",
            "Vendor limits",
            lambda user, scope, now: {
                "concurrency": figures.netsuite_concurrency(scope=scope),
                "api_usage": figures.salesforce_api_usage(scope=scope),
            },
        ),
    )
}

ROLE_PANELS: dict[str, tuple[str, ...]] = {
    FINANCE.name: ("dso", "exceptions", "reconciliation", "q2c", "currencies"),
    REVOPS.name: ("volume", "exceptions", "queue", "reconciliation"),
    ADMIN.name: ("health", "connections", "limits", "queue", "volume"),
    AUDITOR.name: ("volume", "exceptions", "reconciliation", "dso", "q2c", "currencies"),
}


def panels_for(*, user: AnyUser) -> list[Panel]:
    """The panels ``user``'s roles open on, without repeats; none for a user without a role."""
    held = set(user_role_names(user=user))
    names: list[str] = []
    for role in ROLES:
        if role.name in held:
            names.extend(name for name in ROLE_PANELS[role.name] if name not in names)
    return [PANELS[name] for name in names]


def panel_for(*, user: AnyUser, name: str) -> Panel | None:
    return next((panel for panel in panels_for(user=user) if panel.name == name), None)
