"""The sync area's models, one module per concern; import them from here."""

from sync.models.connections import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.models.limits import ConcurrencyLease
from sync.models.mappings import (
    DynamicLookupEntry,
    FieldApply,
    FieldMapping,
    Flow,
    LookupEntry,
    LookupTable,
    MappingFrozen,
    MappingVersion,
    ObjectMapping,
    ObjectMode,
    ValueKind,
    VersionStatus,
)

__all__ = [
    "ConcurrencyLease",
    "Connection",
    "ConnectionAuth",
    "ConnectionEnvironment",
    "ConnectionKind",
    "DynamicLookupEntry",
    "FieldApply",
    "FieldMapping",
    "Flow",
    "LookupEntry",
    "LookupTable",
    "MappingFrozen",
    "MappingVersion",
    "ObjectMapping",
    "ObjectMode",
    "ValueKind",
    "VersionStatus",
]
