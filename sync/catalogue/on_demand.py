"""Syncing the catalogue now, from the console, the API or ``manage.py catalogue_sync``.

A person's request is checked (RevOps or Admin: whoever may put work back into the pipeline), refused
for a pair whose integration's catalogue flow is paused (the default pairs leave such pairs out), audited
with who asked and why, and then queued for a worker (the page and the API) or run at once (the
command). The connection pairs default to those an active Closed Won listener serves, as for the
scheduled run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from sync.catalogue.services import CATALOGUE_FLOW, CatalogueResult, catalogue_sync_run
from sync.connections.models import Connection, ConnectionKind
from sync.integrations.selectors import integration_for_pair
from sync.mappings.services.versions import flow_ensure
from sync.pipeline.flow_state import flow_setting, paused_salesforce_connections
from sync.pipeline.permissions import can_rerun
from sync.pipeline.tasks import served_pairs

TASK = "sync.tasks.catalogue_sync"


def can_sync_catalogue(user: User | AnonymousUser) -> bool:
    """Start a catalogue sync: RevOps and Admin (as for re-running a record)."""
    return can_rerun(user)


@dataclass(frozen=True)
class CatalogueRequest:
    pairs: list[tuple[Connection, Connection]]
    full: bool
    queued: bool  # False: it ran at once (the command), see ``results``
    results: list[CatalogueResult]


def catalogue_sync_request(
    *,
    user: User | None,
    salesforce: Connection | None = None,
    netsuite: Connection | None = None,
    full: bool = False,
    reason: str = "",
    source: str = "console",
    run_now: bool = False,
) -> CatalogueRequest:
    """Sync the catalogue of the pairs now (``full``: every item, not only those changed since the last
    run). ``user`` None is the operator at the terminal. Audited; queued unless ``run_now``."""
    if user is not None and not can_sync_catalogue(user):
        raise PermissionDenied("Syncing the catalogue needs the RevOps or Admin role.")
    pairs = _running(_pairs(salesforce, netsuite))
    with transaction.atomic():
        for sf, ns in pairs:
            flow = flow_ensure(
                key=CATALOGUE_FLOW,
                source="item",
                target_system="salesforce",
                integration=integration_for_pair(sf.pk, ns.pk),
            )
            audit_record(
                obj=flow_setting(flow=flow),
                actor=user,
                action=AuditAction.ACCESS,
                event="catalogue_sync",
                reason=reason,
                source=source,
                full=full,
                salesforce_connection=sf.name,
                netsuite_connection=ns.name,
            )
        if not run_now:
            for sf, ns in pairs:
                transaction.on_commit(partial(_enqueue, sf, ns, full))
    if not run_now:
        return CatalogueRequest(pairs, full, True, [])
    results = [
        catalogue_sync_run(salesforce=sf, netsuite=ns, trigger="manual", full=full) for sf, ns in pairs
    ]
    return CatalogueRequest(pairs, full, False, results)


def _enqueue(salesforce: Connection, netsuite: Connection, full: bool) -> None:
    async_task(
        TASK,
        trigger="manual",
        full=full,
        salesforce_connection_id=salesforce.pk,
        netsuite_connection_id=netsuite.pk,
        task_name=f"catalogue sync {salesforce.name} <- {netsuite.name}",
        group="sync-catalogue",
    )


def _running(pairs: list[tuple[Connection, Connection]]) -> list[tuple[Connection, Connection]]:
    """The pairs whose integration's catalogue flow runs; none left is a refusal naming the paused ones."""
    paused = paused_salesforce_connections(CATALOGUE_FLOW)
    running = [(sf, ns) for sf, ns in pairs if not paused.holds(sf.pk)]
    if not running:
        names = sorted({integration_for_pair(sf.pk, ns.pk).name for sf, ns in pairs})
        raise ValidationError(
            f"{CATALOGUE_FLOW} is paused for integration {', '.join(names)}: resume it first."
        )
    return running


def _pairs(salesforce: Connection | None, netsuite: Connection | None) -> list[tuple[Connection, Connection]]:
    if salesforce is not None and salesforce.kind != ConnectionKind.SALESFORCE:
        raise ValidationError(f"{salesforce.name} is not a Salesforce connection.")
    if netsuite is not None and netsuite.kind != ConnectionKind.NETSUITE:
        raise ValidationError(f"{netsuite.name} is not a NetSuite connection.")
    if salesforce is not None and netsuite is not None:
        return [(salesforce, netsuite)]
    pairs = [
        (sf, ns)
        for sf, ns in served_pairs()
        if (salesforce is None or sf.pk == salesforce.pk) and (netsuite is None or ns.pk == netsuite.pk)
    ]
    if not pairs:
        raise ValidationError(
            "No active Closed Won listener serves these connections: name the Salesforce and the NetSuite "
            "connection."
        )
    return pairs
