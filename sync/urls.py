from django.urls import include, path

from sync import exception_views, views

app_name = "sync"
urlpatterns = [
    path("sync/", views.sync_index, name="index"),
    path("sync/connections/", views.connection_list, name="connections"),
    path("sync/connections/new/", views.connection_create, name="connection-create"),
    path("sync/connections/<int:connection_id>/", views.connection_detail, name="connection"),
    path("sync/connections/<int:connection_id>/test/", views.connection_test_run, name="connection-test"),
    path(
        "sync/connections/<int:connection_id>/deactivate/",
        views.connection_deactivate,
        name="connection-deactivate",
    ),
    path("sync/mappings/", include("sync.mapping_urls")),
    path("exceptions/", exception_views.exception_index, name="exceptions"),
    path("exceptions/notifications/", exception_views.notification_list, name="notifications"),
    path("exceptions/<int:item_id>/", exception_views.exception_detail, name="exception"),
    path("exceptions/<int:item_id>/<slug:action>/", exception_views.exception_act, name="exception-act"),
    path(
        "exceptions/<int:item_id>/overrides/<int:override_id>/<slug:decision>/",
        exception_views.exception_override_decide,
        name="exception-override",
    ),
]
