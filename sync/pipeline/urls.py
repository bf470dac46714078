"""Pipeline pages, included by sync/urls.py under /sync/ (names in the ``sync`` namespace): background
work, jobs and their records, the inbox, invoices, conflicts, backfills, an opportunity's trace, the
flows (pause, resume, trigger, push one record now), and the listeners with their inbound endpoints."""

from django.urls import include, path

from sync.pipeline import flow_views, views

urlpatterns = [
    path("", views.sync_index, name="index"),
    path("", include("sync.pipeline.listener.urls")),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/requeue/", views.job_requeue, name="job-requeue"),
    path("records/<int:record_id>/rerun/", views.record_rerun, name="record-rerun"),
    path("inbox/", views.inbox_list, name="inbox"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("backfills/", views.backfill_start_view, name="backfill-start"),
    path("backfills/<int:backfill_id>/", views.backfill_detail, name="backfill"),
    path("backfills/<int:backfill_id>/resume/", views.backfill_resume_view, name="backfill-resume"),
    path("trace/<str:opportunity_id>/", views.opportunity_trace, name="trace"),
    path("flows/", flow_views.flow_list, name="flows"),
    path("flows/<slug:flow_key>/pause/", flow_views.flow_pause_view, name="flow-pause"),
    path("flows/<slug:flow_key>/resume/", flow_views.flow_resume_view, name="flow-resume"),
    path("flows/<slug:flow_key>/trigger/", flow_views.flow_trigger_view, name="flow-trigger"),
    path("push/", flow_views.push_view, name="push"),
]

# A mapping version's dry run: the pipeline's page under the mapping editor, included by sync/urls.py under
# /sync/mappings/ ahead of the editor's routes (whose ``versions/<id>/<action>/`` would take ``preview``).
dry_run_urlpatterns = [
    path("versions/<int:version_id>/preview/", views.version_preview, name="mapping-preview"),
    path(
        "versions/<int:version_id>/preview/opportunities/",
        views.version_preview_search,
        name="mapping-preview-search",
    ),
]
