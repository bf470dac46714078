"""The sync area's pages, under the ``sync`` namespace: each feature's urls.py, at the paths they have
always had (Salesforce calls /sync/inbound/..., people bookmark the rest)."""

from django.urls import include, path

from sync.pipeline import urls as pipeline_urls
from sync.pipeline.listener import urls as listener_urls

app_name = "sync"
urlpatterns = [
    path("sync/inbound/", include(listener_urls.inbound_urlpatterns)),  # first: see the listener's urls.py
    path("sync/connections/", include("sync.connections.urls")),
    path("sync/mappings/", include(pipeline_urls.dry_run_urlpatterns)),  # ahead of the editor
    path("sync/mappings/", include("sync.mappings.urls")),
    path("sync/rules/", include("sync.rules.urls")),
    path("sync/golive/", include("sync.golive.urls")),
    path("sync/matching/", include("sync.matching.urls")),
    path("sync/integrations/", include("sync.onboarding.urls")),
    path("sync/lifecycle/", include("sync.lifecycle.urls")),
    path("sync/retention/", include("sync.retention.urls")),
    path("sync/catalogue/", include("sync.catalogue.urls")),
    path("sync/", include("sync.pipeline.urls")),
    path("exceptions/", include("sync.exceptions.urls")),
    path("notifications/", include("sync.notifications.urls")),
]
