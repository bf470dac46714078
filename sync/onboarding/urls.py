"""Integration pages, included by sync/urls.py under /sync/integrations/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.onboarding import views

urlpatterns = [
    path("", views.integration_list, name="integrations"),
    path("new/", views.integration_create, name="integration-create"),
    path("<int:integration_id>/", views.integration_page, name="integration"),
    path(
        "<int:integration_id>/deactivate/",
        views.integration_active_set,
        {"active": False},
        name="integration-deactivate",
    ),
    path(
        "<int:integration_id>/activate/",
        views.integration_active_set,
        {"active": True},
        name="integration-activate",
    ),
    path(
        "<int:integration_id>/config-submit/",
        views.integration_config_submit,
        name="integration-config-submit",
    ),
    path(
        "<int:integration_id>/config-publish/",
        views.integration_config_publish,
        name="integration-config-publish",
    ),
    path("<int:integration_id>/onboarding/", views.integration_onboarding, name="integration-onboarding"),
    path(
        "<int:integration_id>/onboarding/apply/",
        views.integration_onboarding_apply,
        name="integration-onboarding-apply",
    ),
]
