"""Alerts that are not exceptions (a connection down, then back) for the admins: a console notification
each and one e-mail each, as the exception queue's own notifications are sent.

Connected to the connection watch's port by ``SyncConfig.ready`` (sync/apps.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.fields import field_fit
from core.roles import MANAGE_CONNECTIONS
from sync.connections.watch import ConnectionAlert
from sync.exceptions.escalation import MAIL_SUBJECT_LIMIT
from sync.exceptions.models import Notification


def connection_admins() -> QuerySet[User]:
    """Active users who may manage connections (the Admin role, a direct grant, superusers)."""
    app_label, codename = MANAGE_CONNECTIONS.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    who = Q(is_superuser=True)
    if permission is not None:
        who |= Q(groups__permissions=permission) | Q(user_permissions=permission)
    return User.objects.filter(who, is_active=True).distinct().order_by("pk")


class AdminConnectionAlerts:
    """The connection watch's alerts, to every connection admin."""

    def connection_alert(self, alert: ConnectionAlert) -> None:
        users = list(connection_admins())
        message = field_fit(Notification, "message", alert.text)
        now = timezone.now()
        Notification.objects.bulk_create(
            [Notification(user=user, item=None, message=message, created_at=now) for user in users]
        )
        addresses = [user.email for user in users if user.email]
        if not addresses:
            return
        subject = f"[Concord] {alert.text}"[:MAIL_SUBJECT_LIMIT]
        body = (
            f"{alert.text}\n\nThe connection watch checks every active connection on its schedule "
            "(Schedules page). Open the connection in the console and use Test connection for the details.\n"
        )
        sender = getattr(settings, "DEFAULT_FROM_EMAIL", None)
        # After the commit, and a mail outage must not stop the watch.
        transaction.on_commit(lambda: send_mail(subject, body, sender, addresses, fail_silently=True))
