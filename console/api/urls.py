"""/api/v1/: every area's endpoints, the OpenAPI schema and its docs, under the ``api`` namespace."""

from django.urls import path

from console.api.schedules import urlpatterns as schedule_urls
from console.setup.api import urlpatterns as setup_urls
from core.api.views import DocsView, SchemaView
from governance.api.urls import urlpatterns as governance_urls
from reconciliation.api.urls import urlpatterns as reconciliation_urls
from sync.catalogue.api import urlpatterns as catalogue_urls
from sync.connections.api import urlpatterns as connection_urls
from sync.exceptions.api import urlpatterns as exception_urls
from sync.lifecycle.api import urlpatterns as lifecycle_urls
from sync.mappings.api import urlpatterns as mapping_urls
from sync.matching.api import urlpatterns as matching_urls
from sync.notifications.api import urlpatterns as notification_urls
from sync.onboarding.api import urlpatterns as integration_urls
from sync.pipeline.api import urlpatterns as pipeline_urls
from sync.retention.api import urlpatterns as retention_urls
from sync.rules.api import urlpatterns as rule_urls

app_name = "api"
urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    *connection_urls,
    *integration_urls,
    *mapping_urls,
    *rule_urls,
    *pipeline_urls,
    *catalogue_urls,
    *exception_urls,
    *notification_urls,
    *matching_urls,
    *lifecycle_urls,
    *reconciliation_urls,
    *governance_urls,
    *setup_urls,
    *schedule_urls,
    *retention_urls,
]
