"""Rules editor pages, included by sync/urls.py under /sync/rules/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.rules import views

urlpatterns = [
    path("", views.rule_index, name="rules"),
    path("new/", views.rule_new, name="rule-new"),
    path("install-shipped/", views.rule_install_shipped, name="rules-install"),
    path("check/", views.rule_check, name="rule-check"),
    path("versions/<int:version_id>/test/", views.rule_version_try, name="rule-test"),
    path("versions/<int:version_id>/<slug:action>/", views.rule_version_action, name="rule-action"),
    path("<slug:key>/", views.rule_detail, name="rule"),
]
