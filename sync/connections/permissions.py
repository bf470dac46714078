"""Who may do what with connections and the listeners that use them.

Every role reads connections (secrets never leave the server) and listeners; only Admin
(``manage_connections``) creates, changes, tests or deactivates a connection, and creates a listener or
rotates its URL, because each of those touches a credential. The pages, the API and the services ask
:func:`can_manage_connections`.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import MANAGE_CONNECTIONS


def can_manage_connections(user: User | AnonymousUser) -> bool:
    """Create, change, test or deactivate a connection; create a listener or rotate its URL."""
    return user.has_perm(MANAGE_CONNECTIONS)
