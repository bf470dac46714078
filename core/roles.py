"""The four roles and what each may do, as data.

Roles are Django groups named after :attr:`Role.name`; :func:`governance.services.roles_sync` makes the
groups match this module after every ``migrate``. A permission is an ``"app_label.codename"`` string:
the named capabilities below (defined on :class:`governance.models.Capability`) and, as later areas
arrive, model permissions such as ``"sync.view_fieldmapping"``. README.md shows the same matrix as a table;
``tests/governance/test_roles.py`` keeps the two honest.
"""

from __future__ import annotations

from dataclasses import dataclass

# codename -> what it allows; the permissions exist in the database as governance.<codename>.
CAPABILITIES: dict[str, str] = {
    "view_console": "See the console (every role has this; without it a user sees nothing)",
    "edit_mappings": "Edit field mappings and sync rules",
    "approve_mappings": "Approve mapping and rule changes for release",
    "approve_exceptions": "Approve the resolution of sync exceptions",
    "approve_releases": "Approve releases of configuration to production",
    "manage_connections": "Create and change the Salesforce and NetSuite connections",
    "manage_users": "Create users, assign roles, deactivate users",
    "view_audit": "Read the audit trail and who holds which role",
}


def capability(codename: str) -> str:
    """The full permission name of a capability, for ``user.has_perm``."""
    if codename not in CAPABILITIES:
        raise KeyError(f"unknown capability {codename!r}")
    return f"governance.{codename}"


VIEW_CONSOLE = capability("view_console")
EDIT_MAPPINGS = capability("edit_mappings")
APPROVE_MAPPINGS = capability("approve_mappings")
APPROVE_EXCEPTIONS = capability("approve_exceptions")
APPROVE_RELEASES = capability("approve_releases")
MANAGE_CONNECTIONS = capability("manage_connections")
MANAGE_USERS = capability("manage_users")
VIEW_AUDIT = capability("view_audit")

# Model permissions of other areas that roles hold.
# Every subsidiary's exceptions (sync.exceptions.permissions): Finance is granted it per person or per
# subsidiary.
HANDLE_ALL_EXCEPTIONS = "sync.handle_exceptions"


@dataclass(frozen=True)
class Role:
    name: str
    summary: str
    permissions: frozenset[str]


REVOPS = Role(
    name="RevOps",
    summary="Runs the integration day to day: edits mappings and rules, watches sync and exceptions.",
    permissions=frozenset({VIEW_CONSOLE, EDIT_MAPPINGS, HANDLE_ALL_EXCEPTIONS}),
)
FINANCE = Role(
    name="Finance",
    summary="Owns the books: approves mapping changes, exception resolutions and releases.",
    permissions=frozenset({VIEW_CONSOLE, APPROVE_MAPPINGS, APPROVE_EXCEPTIONS, APPROVE_RELEASES}),
)
ADMIN = Role(
    name="Admin",
    summary="Runs the installation: users and roles, connections; may approve mapping changes.",
    permissions=frozenset(
        {VIEW_CONSOLE, MANAGE_USERS, MANAGE_CONNECTIONS, APPROVE_MAPPINGS, HANDLE_ALL_EXCEPTIONS}
    ),
)
AUDITOR = Role(
    name="Auditor",
    summary="Reads everything, the audit trail included, and changes nothing.",
    permissions=frozenset({VIEW_CONSOLE, VIEW_AUDIT, HANDLE_ALL_EXCEPTIONS}),
)

ROLES: tuple[Role, ...] = (REVOPS, FINANCE, ADMIN, AUDITOR)
ROLES_BY_NAME: dict[str, Role] = {role.name: role for role in ROLES}

# The checker's side of maker-checker: whoever holds one of these approves what others made. Granting a
# role that carries one is flagged in the audit trail (``APPROVING_ROLE_GRANTED``) for review.
APPROVING_PERMISSIONS = frozenset({APPROVE_MAPPINGS, APPROVE_EXCEPTIONS, APPROVE_RELEASES})
APPROVING_ROLES: frozenset[str] = frozenset(
    role.name for role in ROLES if role.permissions & APPROVING_PERMISSIONS
)
