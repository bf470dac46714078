"""The release pages under /governance/releases/: list, new, detail (items, evidence, sign-offs, actions),
items, and the actions (test, sign, publish, roll back). Views parse input and render; the services
check who may act and decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.http import ConsoleRequest
from governance.releases import permissions, selectors, services, testing
from governance.releases.forms import ReleaseForm, ReleaseItemsForm, ReleaseTestForm, RollbackForm, SignForm
from governance.releases.models import Release

STATUS_TARGET = "test-run-status"


def _release_or_404(request: ConsoleRequest, release_id: int) -> Release:
    release = selectors.release_get(user=request.user, release_id=release_id)
    if release is None:
        raise Http404("No such release")
    return release


def _refusal(error: ValidationError | PermissionDenied) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@require_GET
def release_list(request: ConsoleRequest) -> HttpResponse:
    return render(
        request,
        "governance/release_list.html",
        {
            "area": "governance",
            "releases": selectors.releases_visible(user=request.user),
            "can_edit": permissions.can_edit_releases(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def release_create(request: ConsoleRequest) -> HttpResponse:
    if not permissions.can_edit_releases(request.user):
        raise PermissionDenied("Releases are put together by RevOps.")
    form = ReleaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            release = services.release_create(
                user=request.user,
                name=form.cleaned_data["name"],
                notes=form.cleaned_data["notes"],
                integration=form.cleaned_data["integration"],
                mapping_versions=list(form.cleaned_data["mapping_versions"]),
                rule_versions=list(form.cleaned_data["rule_versions"]),
                lookup_versions=list(form.cleaned_data["lookup_versions"]),
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, f"Release {release.name} created: test it in the sandbox next.")
            return redirect("governance:release", release_id=release.pk)
    return render(request, "governance/release_form.html", {"area": "governance", "form": form})


@require_http_methods(["GET", "POST"])
def release_items(request: ConsoleRequest, release_id: int) -> HttpResponse:
    if not permissions.can_edit_releases(request.user):
        raise PermissionDenied("Releases are put together by RevOps.")
    release = _release_or_404(request, release_id)
    initial = {
        "mapping_versions": [i.mapping_version_id for i in release.items.all() if i.mapping_version_id],
        "rule_versions": [i.rule_version_id for i in release.items.all() if i.rule_version_id],
        "lookup_versions": [i.lookup_version_id for i in release.items.all() if i.lookup_version_id],
    }
    form = ReleaseItemsForm(request.POST or None, initial=initial, user=request.user, release=release)
    if request.method == "POST" and form.is_valid():
        try:
            services.release_items_set(
                release=release,
                user=request.user,
                mapping_versions=list(form.cleaned_data["mapping_versions"]),
                rule_versions=list(form.cleaned_data["rule_versions"]),
                lookup_versions=list(form.cleaned_data["lookup_versions"]),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Items saved.")
            return redirect("governance:release", release_id=release.pk)
    context = {"area": "governance", "form": form, "release": release}
    return render(request, "governance/release_form.html", context)


@require_GET
def release_detail(request: ConsoleRequest, release_id: int) -> HttpResponse:
    release = _release_or_404(request, release_id)
    detail = selectors.release_detail(release, user=request.user)
    if request.htmx and request.htmx.target == STATUS_TARGET:
        run = detail.latest_run
        if run is None or not run.is_active:
            return HttpResponseClientRefresh()  # finished: reload once to show the evidence
        return render(request, "governance/partials/release_test_run.html", {"run": run})
    user = request.user
    context: dict[str, Any] = {
        "area": "governance",
        "release": release,
        "detail": detail,
        "can_edit": permissions.can_edit_releases(user),
        "can_publish": permissions.can_publish_releases(user),
        "signing_roles": [r for r in permissions.signing_roles(user) if r.value not in detail.signed_roles],
        "test_form": ReleaseTestForm(user=request.user, release=release),
        "rollback_form": RollbackForm(),
    }
    return render(request, "governance/release_detail.html", context)


@require_POST
def release_test(request: ConsoleRequest, release_id: int) -> HttpResponse:
    if not permissions.can_edit_releases(request.user):
        raise PermissionDenied("Release test runs are started by RevOps.")
    release = _release_or_404(request, release_id)
    form = ReleaseTestForm(request.POST, user=request.user, release=release)
    if not form.is_valid():
        messages.error(request, "Choose the sandbox connections and name the opportunities to sync.")
        return redirect("governance:release", release_id=release.pk)
    try:
        ids = testing.opportunity_ids_parse(form.cleaned_data["opportunity_ids"])
        run = testing.release_test_run_start(
            release=release,
            user=request.user,
            salesforce=form.cleaned_data["salesforce"],
            netsuite=form.cleaned_data["netsuite"],
            opportunity_ids=ids,
        )
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, f"Test run #{run.pk} queued.")
    return redirect("governance:release", release_id=release.pk)


@require_POST
def release_test_retry(request: ConsoleRequest, release_id: int, run_id: int) -> HttpResponse:
    """Retry: an interrupted (or failed) test run started again with the same sandbox pair and records."""
    if not permissions.can_edit_releases(request.user):
        raise PermissionDenied("Release test runs are started by RevOps.")
    release = _release_or_404(request, release_id)
    run = release.test_runs.filter(pk=run_id).first()
    if run is None:
        raise Http404("No such test run")
    try:
        new = testing.release_test_run_retry(
            run=run, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, f"Test run #{new.pk} queued (a retry of #{run.pk}).")
    return redirect("governance:release", release_id=release.pk)


@require_POST
def release_sign(request: ConsoleRequest, release_id: int) -> HttpResponse:
    if not permissions.signing_roles(request.user):
        raise PermissionDenied("Releases are signed off by RevOps and Finance.")
    release = _release_or_404(request, release_id)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the role you sign in.")
        return redirect("governance:release", release_id=release.pk)
    try:
        signoff = services.release_sign(
            release=release, user=request.user, role=form.cleaned_data["role"], note=form.cleaned_data["note"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, f"Signed off as {signoff.get_role_display()}.")
    return redirect("governance:release", release_id=release.pk)


@require_POST
def release_publish(request: ConsoleRequest, release_id: int) -> HttpResponse:
    if not permissions.can_publish_releases(request.user):
        raise PermissionDenied("Releases are published by Finance.")
    release = _release_or_404(request, release_id)
    try:
        services.release_publish(release=release, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, f"Release {release.name} is live.")
    return redirect("governance:release", release_id=release.pk)


@require_POST
def release_rollback(request: ConsoleRequest, release_id: int) -> HttpResponse:
    if not permissions.can_publish_releases(request.user):
        raise PermissionDenied("Releases are rolled back by Finance.")
    release = _release_or_404(request, release_id)
    form = RollbackForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why you roll back.")
        services.release_rollback(release=release, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, f"Release {release.name} rolled back.")
    return redirect("governance:release", release_id=release.pk)
