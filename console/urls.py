from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import ops_views, schedule_views, views
from console.setup import views as setup_views
from core.access import role_not_required
from governance.mfa import views as mfa_views
from governance.mfa.middleware import mfa_not_required
from governance.sso import views as sso_views

urlpatterns = [
    # First: Salesforce's notifications (sync/inbound/...) resolve with few patterns tried; none of the
    # sync area's paths is one of the console's below.
    path("", include("sync.urls")),
    path("", views.dashboard, name="dashboard"),
    path("dashboard/panels/<slug:name>/", views.dashboard_panel, name="dashboard-panel"),
    path("schedules/", schedule_views.schedule_list, name="schedules"),
    path("schedules/<slug:key>/", schedule_views.schedule_edit, name="schedule-edit"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("favicon.ico", ops_views.favicon, name="favicon"),
    path("metrics", ops_views.metrics, name="metrics"),
    # The sign-in page; on an installation without any user it sends the visitor to the first-admin page.
    path("accounts/login/", setup_views.login, name="login"),
    path("accounts/sso/", sso_views.sso_start, name="sso-start"),
    path("accounts/sso/callback/", sso_views.sso_callback, name="sso-callback"),
    path("accounts/mfa/enrol/", mfa_views.mfa_enrol, name="mfa-enrol"),
    path("accounts/mfa/verify/", mfa_views.mfa_verify_page, name="mfa-verify"),
    path("setup/", setup_views.setup_page, name="setup"),
    path("setup/first-admin/", setup_views.first_admin, name="setup-first-admin"),
    path(
        "accounts/logout/",
        mfa_not_required(role_not_required(auth_views.LogoutView.as_view())),
        name="logout",
    ),
    path("reconciliation/", include("reconciliation.urls")),
    path("governance/", include("governance.urls")),
    path("api/v1/", include("console.api.urls")),
]
