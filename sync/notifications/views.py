"""The notification pages: settings (channels, policy, one's own preferences) and deliveries.

Every role reads them (scoped to their integrations); admins change channels and the policy; each person
their own preferences. The views only parse and call the services (which check permissions again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import predicate_required
from core.http import ConsoleRequest
from sync.integrations.access import integration_scope
from sync.notifications import selectors, services
from sync.notifications.events import notification_policy
from sync.notifications.forms import ChannelForm, PolicyForm, PreferenceForm, ResendForm
from sync.notifications.models import ChannelKind, DeliveryStatus, EventKind
from sync.notifications.permissions import can_manage_notifications

PAGE_SIZE = 50


def _errors(form: forms.Form) -> str:
    parts = []
    for field, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        label = (form.fields[field].label or field) if field in form.fields else ""
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def _integrations(request: ConsoleRequest) -> Any:
    return integration_scope(request.user).integrations().order_by("name")


@require_GET
def notification_settings(request: ConsoleRequest) -> HttpResponse:
    return _settings_page(request)


def _settings_page(
    request: ConsoleRequest, *, channel_form: ChannelForm | None = None, status: int = 200
) -> HttpResponse:
    """The settings page; a rejected channel form comes back filled in (but for the URL), with a 400."""
    policy = notification_policy()
    preferences = {(p.event, p.integration_id): p for p in selectors.preferences_of(request.user)}
    context: dict[str, Any] = {
        "area": "exceptions",
        "channels": selectors.channels_visible_to(request.user),
        "can_manage": can_manage_notifications(request.user),
        "policy": policy,
        "policy_form": PolicyForm(initial={name: getattr(policy, name) for name in services.POLICY_FIELDS}),
        "channel_form": channel_form or ChannelForm(integrations=_integrations(request)),
        "preference_form": PreferenceForm(integrations=_integrations(request)),
        "preferences": sorted(
            preferences.values(), key=lambda p: (p.event, p.integration.name if p.integration else "")
        ),
        "event_kinds": EventKind.choices,
    }
    return render(request, "notifications/settings.html", context, status=status)


@require_POST
@predicate_required(can_manage_notifications)
def notification_channel_create(request: ConsoleRequest) -> HttpResponse:
    form = ChannelForm(request.POST, integrations=_integrations(request))
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        data = form.cleaned_data
        channel = services.channel_create(
            user=request.user,
            name=data["name"],
            kind=data["kind"],
            events=data["events"],
            webhook_url=data["webhook_url"],
            email_to=data["email_to"],
            integration=data["integration"],
        )
        messages.success(request, f"Channel {channel.name} added.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _settings_page(request, channel_form=form, status=400)
    return redirect("sync:notification-settings")


@require_http_methods(["GET", "POST"])
@predicate_required(can_manage_notifications)
def notification_channel(request: ConsoleRequest, channel_id: int) -> HttpResponse:
    """A channel's page: GET shows the form, POST saves it."""
    channel = selectors.channel_get_for_user(request.user, channel_id)
    initial = {
        "name": channel.name,
        "kind": channel.kind,
        "email_to": channel.email_to,
        "integration": channel.integration,
        "events": channel.events,
        "is_active": channel.is_active,
    }
    form = ChannelForm(initial=initial, integrations=_integrations(request))
    status = 200
    if request.method == "POST":
        form = ChannelForm(request.POST, integrations=_integrations(request))
        try:
            if not form.is_valid():
                raise ValidationError(_errors(form))
            data = form.cleaned_data
            services.channel_update(
                user=request.user,
                channel=channel,
                name=data["name"],
                events=data["events"],
                webhook_url=data["webhook_url"],
                email_to=data["email_to"] if channel.kind == ChannelKind.EMAIL else None,
                is_active=data["is_active"],
                integration=data["integration"],
            )
            messages.success(request, f"Channel {channel.name} saved.")
            return redirect("sync:notification-settings")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    context = {"area": "exceptions", "channel": channel, "form": form}
    return render(request, "notifications/channel.html", context, status=status)


@require_POST
@predicate_required(can_manage_notifications)
def notification_channel_test(request: ConsoleRequest, channel_id: int) -> HttpResponse:
    channel = selectors.channel_get_for_user(request.user, channel_id)
    result = services.channel_test(user=request.user, channel=channel)
    (messages.success if result.ok else messages.error)(request, f"{channel.name}: {result.message}")
    return redirect("sync:notification-settings")


@require_POST
@predicate_required(can_manage_notifications)
def notification_channel_delete(request: ConsoleRequest, channel_id: int) -> HttpResponse:
    channel = selectors.channel_get_for_user(request.user, channel_id)
    services.channel_delete(user=request.user, channel=channel)
    messages.success(request, f"Channel {channel.name} removed.")
    return redirect("sync:notification-settings")


@require_POST
@predicate_required(can_manage_notifications)
def notification_policy_update(request: ConsoleRequest) -> HttpResponse:
    form = PolicyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        services.policy_set(user=request.user, **form.cleaned_data)
        messages.success(request, "Notification policy saved.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sync:notification-settings")


@require_POST
def notification_preference(request: ConsoleRequest) -> HttpResponse:
    """Set one of the signed-in person's own preferences (or reset it with ``reset``)."""
    form = PreferenceForm(request.POST, integrations=_integrations(request))
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        data = form.cleaned_data
        if request.POST.get("reset"):
            found = selectors.preferences_of(request.user).filter(
                event=data["event"], integration=data["integration"]
            )
            for preference in found:
                services.preference_reset(user=request.user, preference=preference)
            messages.success(request, "Back to your role's default.")
        else:
            services.preference_set(
                user=request.user,
                event=data["event"],
                integration=data["integration"],
                console=data["console"],
                email=data["email"],
            )
            messages.success(request, "Your notification preference is saved.")
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    return redirect("sync:notification-settings")


@require_GET
def notification_deliveries(request: ConsoleRequest) -> HttpResponse:
    """Every delivery the person may see, newest first, filtered by status and target; keyset paging."""
    filters = selectors.DeliveryFilters(
        status=request.GET.get("status", "") if request.GET.get("status") in DeliveryStatus.values else "",
        target=request.GET.get("target", "") if request.GET.get("target") in ChannelKind.values else "",
    )
    deliveries = selectors.deliveries_visible_to(request.user, filters)
    before = request.GET.get("before", "")
    if before.isdigit():
        deliveries = deliveries.filter(pk__lt=int(before))
    rows = list(deliveries[: PAGE_SIZE + 1])
    context = {
        "area": "exceptions",
        "deliveries": rows[:PAGE_SIZE],
        "older": rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None,
        "filters": filters,
        "statuses": DeliveryStatus.choices,
        "targets": ChannelKind.choices,
        "events": selectors.events_visible_to(request.user).prefetch_related("deliveries")[:20],
        "can_manage": can_manage_notifications(request.user),
    }
    return render(request, "notifications/deliveries.html", context)


@require_POST
@predicate_required(can_manage_notifications)
def notification_delivery_resend(request: ConsoleRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get_for_user(request.user, delivery_id)
    form = ResendForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.delivery_resend(user=request.user, delivery=delivery, reason=reason)
        messages.success(request, f"Delivery {delivery.pk} will be sent again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sync:notification-deliveries")
