from django.urls import path

from sync import rule_views, views

app_name = "sync"
urlpatterns = [
    path("sync/", views.sync_index, name="index"),
    path("exceptions/", views.exception_index, name="exceptions"),
    path("sync/rules/", rule_views.rule_index, name="rules"),
    path("sync/rules/new/", rule_views.rule_new, name="rule-new"),
    path("sync/rules/install-shipped/", rule_views.rule_install_shipped, name="rules-install"),
    path("sync/rules/check/", rule_views.rule_check, name="rule-check"),
    path("sync/rules/versions/<int:version_id>/test/", rule_views.rule_version_try, name="rule-test"),
    path(
        "sync/rules/versions/<int:version_id>/<slug:action>/",
        rule_views.rule_version_action,
        name="rule-action",
    ),
    path("sync/rules/<slug:key>/", rule_views.rule_detail, name="rule"),
]
