"""The sync area's models, one module per concern; import them from here."""

from sync.models.connections import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.models.exceptions import (
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
from sync.models.limits import ConcurrencyLease
from sync.models.subsidiaries import Subsidiary, SubsidiaryGroupPermission, SubsidiaryUserPermission
from sync.models.tickets import Notification, Ticket, TicketAttempt, TicketStatus

__all__ = [
    "ACTIVE_STATUSES",
    "ConcurrencyLease",
    "Connection",
    "ConnectionAuth",
    "ConnectionEnvironment",
    "ConnectionKind",
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
