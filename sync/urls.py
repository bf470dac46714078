from django.urls import include, path

from sync import views

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
    path("exceptions/", views.exception_index, name="exceptions"),
    path("sync/mappings/", include("sync.mapping_urls")),
]
