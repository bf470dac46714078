"""The flows page: each flow's state, trigger, events waiting and last run; pause, resume, set the
Closed Won flow's trigger, and push one opportunity now. The services (:mod:`sync.pipeline.flows`) check
the role again and audit; the page only shows the buttons a person may use."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.integrations.choice import PARAMETER, integration_chosen, integrations_visible
from sync.integrations.models import Integration
from sync.mappings.models import Flow
from sync.pipeline import flows
from sync.pipeline.flow_state import CLOSED_WON_FLOW
from sync.pipeline.forms import FlowTriggerForm, PushForm
from sync.pipeline.permissions import can_operate_flow, can_push
from sync.pipeline.triggers import Trigger


def _integration(request: HttpRequest) -> Integration:
    """The integration whose flows the page operates: ``?integration=<name>`` (or the form's field), the
    primary integration when none; 404 outside the person's scope."""
    return integration_chosen(request.user, request.GET.get(PARAMETER) or request.POST.get(PARAMETER))


def _flow_or_404(request: HttpRequest, key: str) -> Flow:
    try:
        return flows.flow_get(key=key, integration=_integration(request))
    except ValidationError:
        raise Http404(f"no flow {key}") from None


def _back(flow: Flow) -> HttpResponse:
    url = reverse("sync:flows")
    if flow.integration.is_primary:
        return redirect(url)
    return redirect(f"{url}?{urlencode({PARAMETER: flow.integration.name})}")


def _page(
    request: HttpRequest,
    *,
    trigger_form: FlowTriggerForm | None = None,
    push_form: PushForm | None = None,
    status: int = 200,
) -> HttpResponse:
    integration = _integration(request)
    states = flows.flow_states(integration)
    closed_won = next((state for state in states if state.is_closed_won), None)
    if trigger_form is None and closed_won is not None:
        setting = closed_won.setting
        trigger_form = FlowTriggerForm(
            initial={
                "trigger": setting.trigger,
                "checkbox_field": setting.checkbox_field,
                "condition": setting.condition,
            }
        )
    rows = [(state, can_operate_flow(request.user, state.flow)) for state in states]
    context = {
        "area": "sync",
        "integration": integration,
        "integrations": integrations_visible(request.user),
        "rows": rows,
        "closed_won": closed_won,
        "can_set_trigger": closed_won is not None and can_operate_flow(request.user, closed_won.flow),
        "trigger_form": trigger_form,
        "push_form": push_form
        or PushForm(initial={"opportunity_id": request.GET.get("opportunity", "")}, user=request.user),
        "can_push": can_push(request.user),
    }
    return render(request, "pipeline/flows.html", context, status=status)


@require_GET
def flow_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
def flow_pause_view(request: ConsoleRequest, flow_key: str) -> HttpResponse:
    return _operate(request, flow_key, flows.flow_pause, "paused: its events wait until it is resumed.")


@require_POST
def flow_resume_view(request: ConsoleRequest, flow_key: str) -> HttpResponse:
    return _operate(request, flow_key, flows.flow_resume, "resumed: what waited is being processed.")


def _operate(
    request: ConsoleRequest, flow_key: str, service: Callable[..., object], done: str
) -> HttpResponse:
    """Pause or resume (``service``) the flow for someone who may operate it; say how it went."""
    flow = _flow_or_404(request, flow_key)
    if not can_operate_flow(request.user, flow):
        raise PermissionDenied
    try:
        service(flow=flow, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{flow.key} {done}")
    return _back(flow)


@require_POST
def flow_trigger_view(request: ConsoleRequest, flow_key: str) -> HttpResponse:
    flow = _flow_or_404(request, flow_key)
    if not can_operate_flow(request.user, flow):
        raise PermissionDenied
    form = FlowTriggerForm(request.POST)
    if not form.is_valid():
        return _page(request, trigger_form=form, status=400)
    data = form.cleaned_data
    try:
        setting = flows.flow_trigger_set(
            flow=flow,
            user=request.user,
            trigger=Trigger(data["trigger"], data["checkbox_field"], data["condition"]),
            reason=data["reason"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(request, trigger_form=form, status=400)
    messages.success(request, f"Trigger saved: {setting.get_trigger_display()}.")
    return _back(flow)


@require_POST
def push_view(request: ConsoleRequest) -> HttpResponse:
    if not can_push(request.user):
        raise PermissionDenied
    form = PushForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, push_form=form, status=400)
    data = form.cleaned_data
    try:
        pushed = flows.sync_push(
            opportunity_id=data["opportunity_id"],
            user=request.user,
            salesforce=data["salesforce"],
            netsuite=data["netsuite"],
            reason=data["reason"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(request, push_form=form, status=400)
    waiting = f" It waits: {CLOSED_WON_FLOW} is paused." if pushed.paused else ""
    messages.success(request, f"Opportunity {pushed.message.record_id} queued to sync now.{waiting}")
    return redirect("sync:trace", opportunity_id=pushed.message.record_id)
