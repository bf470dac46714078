"""The models of exceptions; import them from here."""

from sync.exceptions.models.exceptions import (
    ACTIVE_STATUSES,
    EscalationLevel,
    ExceptionAction,
    ExceptionCategory,
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    ExceptionStatus,
    OverrideKind,
    OverrideStatus,
    Severity,
)
from sync.exceptions.models.organise import ExceptionRetry, ExceptionTag, ExceptionTagging, RetryStatus
from sync.exceptions.models.subsidiaries import (
    NetSuiteListKind,
    NetSuiteListValue,
    Subsidiary,
    SubsidiaryGroupPermission,
    SubsidiaryUserPermission,
)
from sync.exceptions.models.tickets import (
    Notification,
    Ticket,
    TicketAttempt,
    TicketEndpoint,
    TicketStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "EscalationLevel",
    "ExceptionAction",
    "ExceptionCategory",
    "ExceptionEvent",
    "ExceptionItem",
    "ExceptionOverride",
    "ExceptionRetry",
    "ExceptionStatus",
    "ExceptionTag",
    "ExceptionTagging",
    "NetSuiteListKind",
    "NetSuiteListValue",
    "Notification",
    "OverrideKind",
    "OverrideStatus",
    "RetryStatus",
    "Severity",
    "Subsidiary",
    "SubsidiaryGroupPermission",
    "SubsidiaryUserPermission",
    "Ticket",
    "TicketAttempt",
    "TicketEndpoint",
    "TicketStatus",
]
