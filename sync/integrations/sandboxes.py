"""An integration's sandbox pair: where its releases are tested and what its mapping drafts are checked
against.

An integration names its sandbox connections (``sandbox_salesforce_connection``,
``sandbox_netsuite_connection``). The primary integration also owns the sandbox connections no other
integration names: a single-org install never names any. Another integration's connections are never
used: a version of integration B is checked against B's systems, never against A's org (whose custom
fields differ).

- :func:`checking_connection`: the connection whose cached metadata a draft of the integration is checked
  against and its editor's pickers offer: its sandbox, else its production connection (its own org all
  the same), else None (the check says so).
- :func:`sandbox_connection_ids`: the sandbox-environment connections a release of the integration may be
  tested on: its named sandbox; without one, its own production connection when that is a sandbox
  (test orgs), and for the primary the unnamed sandboxes.
- :func:`reading_sandbox`: the sandbox connection a dry run and a lookup refresh of the integration read:
  the checking connection when it is a sandbox (so a dry run reads the org whose metadata pruned its
  mapping); None when the integration has no sandbox on that side.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.types import SystemMetadata
from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration

KINDS = (ConnectionKind.SALESFORCE, ConnectionKind.NETSUITE)


def _others_named(integration: Integration, kind: str) -> set[int]:
    """The ``kind`` connections other integrations name (production or sandbox), minus ``integration``'s
    own (two integrations may share one NetSuite account)."""
    fields = (f"{kind}_connection_id", f"sandbox_{kind}_connection_id")
    named = {
        pk
        for row in Integration.objects.exclude(pk=integration.pk).values_list(*fields)
        for pk in row
        if pk is not None
    }
    return named - {getattr(integration, field) for field in fields}


def _unnamed_sandboxes(integration: Integration, kind: str) -> QuerySet[Connection]:
    """Sandbox connections of ``kind`` no other integration names (the primary's by default)."""
    found = Connection.objects.filter(kind=kind, environment=ConnectionEnvironment.SANDBOX)
    return found.exclude(pk__in=_others_named(integration, kind)).order_by("name")


def checking_connection(integration: Integration | None, kind: str) -> Connection | None:
    """The connection whose cached metadata ``integration``'s (the primary's when None) drafts on the
    ``kind`` side are checked against: its sandbox, for the primary an unnamed sandbox, else its
    production connection; None when it has none."""
    owner = integration if integration is not None else primary_integration()
    own: Connection | None = getattr(owner, f"sandbox_{kind}_connection")
    if own is None and owner.is_primary:
        own = _unnamed_sandboxes(owner, kind).first()
    if own is None:
        own = getattr(owner, f"{kind}_connection")
    return own


def editing_metadata(
    integration: Integration | None = None,
) -> tuple[SystemMetadata | None, SystemMetadata | None]:
    """(Salesforce, NetSuite) cached metadata ``integration``'s drafts are checked against (see
    :func:`checking_connection`), None for a side without a connection. Cache reads only."""
    salesforce, netsuite = (checking_connection(integration, kind) for kind in KINDS)
    return (
        connection_metadata(salesforce) if salesforce is not None else None,
        connection_metadata(netsuite) if netsuite is not None else None,
    )


def another_integrations_connection(integration: Integration | None, connection: Connection) -> bool:
    """Whether ``connection`` belongs to other integrations only (never read for ``integration``'s
    configuration; the primary's when None)."""
    owner = integration if integration is not None else primary_integration()
    return connection.pk in _others_named(owner, connection.kind)


def sandbox_connection_ids(integration: Integration, kind: str) -> list[int]:
    """The ids of the sandbox connections of ``kind`` a release of ``integration`` may be tested on."""
    sandboxes = Connection.objects.filter(kind=kind, environment=ConnectionEnvironment.SANDBOX)
    own = getattr(integration, f"sandbox_{kind}_connection_id")
    if own is not None:
        return list(sandboxes.filter(pk=own).values_list("pk", flat=True))
    allowed = Q(pk=getattr(integration, f"{kind}_connection_id"))
    if integration.is_primary:
        allowed |= Q(pk__in=_unnamed_sandboxes(integration, kind).values("pk"))
    return list(sandboxes.filter(allowed).values_list("pk", flat=True))


def reading_sandbox(integration: Integration | None, kind: str) -> Connection | None:
    """The sandbox connection of ``kind`` that ``integration``'s (the primary's when None) dry runs and
    dynamic lookup refreshes read: :func:`checking_connection` when it is a sandbox, None otherwise. Never
    another integration's connection, never a production system (a dry run reads the org whose metadata
    pruned its mapping)."""
    found = checking_connection(integration, kind)
    if found is None or found.environment != ConnectionEnvironment.SANDBOX:
        return None
    return found
