"""The sync area's models, one module per concern; import them from here."""

from sync.models.connections import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.models.inbound import InboxMessage, InboxSource, InboxStatus, Listener, ListenerKind
from sync.models.jobs import (
    CrossReference,
    FailureCategory,
    JobStatus,
    PollWatermark,
    RecordStatus,
    SyncFailure,
    SyncJob,
    SyncRecord,
)
from sync.models.limits import ConcurrencyLease

__all__ = [
    "ConcurrencyLease",
    "Connection",
    "ConnectionAuth",
    "ConnectionEnvironment",
    "ConnectionKind",
    "CrossReference",
    "FailureCategory",
    "InboxMessage",
    "InboxSource",
    "InboxStatus",
    "JobStatus",
    "Listener",
    "ListenerKind",
    "PollWatermark",
    "RecordStatus",
    "SyncFailure",
    "SyncJob",
    "SyncRecord",
]
