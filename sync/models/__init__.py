"""The sync area's models, one module per concern; import them from here."""

from sync.models.connections import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.models.limits import ConcurrencyLease

__all__ = [
    "ConcurrencyLease",
    "Connection",
    "ConnectionAuth",
    "ConnectionEnvironment",
    "ConnectionKind",
]
