"""A Salesforce and NetSuite connection pair that points nowhere, for tests that never call out."""

from __future__ import annotations

from typing import Any

from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind

# A closed loopback port: a call that slips through fails at once instead of reaching anything.
NOWHERE = "https://127.0.0.1:9"


def offline_connection_pair(
    prefix: str, *, base_url: str = NOWHERE, **netsuite: Any
) -> tuple[Connection, Connection]:
    """Sandbox connections ``<prefix>-sf`` and ``<prefix>-ns``; ``netsuite`` sets fields of the second."""
    salesforce = Connection.objects.create(
        name=f"{prefix}-sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url=base_url,
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    netsuite_connection = Connection.objects.create(
        name=f"{prefix}-ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url=base_url,
        auth_method=ConnectionAuth.NS_TOKEN,
        **netsuite,
    )
    return salesforce, netsuite_connection
