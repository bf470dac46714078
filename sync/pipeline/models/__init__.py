"""The models of pipeline; import them from here."""

from sync.pipeline.models.backfills import Backfill, BackfillStatus
from sync.pipeline.models.flows import DEFAULT_CHECKBOX_FIELD, FlowSetting, TriggerKind
from sync.pipeline.models.inbound import (
    InboxDrainFlag,
    InboxMessage,
    InboxSource,
    InboxStatus,
    Listener,
    ListenerKind,
)
from sync.pipeline.models.jobs import (
    MESSAGE_LIMIT,
    CrossReference,
    FailureCategory,
    JobStatus,
    PollWatermark,
    RecordStatus,
    ReturnRecord,
    ReturnStatus,
    SyncFailure,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.models.milestones import DealMilestone
from sync.pipeline.models.operations import SyncedInvoice, WorkerHeartbeat
from sync.pipeline.models.ownership import FieldConflict, SyncedFieldValue, SystemName

__all__ = [
    "DEFAULT_CHECKBOX_FIELD",
    "MESSAGE_LIMIT",
    "Backfill",
    "BackfillStatus",
    "CrossReference",
    "DealMilestone",
    "FailureCategory",
    "FieldConflict",
    "FlowSetting",
    "InboxDrainFlag",
    "InboxMessage",
    "InboxSource",
    "InboxStatus",
    "JobStatus",
    "Listener",
    "ListenerKind",
    "PollWatermark",
    "RecordStatus",
    "ReturnRecord",
    "ReturnStatus",
    "SyncFailure",
    "SyncJob",
    "SyncRecord",
    "SyncedFieldValue",
    "SyncedInvoice",
    "SystemName",
    "TriggerKind",
    "WorkerHeartbeat",
]
