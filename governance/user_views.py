"""User administration pages beyond the list: a user's detail and access grants, invitations.

Admins (``manage_users``) change; auditors read the detail page. Accepting an invitation is the one page
here for people who are not signed in.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import predicate_required, role_not_required
from core.http import ConsoleRequest
from core.roles import ROLES
from governance import access_grants, invitations, selectors
from governance.forms import UserAccessForm, UserInviteForm
from governance.groups import user_access_groups
from governance.mfa.services import mfa_device, mfa_required
from governance.models import Invitation
from governance.permissions import can_manage_users, can_see_people
from sync.exceptions.models import Subsidiary
from sync.integrations.models import Integration

ACCESS_CARD = "governance/partials/user_access.html"


def _detail_or_404(request: HttpRequest, user_id: int) -> selectors.ManagedUser:
    row = selectors.user_detail_get(user=request.user, user_id=user_id)
    if row is None:
        raise Http404("No such user")
    return row


def _access_context(request: HttpRequest, account: User, **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "access_url": reverse("governance:user-access", args=[account.pk]),
        "access": access_grants.user_access(user=account),
        "access_groups": user_access_groups(user=account),
        "subsidiaries": Subsidiary.objects.order_by("key"),
        "flows": access_grants.flow_grant_choices(user=request.user),
        "integrations": Integration.objects.order_by("-is_primary", "name"),
        "can_manage": can_manage_users(request.user),
        **extra,
    }


@require_GET
def user_detail(request: ConsoleRequest, user_id: int) -> HttpResponse:
    """A user's roles, account status, invitation, subsidiary and flow grants (and history, for auditors)."""
    if not can_see_people(request.user):
        raise PermissionDenied
    row = _detail_or_404(request, user_id)
    context = _access_context(
        request,
        row.user,
        area="governance",
        row=row,
        all_roles=ROLES,
        invitation=Invitation.objects.filter(user=row.user).select_related("invited_by").first(),
        history=selectors.audit_entries_about_user(user=request.user, account=row.user),
        sso_identities=list(row.user.sso_identities.order_by("issuer")),
        mfa_enrolled=mfa_device(user=row.user) is not None,
        mfa_needed=mfa_required(user=row.user),
    )
    return render(request, "governance/user_detail.html", context)


@require_http_methods(["GET", "POST"])
@predicate_required(can_manage_users)
def user_invite(request: ConsoleRequest) -> HttpResponse:
    """Invite a person by e-mail: their account now, their password when they follow the link."""
    form = UserInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = invitations.user_invite(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                actor=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            _say_sent(request, sent)
            return redirect("governance:user", sent.invitation.user_id)
    return render(request, "governance/user_invite.html", {"area": "governance", "form": form})


@require_POST
@predicate_required(can_manage_users)
def user_invitation_resend(request: ConsoleRequest, user_id: int) -> HttpResponse:
    account = _detail_or_404(request, user_id).user
    try:
        sent = invitations.invitation_resend(
            user=account, actor=request.user, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _say_sent(request, sent)
    return redirect("governance:user", account.pk)


@require_POST
@predicate_required(can_manage_users)
def user_invitation_revoke(request: ConsoleRequest, user_id: int) -> HttpResponse:
    account = _detail_or_404(request, user_id).user
    try:
        invitations.invitation_revoke(user=account, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Invitation of {account.get_username()} revoked; the account is deactivated."
        )
    return redirect("governance:user", account.pk)


@require_POST
@predicate_required(can_manage_users)
def user_access_update(request: ConsoleRequest, user_id: int) -> HttpResponse:
    """Grant or revoke one subsidiary, flow or integration; htmx gets the refreshed access card."""
    account = _detail_or_404(request, user_id).user
    form = UserAccessForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
        if request.htmx:
            return render(request, ACCESS_CARD, _access_context(request, account, error=errors), status=400)
        return HttpResponse(f"Invalid grant: {errors}", status=400, content_type="text/plain")
    data = form.cleaned_data
    change = (
        access_grants.user_access_grant if data["action"] == "grant" else access_grants.user_access_revoke
    )
    error = ""
    try:
        change(user=account, kind=data["kind"], target=data["object"], actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(request, ACCESS_CARD, _access_context(request, account, error=error, saved=not error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Access saved.")
    return redirect("governance:user", account.pk)


def _say_sent(request: HttpRequest, sent: invitations.InvitationSent) -> None:
    email = sent.invitation.user.email
    if sent.mailed:
        messages.success(request, f"Invitation sent to {email}.")
    else:
        messages.warning(
            request, f"The account is ready but the e-mail to {email} could not be sent: resend it."
        )


class InvitationAcceptView(PasswordResetConfirmView):
    """The invitee chooses a password from their e-mailed link, then is signed in.

    Django's password-reset confirmation (the token moves into the session and out of the URL before the
    form is shown) with the invitation's token generator; a link that does not work says why.
    """

    form_class = SetPasswordForm
    token_generator = invitations.invitation_token_generator
    template_name = "governance/invitation_accept.html"
    success_url = reverse_lazy("dashboard")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        invitation = Invitation.objects.filter(user=user).first() if user is not None else None
        # Only an open invitation of an active account: a deactivated invitee cannot slip back in.
        open_invitation = invitation is not None and invitation.is_open
        return user if user is not None and open_invitation and user.is_active else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not context.get("validlink"):
            uidb64 = self.kwargs.get("uidb64", "")
            token = self.kwargs.get("token", "")
            if token == self.reset_url_token:
                token = self.request.session.get(INTERNAL_RESET_SESSION_TOKEN, "")
            user = PasswordResetConfirmView.get_user(self, uidb64)
            context["link_problem"] = invitations.invitation_link_problem(user=user, token=token) or (
                "This invitation link is not valid."
            )
        return context

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        try:
            user = invitations.invitation_accept(user=form.user, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        login(self.request, user, self.post_reset_login_backend)
        messages.success(self.request, "Welcome to Concord: your password is set.")
        return HttpResponseRedirect(reverse("dashboard"))


invitation_accept = role_not_required(login_not_required(InvitationAcceptView.as_view()))
