"""Who may do what with connections and the listeners that use them.

Every role reads connections (secrets never leave the server) and listeners; only Admin
(``manage_connections``) creates, changes, tests or deactivates a connection, and creates a listener or
rotates its URL, because each of those touches a credential. The pages, the API and the services ask
:func:`can_manage_connections`.

Refreshing a connection's cached metadata (:func:`can_refresh_metadata`) is open to admins and to whoever
edits mappings (RevOps): it only reads describe / the metadata catalog with the stored credentials, never
shows or changes one, and RevOps need it the moment someone adds a custom field they are to map.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import EDIT_MAPPINGS, MANAGE_CONNECTIONS


def can_manage_connections(user: User | AnonymousUser) -> bool:
    """Create, change, test or deactivate a connection; create a listener or rotate its URL."""
    return user.has_perm(MANAGE_CONNECTIONS)


def can_refresh_metadata(user: User | AnonymousUser) -> bool:
    """Read a connection's metadata again from its system (admins, and RevOps who map the fields)."""
    return user.has_perm(MANAGE_CONNECTIONS) or user.has_perm(EDIT_MAPPINGS)
