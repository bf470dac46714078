from django.urls import path

from sync.mappings.views import lookups, rows, versions

urlpatterns = [
    path("", versions.mapping_index, name="mappings"),
    path("diff/", versions.version_diff_page, name="mapping-diff"),
    path("install-shipped/", versions.shipped_install, name="mapping-install-shipped"),
    path("lookups/", lookups.lookup_index, name="mapping-lookups"),
    path("lookups/refresh/", lookups.dynamic_lookup_refresh_view, name="mapping-lookups-refresh"),
    path("lookups/<slug:table_name>/", lookups.lookup_entry_update, name="mapping-lookup-entry"),
    path("lookups/<slug:table_name>/drafts/", lookups.lookup_draft_create, name="mapping-lookup-draft"),
    path("lookups/<slug:table_name>/import/", lookups.lookup_import_view, name="mapping-lookup-import"),
    path("lookup-versions/<int:version_id>/", lookups.lookup_version_page, name="mapping-lookup-version"),
    path(
        "lookup-versions/<int:version_id>/<slug:action>/",
        lookups.lookup_version_action,
        name="mapping-lookup-action",
    ),
    path("flows/<slug:flow_key>/drafts/", versions.draft_create, name="mapping-draft-create"),
    path("versions/<int:version_id>/", versions.version_page, name="mapping-version"),
    path("versions/<int:version_id>/export/", versions.version_export, name="mapping-export"),
    path("versions/<int:version_id>/import/", versions.version_import, name="mapping-import"),
    # versions/<id>/preview/ (the dry run) is the pipeline's: sync/pipeline/urls.py, included before this.
    path("versions/<int:version_id>/<slug:action>/", versions.version_transition, name="mapping-transition"),
    path("objects/<int:object_id>/rows/", rows.field_row_create, name="mapping-row-create"),
    path("objects/<int:object_id>/rows/check/", rows.field_row_check, name="mapping-row-check"),
    path("objects/<int:object_id>/fields/", rows.field_choices_view, name="mapping-field-choices"),
    path("objects/<int:object_id>/transforms/", rows.transform_chain_view, name="mapping-row-transforms"),
    path("rows/<int:row_id>/", rows.field_row, name="mapping-row"),
    path("rows/<int:row_id>/move/", rows.field_row_reorder, name="mapping-row-move"),
    path("rows/<int:row_id>/delete/", rows.field_row_remove, name="mapping-row-delete"),
]
