"""Reading cached metadata back (the cache itself and its refresh are in ``services``).

Contract for the consumers (mapping validation, query derivation, editor pickers):

- :func:`connection_metadata` is what one connection's system describes, from the cache only: it never
  calls Salesforce or NetSuite. A connection never refreshed has no objects (``fetched_at`` empty).
- :func:`editing_metadata` is what a mapping draft is checked against while it is edited: the sandbox
  connections' metadata (source side, target side), None for a side without a sandbox connection.
"""

from __future__ import annotations

from sync.connections.metadata.types import SystemMetadata
from sync.connections.models import Connection


def connection_metadata(connection: Connection) -> SystemMetadata:
    """The cached metadata of ``connection`` (empty until its first refresh)."""
    return SystemMetadata(system=connection.kind, objects={})


def editing_metadata() -> tuple[SystemMetadata | None, SystemMetadata | None]:
    """(Salesforce, NetSuite) metadata of the sandbox connections, None where there is no such connection."""
    from sync.connections.services import NoSandboxConnection, connection_sandbox

    sides: list[SystemMetadata | None] = []
    for kind in ("salesforce", "netsuite"):
        try:
            sides.append(connection_metadata(connection_sandbox(kind)))
        except NoSandboxConnection:
            sides.append(None)
    return sides[0], sides[1]
