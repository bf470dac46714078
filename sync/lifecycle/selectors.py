"""Reads of the deal life cycle's rows for a person: the orders found locked and the cancellations, of the
integrations they may see (:mod:`sync.integrations.access`)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from sync.integrations.access import integration_scope
from sync.lifecycle.models import Cancellation, OrderLock


def order_locks_visible(*, user: User | AnonymousUser) -> QuerySet[OrderLock]:
    """Orders NetSuite has moved on, of ``user``'s integrations' deals."""
    locks = OrderLock.objects.select_related("integration")
    return integration_scope(user).filter(locks, integration="integration")


def cancellations_visible(*, user: User | AnonymousUser) -> QuerySet[Cancellation]:
    """Cancellations of ``user``'s integrations' deals (through the deal's Salesforce org)."""
    found = Cancellation.objects.select_related("approved_by")
    return integration_scope(user).filter(found, salesforce="salesforce_connection")
