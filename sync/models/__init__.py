"""The sync area's models, one module per concern; import them from here."""

from sync.models.connections import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.models.limits import ConcurrencyLease
from sync.models.rules import Rule, RuleStatus, RuleVersion

__all__ = [
    "ConcurrencyLease",
    "Connection",
    "ConnectionAuth",
    "ConnectionEnvironment",
    "ConnectionKind",
    "Rule",
    "RuleStatus",
    "RuleVersion",
]
