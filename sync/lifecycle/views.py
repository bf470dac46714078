"""The deal life cycle's page: the sales order lock setting, the orders found locked and the
cancellations of synced deals (/sync/lifecycle/). Writes go through the services, which check the role
again and audit."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.lifecycle.locks import can_change_lock_setting, order_lock_setting, order_lock_setting_set
from sync.lifecycle.models import LockFrom
from sync.lifecycle.selectors import cancellations_visible, order_locks_visible


class LockSettingForm(forms.Form):
    lock_from = forms.ChoiceField(choices=LockFrom.choices, widget=forms.RadioSelect)
    reason = forms.CharField(required=False, max_length=500)


@require_GET
def lifecycle_index(request: ConsoleRequest) -> HttpResponse:
    setting = order_lock_setting()
    context = {
        "area": "sync",
        "setting": setting,
        "form": LockSettingForm(initial={"lock_from": setting.lock_from}),
        "can_change": can_change_lock_setting(request.user),
        "locks": order_locks_visible(user=request.user)[:200],
        "cancellations": cancellations_visible(user=request.user)[:200],
    }
    return render(request, "lifecycle/index.html", context)


@require_POST
def lock_setting_change(request: ConsoleRequest) -> HttpResponse:
    if not can_change_lock_setting(request.user):
        raise PermissionDenied("Changing the order lock needs the RevOps or Finance role.")
    form = LockSettingForm(request.POST)
    if form.is_valid():
        try:
            order_lock_setting_set(
                user=request.user,
                lock_from=form.cleaned_data["lock_from"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, "Order lock saved.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, "Choose when sales orders lock.")
    return redirect("sync:lifecycle")
