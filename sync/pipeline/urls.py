"""Routes of the pipeline's own pages that sit under the mapping editor: a version's dry run.

Included by ``sync/urls.py`` under ``sync/mappings/`` ahead of the editor's routes (whose
``versions/<id>/<action>/`` would otherwise take ``preview``).
"""

from django.urls import path

from sync.pipeline import views

urlpatterns = [
    path("versions/<int:version_id>/preview/", views.version_preview, name="mapping-preview"),
    path(
        "versions/<int:version_id>/preview/opportunities/",
        views.version_preview_search,
        name="mapping-preview-search",
    ),
]
