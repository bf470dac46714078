"""Who may do what with notifications.

* Channels and the policy: people who manage connections (the Admin role); one limited to some
  integrations sees and edits only those integrations' channels, and creates no all-integration channel.
* Deliveries and events: every console role reads them, scoped to their integrations.
* Preferences: each person their own.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.access import has_role
from core.roles import MANAGE_CONNECTIONS

AnyUser = User | AnonymousUser


def can_manage_notifications(user: AnyUser) -> bool:
    return has_role(user) and user.has_perm(MANAGE_CONNECTIONS)


def can_read_notifications(user: AnyUser) -> bool:
    return has_role(user)
