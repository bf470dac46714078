"""Flows, versions, transitions, diff, import and export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sync.integrations.choice import integrations_visible
from sync.mappings.chains import chain_editor
from sync.mappings.engine import MappingValidationError
from sync.mappings.forms import FieldRowForm, ImportForm, ReasonForm
from sync.mappings.models import MappingVersion
from sync.mappings.permissions import (
    can_approve_mappings,
    can_edit_mappings,
    flow_edit_allowed,
    flows_editable_by,
)
from sync.mappings.presentation import lookup_table_titles
from sync.mappings.selectors import flows_with_versions, version_diff, version_rows
from sync.mappings.services import versions as services
from sync.mappings.services.seed import mapping_shipped_install
from sync.mappings.services.specs import spec_all_problems, version_spec
from sync.mappings.views.access import (
    console_integration,
    flow_or_404,
    require_flow_editor,
    to_index,
    version_or_404,
)


@require_GET
def mapping_index(request: HttpRequest) -> HttpResponse:
    integration = console_integration(request)
    context = {
        "area": "mappings",
        "integration": integration,
        "integrations": integrations_visible(request.user),
        "flows": flows_with_versions(integration),
        "editable_flow_ids": set(flows_editable_by(request.user).values_list("pk", flat=True)),
        "can_install": can_edit_mappings(request.user),
    }
    return render(request, "mappings/index.html", context)


@require_POST
def shipped_install(request: HttpRequest) -> HttpResponse:
    """RevOps installs the shipped flows and lookup tables that are missing, as drafts for review."""
    if not can_edit_mappings(request.user):
        raise PermissionDenied("Installing the shipped mappings needs the edit_mappings capability.")
    integration = console_integration(request)
    made = mapping_shipped_install(user=request.user, integration=integration)
    if made:
        messages.success(
            request,
            f"Installed {len(made)} draft(s): submit each; another person approves and publishes them.",
        )
    else:
        messages.info(request, "Every shipped flow and lookup table exists already.")
    return to_index("sync:mappings", integration)


@require_POST
def draft_create(request: HttpRequest, flow_key: str) -> HttpResponse:
    flow = flow_or_404(request.user, console_integration(request), flow_key)
    require_flow_editor(request, flow)
    based_on = None
    if request.POST.get("based_on"):
        based_on = get_object_or_404(MappingVersion, pk=request.POST["based_on"], flow=flow)
    draft = services.version_create_draft(
        flow=flow, user=request.user, based_on=based_on, notes=request.POST.get("notes", "")
    )
    messages.success(request, f"Draft v{draft.number} created.")
    return redirect("sync:mapping-version", draft.pk)


@require_GET
def version_page(request: HttpRequest, version_id: int) -> HttpResponse:
    return _version_page(request, version_or_404(version_id, request.user))


def _version_page(
    request: HttpRequest, version: MappingVersion, *, import_form: ImportForm | None = None, status: int = 200
) -> HttpResponse:
    can_edit = version.is_editable and flow_edit_allowed(request.user, version.flow)
    titles = lookup_table_titles()
    context = {
        "area": "mappings",
        "version": version,
        "objects": version_rows(version),
        "can_edit": can_edit,
        "can_approve": can_approve_mappings(request.user),
        "problems": (
            spec_all_problems(version_spec(version), version.flow.integration) if version.is_editable else []
        ),
        "others": version.flow.versions.exclude(pk=version.pk).order_by("-number"),
        "new_row_form": FieldRowForm(initial={"kind": "source", "apply": "always"}),
        "import_form": import_form or ImportForm(),
        "new_chain": chain_editor(tables=titles),
        "lookup_titles": titles,
    }
    return render(request, "mappings/version.html", context, status=status)


TRANSITIONS: dict[str, Callable[..., Any]] = {
    "submit": lambda version, user, reason: services.version_submit(
        version=version, user=user, reason=reason
    ),
    "approve": lambda version, user, reason: services.version_approve(
        version=version, user=user, reason=reason
    ),
    "reject": lambda version, user, reason: services.version_reject(
        version=version, user=user, reason=reason
    ),
    "publish": lambda version, user, reason: services.version_publish(
        version=version, user=user, reason=reason
    ),
    "rollback": lambda version, user, reason: services.version_rollback(to=version, user=user, reason=reason),
}


@require_POST
def version_transition(request: HttpRequest, version_id: int, action: str) -> HttpResponse:
    """submit / approve / reject / publish / rollback; the service checks role and four eyes."""
    version = version_or_404(version_id, request.user)
    transition = TRANSITIONS.get(action)
    if transition is None:
        return HttpResponse(status=404)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        result = transition(version, request.user, reason)
    except MappingValidationError as error:
        messages.error(request, f"Not {action}ed: " + "; ".join(str(problem) for problem in error.problems))
        return redirect("sync:mapping-version", version.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sync:mapping-version", version.pk)
    except PermissionDenied as error:
        return render(request, "403.html", {"reason": str(error)}, status=403)
    messages.success(request, f"{result} is {result.status}.")
    return redirect("sync:mapping-version", result.pk)


@require_GET
def version_export(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_or_404(version_id, request.user)
    response = JsonResponse(version_spec(version), json_dumps_params={"indent": 2})
    filename = f"{version.flow.key}-v{version.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["POST"])
def version_import(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_or_404(version_id, request.user)
    require_flow_editor(request, version.flow)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        # Not a readable document (empty, not JSON, nested too deeply): 400, the form naming the problem.
        return _version_page(request, version, import_form=form, status=400)
    errors: list[str] = []
    try:
        services.version_import(version=version, spec=form.cleaned_data["parsed"], user=request.user)
    except MappingValidationError as error:
        errors = [str(problem) for problem in error.problems]
    except ValidationError as error:
        errors = list(error.messages)
    if errors:
        for message in errors:
            messages.error(request, f"Not imported: {message}")
    else:
        messages.success(request, "Imported.")
    return redirect("sync:mapping-version", version.pk)


@require_GET
def version_diff_page(request: HttpRequest) -> HttpResponse:
    numbers = [request.GET.get(name, "") for name in ("a", "b")]
    if not all(number.isdigit() for number in numbers):
        return HttpResponseBadRequest("give the two versions to compare as ?a=<version id>&b=<version id>")
    before, after = (version_or_404(int(number), request.user) for number in numbers)
    context = {
        "area": "mappings",
        "before": before,
        "after": after,
        "lines": version_diff(before, after),
        "lookup_titles": lookup_table_titles(),
        "words_attributes": ("transforms", "where", "note", "description", "external_id"),
    }
    return render(request, "mappings/diff.html", context)
