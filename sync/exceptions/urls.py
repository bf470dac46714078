"""Exception queue pages, included by sync/urls.py under /exceptions/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.exceptions import group_views, policy_views, views

urlpatterns = [
    path("", views.exception_index, name="exceptions"),
    path("export.csv", views.exception_export, name="exceptions-export"),
    path("bulk/", views.exception_bulk, name="exceptions-bulk"),
    path("notifications/", views.notification_list, name="notifications"),
    path("groups/", group_views.exception_group_index, name="exception-groups"),
    path("groups/<slug:key>/", group_views.exception_group_detail, name="exception-group"),
    path("groups/<slug:key>/<slug:action>/", group_views.exception_group_act, name="exception-group-act"),
    path("policy/", policy_views.policy_index, name="exception-policy"),
    path("policy/ticket-endpoint/", policy_views.policy_ticket_endpoint, name="ticket-endpoint"),
    path(
        "policy/ticket-endpoint/test/", policy_views.policy_ticket_endpoint_test, name="ticket-endpoint-test"
    ),
    path("policy/<slug:key>/", policy_views.policy_category, name="exception-category"),
    path(
        "policy/<slug:key>/levels/<slug:action>/", policy_views.policy_level, name="exception-category-level"
    ),
    path("subsidiaries/", policy_views.netsuite_lists, name="netsuite-lists"),
    path(
        "subsidiaries/read/<int:connection_id>/",
        policy_views.netsuite_lists_read_now,
        name="netsuite-lists-read",
    ),
    path("<int:item_id>/", views.exception_detail, name="exception"),
    path("<int:item_id>/<slug:action>/", views.exception_act, name="exception-act"),
    path(
        "<int:item_id>/overrides/<int:override_id>/<slug:decision>/",
        views.exception_override_decide,
        name="exception-override",
    ),
]
