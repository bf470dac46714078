"""Access groups in the console: list and create, members, subsidiary and flow grants.

Admins (``manage_users``) change; auditors read. The services are :mod:`governance.groups` and
:mod:`governance.access_grants`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import predicate_required
from core.http import ConsoleRequest
from governance import access_grants, groups
from governance.forms import GroupCreateForm, GroupMemberForm, UserAccessForm
from governance.permissions import can_manage_users, can_see_people
from sync.exceptions.models import Subsidiary
from sync.integrations.models import Integration

ACCESS_CARD = "governance/partials/user_access.html"


def _require_reader(request: HttpRequest) -> None:
    if not can_see_people(request.user):
        raise PermissionDenied


def _group_or_404(request: HttpRequest, group_id: int) -> Group:
    group = groups.access_group_get(user=request.user, group_id=group_id)
    if group is None:
        raise Http404("No such access group")
    return group


@require_http_methods(["GET", "POST"])
def group_list(request: ConsoleRequest) -> HttpResponse:
    """The access groups; admins create one here."""
    _require_reader(request)
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST":
        if not can_manage_users(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                group = groups.group_create(name=form.cleaned_data["name"], actor=request.user)
            except ValidationError as error:
                form.add_error("name", error)
            else:
                messages.success(request, f"Group {group.name} created: add its members and grants.")
                return redirect("governance:group", group.pk)
    context = {"area": "governance", "groups": groups.access_groups(user=request.user), "form": form}
    return render(request, "governance/group_list.html", context)


def _group_context(request: HttpRequest, group: Group, **extra: Any) -> dict[str, Any]:
    members = group.user_set.order_by("username")
    return {
        "group": group,
        "access_url": reverse("governance:group-access", args=[group.pk]),
        "access": access_grants.group_access(group=group),
        "subsidiaries": Subsidiary.objects.order_by("key"),
        "flows": access_grants.flow_grant_choices(user=request.user),
        "integrations": Integration.objects.order_by("-is_primary", "name"),
        "can_manage": can_manage_users(request.user),
        "members": members,
        "candidates": User.objects.filter(is_active=True).exclude(groups=group).order_by("username"),
        **extra,
    }


@require_GET
def group_detail(request: ConsoleRequest, group_id: int) -> HttpResponse:
    _require_reader(request)
    group = _group_or_404(request, group_id)
    context = _group_context(request, group, area="governance")
    return render(request, "governance/group_detail.html", context)


@require_POST
@predicate_required(can_manage_users)
def group_members_update(request: ConsoleRequest, group_id: int) -> HttpResponse:
    """Add or remove one member."""
    group = _group_or_404(request, group_id)
    form = GroupMemberForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose a user and add or remove.", status=400, content_type="text/plain")
    change = groups.group_member_add if form.cleaned_data["action"] == "add" else groups.group_member_remove
    try:
        change(group=group, user=form.cleaned_data["user"], actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Members saved.")
    return redirect("governance:group", group.pk)


@require_POST
@predicate_required(can_manage_users)
def group_access_update(request: ConsoleRequest, group_id: int) -> HttpResponse:
    """Grant or revoke one subsidiary, flow or integration to the group; htmx gets the refreshed card."""
    group = _group_or_404(request, group_id)
    form = UserAccessForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
        return HttpResponse(f"Invalid grant: {errors}", status=400, content_type="text/plain")
    data = form.cleaned_data
    change = (
        access_grants.group_access_grant if data["action"] == "grant" else access_grants.group_access_revoke
    )
    error = ""
    try:
        change(group=group, kind=data["kind"], target=data["object"], actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(request, ACCESS_CARD, _group_context(request, group, error=error, saved=not error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Access saved.")
    return redirect("governance:group", group.pk)
