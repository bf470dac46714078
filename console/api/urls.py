"""/api/v1/: every area's endpoints, the OpenAPI schema and its docs, under the ``api`` namespace."""

from django.urls import path

from core.api.views import DocsView, SchemaView
from governance.api.urls import urlpatterns as governance_urls
from reconciliation.api.urls import urlpatterns as reconciliation_urls
from sync.api.urls import urlpatterns as sync_urls

app_name = "api"
urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    *sync_urls,
    *reconciliation_urls,
    *governance_urls,
]
