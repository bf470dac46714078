"""The models of connections; import them from here."""

from sync.connections.models.connections import (
    Connection,
    ConnectionAuth,
    ConnectionEnvironment,
    ConnectionKind,
)
from sync.connections.models.limits import ConcurrencyLease

__all__ = ["ConcurrencyLease", "Connection", "ConnectionAuth", "ConnectionEnvironment", "ConnectionKind"]
