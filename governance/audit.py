"""Which models the audit trail follows.

Every model a person can change is registered here or in its own app's ``ready()``. Secrets (and any
field holding one, e.g. an :class:`governance.secrets.EncryptedTextField`) go in ``exclude_fields``:
``mask_fields`` would still keep half of the value.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from guardian.models import GroupObjectPermission, UserObjectPermission

# Models of the local apps that no person changes, each with the reason. Every other model must be
# registered (tests/governance/test_audit.py checks).
NOT_CHANGED_BY_PEOPLE: dict[str, str] = {
    "governance.AuditEntry": "the audit trail itself",
    "governance.Capability": "an anchor for permissions; it has no rows",
    "sync.ConcurrencyLease": "limiter slots claimed and released by workers",
}


def register_audited_models() -> None:
    # last_login changes on every login; the login itself is recorded as an access event instead.
    auditlog.register(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(Group, m2m_fields={"permissions"})
    auditlog.register(UserObjectPermission)
    auditlog.register(GroupObjectPermission)

    from sync.models import Connection, Rule, RuleVersion

    # Secrets are excluded outright (their names and secrets_changed_at show that they changed); test
    # results are written by the connection test, not by a person.
    auditlog.register(
        Connection,
        exclude_fields=["secrets", "last_tested_at", "last_test_ok", "last_test_message", "updated_at"],
    )
    # Status changes (submit, approve, publish, send back) are written by the rules services as one
    # explicit entry each, with the reason; auditlog records the edits of a draft.
    auditlog.register(Rule)
    auditlog.register(RuleVersion, exclude_fields=["updated_at"])
