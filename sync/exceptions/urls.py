"""Exception queue pages, included by sync/urls.py under /exceptions/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.exceptions import views

urlpatterns = [
    path("", views.exception_index, name="exceptions"),
    path("notifications/", views.notification_list, name="notifications"),
    path("<int:item_id>/", views.exception_detail, name="exception"),
    path("<int:item_id>/<slug:action>/", views.exception_act, name="exception-act"),
    path(
        "<int:item_id>/overrides/<int:override_id>/<slug:decision>/",
        views.exception_override_decide,
        name="exception-override",
    ),
]
