from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import views
from console.access import role_not_required
from governance.forms import ThrottledAuthenticationForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
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
