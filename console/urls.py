from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import ops_views, schedule_views, views
from core.access import role_not_required
from governance.forms import ThrottledAuthenticationForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/panels/<slug:name>/", views.dashboard_panel, name="dashboard-panel"),
    path("schedules/", schedule_views.schedule_list, name="schedules"),
    path("schedules/<slug:key>/", schedule_views.schedule_edit, name="schedule-edit"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", role_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("", include("sync.urls")),
    path("reconciliation/", include("reconciliation.urls")),
    path("governance/", include("governance.urls")),
    path("api/v1/", include("console.api.urls")),
]
