"""Every model of the sync app, gathered so Django registers them (app_label ``sync``).

Import a model from its feature (``from sync.pipeline.models import SyncJob``), not from here.
"""

from sync.connections.models import (  # noqa: F401
    ApiUsage,
    ConcurrencyLease,
    Connection,
    ConnectionAuth,
    ConnectionEnvironment,
    ConnectionKind,
)
from sync.exceptions.models import (  # noqa: F401
    ACTIVE_STATUSES,
    EscalationLevel,
    ExceptionAction,
    ExceptionCategory,
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    ExceptionStatus,
    Notification,
    OverrideKind,
    OverrideStatus,
    Severity,
    Subsidiary,
    SubsidiaryGroupPermission,
    SubsidiaryUserPermission,
    Ticket,
    TicketAttempt,
    TicketStatus,
)
from sync.golive.models import GoLiveOutcome, GoLiveResult, GoLiveRun, GoLiveStatus  # noqa: F401
from sync.mappings.models import (  # noqa: F401
    DynamicLookupEntry,
    FieldApply,
    FieldMapping,
    Flow,
    FlowGroupPermission,
    FlowUserPermission,
    LookupEntry,
    LookupTable,
    LookupVersion,
    MappingFrozen,
    MappingVersion,
    ObjectMapping,
    ObjectMode,
    ReviewedVersion,
    ValueKind,
    VersionStatus,
)
from sync.matching.models import MatchChoice, MatchResolution  # noqa: F401
from sync.pipeline.models import (  # noqa: F401
    Backfill,
    BackfillStatus,
    CrossReference,
    FailureCategory,
    FieldConflict,
    InboxDrainFlag,
    InboxMessage,
    InboxSource,
    InboxStatus,
    JobStatus,
    Listener,
    ListenerKind,
    PollWatermark,
    RecordStatus,
    ReturnRecord,
    ReturnStatus,
    SyncedFieldValue,
    SyncedInvoice,
    SyncFailure,
    SyncJob,
    SyncRecord,
    SystemName,
    WorkerHeartbeat,
)
from sync.rules.models import Rule, RuleStatus, RuleVersion  # noqa: F401
