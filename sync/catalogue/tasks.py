"""The catalogue's django-q2 entry point, queued and scheduled as ``sync.tasks.catalogue_sync``.

Thin: it finds the pairs and calls :func:`sync.catalogue.services.catalogue_sync_run`, which writes only
what Salesforce lacks, so a task delivered twice (or re-created after a lost one) does no harm. The pause is
each integration's own: a pair whose integration's catalogue flow is paused is skipped, the other pairs
run; the skipped pair's next run after the resume catches up from its watermark.
"""

from __future__ import annotations

from core.correlation import correlation
from sync.catalogue.services import CATALOGUE_FLOW, catalogue_sync_run
from sync.connections.models import Connection
from sync.pipeline.flow_state import paused_salesforce_connections
from sync.pipeline.tasks import served_pairs


def catalogue_sync(
    trigger: str = "schedule",
    full: bool = False,
    salesforce_connection_id: int | None = None,
    netsuite_connection_id: int | None = None,
) -> int:
    """Sync the catalogue of one pair (both ids given) or of every served pair, but those whose
    integration's catalogue flow is paused; returns records written."""
    paused = paused_salesforce_connections(CATALOGUE_FLOW)
    if paused.everywhere:
        return 0
    if salesforce_connection_id is not None and netsuite_connection_id is not None:
        pairs = [
            (
                Connection.objects.get(pk=salesforce_connection_id),
                Connection.objects.get(pk=netsuite_connection_id),
            )
        ]
    else:
        pairs = served_pairs()
    with correlation():
        return sum(
            catalogue_sync_run(salesforce=sf, netsuite=ns, trigger=trigger, full=full).written
            for sf, ns in pairs
            if not paused.holds(sf.pk)
        )
