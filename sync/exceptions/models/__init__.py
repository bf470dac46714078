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
from sync.exceptions.models.subsidiaries import (
    Subsidiary,
    SubsidiaryGroupPermission,
    SubsidiaryUserPermission,
)
from sync.exceptions.models.tickets import Notification, Ticket, TicketAttempt, TicketStatus

__all__ = [
    "ACTIVE_STATUSES",
    "EscalationLevel",
    "ExceptionAction",
    "ExceptionCategory",
    "ExceptionEvent",
    "ExceptionItem",
    "ExceptionOverride",
    "ExceptionStatus",
    "Notification",
    "OverrideKind",
    "OverrideStatus",
    "Severity",
    "Subsidiary",
    "SubsidiaryGroupPermission",
    "SubsidiaryUserPermission",
    "Ticket",
    "TicketAttempt",
    "TicketStatus",
]
