"""The models of connections; import them from here."""

from sync.connections.models.connections import (
    Connection,
    ConnectionAuth,
    ConnectionEnvironment,
    ConnectionKind,
)
from sync.connections.models.health import ConnectionHealth, HealthState
from sync.connections.models.limits import ConcurrencyLease
from sync.connections.models.metadata import ConnectionMetadata, MetadataObject
from sync.connections.models.usage import ApiUsage

__all__ = [
    "ApiUsage",
    "ConcurrencyLease",
    "Connection",
    "ConnectionAuth",
    "ConnectionEnvironment",
    "ConnectionHealth",
    "ConnectionKind",
    "ConnectionMetadata",
    "HealthState",
    "MetadataObject",
]
