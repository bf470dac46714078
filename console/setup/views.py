"""The setup checklist page, the first-admin page, and the login page's detour to it on an empty install."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as session_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from console.setup.checklist import setup_checklist
from console.setup.forms import FirstAdminForm
from core.access import role_not_required
from governance.first_admin import first_admin_create, first_run_open, setup_code_ensure
from governance.forms import ThrottledAuthenticationForm
from governance.sso.config import sso_enabled
from sync.integrations.access import integration_scope


@login_not_required
@role_not_required
def login(request: HttpRequest) -> HttpResponseBase:
    """Django's sign-in page; on an installation without any user, the first-admin page instead."""
    if request.method == "GET" and first_run_open():
        return redirect("setup-first-admin")
    context = {
        "sso_enabled": sso_enabled(),
        "sso_failed": request.GET.get("sso") == "failed",
        # With local passwords off the form is shown only to break-glass accounts, who ask for it (?local=1).
        "password_form_shown": settings.LOCAL_PASSWORDS or "local" in request.GET or request.method == "POST",
    }
    view = auth_views.LoginView.as_view(
        redirect_authenticated_user=True,
        authentication_form=ThrottledAuthenticationForm,
        extra_context=context,
    )
    return view(request)


@require_GET
def setup_page(request: HttpRequest) -> HttpResponse:
    checklist = setup_checklist(scope=integration_scope(request.user))
    return render(request, "console/setup.html", {"area": "dashboard", "checklist": checklist})


@login_not_required
@role_not_required
@require_http_methods(["GET", "POST"])
def first_admin(request: HttpRequest) -> HttpResponse:
    """Open only while no user exists: the setup code (from the server's file) makes the first admin."""
    path = setup_code_ensure()
    if path is None:
        raise Http404("Concord already has users: sign in.")
    form = FirstAdminForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = first_admin_create(
                code=data["code"], username=data["username"], email=data["email"], password=data["password1"]
            )
        except PermissionDenied as exc:
            form.add_error("code" if first_run_open() else None, str(exc))
        except ValidationError as exc:
            form.add_error("password1" if _about_password(exc) else None, exc)
        else:
            session_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("setup")
    status = 400 if form.errors else 200
    response = render(request, "console/first_admin.html", {"form": form, "code_path": path}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _about_password(error: ValidationError) -> bool:
    return not hasattr(error, "error_dict")  # the validators raise a list; user_create's full_clean a dict
