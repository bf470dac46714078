"""Reads of notifications, each scoped to the person's integrations (``integration_scope``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from sync.integrations.access import integration_scope
from sync.notifications.models import (
    DeliveryStatus,
    NotificationChannel,
    NotificationDelivery,
    NotificationEvent,
    NotificationPreference,
)
from sync.notifications.permissions import AnyUser, can_read_notifications


def channels_visible_to(user: AnyUser) -> QuerySet[NotificationChannel]:
    if not can_read_notifications(user):
        return NotificationChannel.objects.none()
    scope = integration_scope(user)
    channels = NotificationChannel.objects.select_related("integration").order_by("name")
    return channels.filter(integration_id__in=scope.integration_ids) if scope.limited else channels


def channel_get_for_user(user: AnyUser, channel_id: int) -> NotificationChannel:
    found = channels_visible_to(user).filter(pk=channel_id).first()
    if found is None:
        raise Http404("No such notification channel")
    return found


def events_visible_to(user: AnyUser) -> QuerySet[NotificationEvent]:
    if not can_read_notifications(user):
        return NotificationEvent.objects.none()
    scope = integration_scope(user)
    events = NotificationEvent.objects.all()
    if scope.limited:
        visible = NotificationEvent.objects.filter(integrations__in=scope.integration_ids).values("pk")
        events = events.filter(pk__in=visible)
    return events.order_by("-created_at", "-id")


@dataclass(frozen=True)
class DeliveryFilters:
    status: str = ""
    target: str = ""
    channel_id: int | None = None


def deliveries_visible_to(
    user: AnyUser, filters: DeliveryFilters | None = None
) -> QuerySet[NotificationDelivery]:
    """Deliveries of the events ``user`` may see, newest first, with their event and channel."""
    filters = filters or DeliveryFilters()
    found = NotificationDelivery.objects.filter(event__in=events_visible_to(user).values("pk"))
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.target:
        found = found.filter(target=filters.target)
    if filters.channel_id:
        found = found.filter(channel_id=filters.channel_id)
    return found.select_related("event", "channel", "user").order_by("-created_at", "-id")


def delivery_get_for_user(user: AnyUser, delivery_id: int) -> NotificationDelivery:
    found = deliveries_visible_to(user).filter(pk=delivery_id).first()
    if found is None:
        raise Http404("No such delivery")
    return found


def deliveries_failing_count(user: AnyUser) -> int:
    return (
        deliveries_visible_to(user)
        .filter(Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gt=0))
        .count()
    )


def preferences_of(user: AnyUser) -> QuerySet[NotificationPreference]:
    if not user.is_authenticated:
        return NotificationPreference.objects.none()
    return NotificationPreference.objects.filter(user_id=user.pk).select_related("integration")
