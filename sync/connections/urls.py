"""Connection pages, included by sync/urls.py under /sync/connections/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.connections import views
from sync.connections.metadata import views as metadata_views

urlpatterns = [
    path("", views.connection_list, name="connections"),
    path("new/", views.connection_create, name="connection-create"),
    path("<int:connection_id>/", views.connection_detail, name="connection"),
    path("<int:connection_id>/test/", views.connection_test_run, name="connection-test"),
    path("<int:connection_id>/deactivate/", views.connection_deactivate, name="connection-deactivate"),
    path(
        "<int:connection_id>/metadata/refresh/",
        metadata_views.connection_metadata_refresh,
        name="connection-metadata-refresh",
    ),
    path(
        "<int:connection_id>/metadata/<slug:object_name>/",
        metadata_views.connection_metadata_object,
        name="connection-metadata-object",
    ),
]
