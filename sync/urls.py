from django.urls import include, path

from sync import views
from sync.exceptions import views as exception_views
from sync.golive import views as golive_views
from sync.pipeline import views as job_views
from sync.pipeline.listener import views as inbound
from sync.rules import views as rule_views

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
    path("sync/listeners/", views.listener_list, name="listeners"),
    path("sync/listeners/<int:listener_id>/rotate/", views.listener_rotate, name="listener-rotate"),
    path("sync/mappings/", include("sync.pipeline.urls")),  # the dry run, ahead of the editor
    path("sync/mappings/", include("sync.mappings.urls")),
    path("exceptions/", exception_views.exception_index, name="exceptions"),
    path("exceptions/notifications/", exception_views.notification_list, name="notifications"),
    path("exceptions/<int:item_id>/", exception_views.exception_detail, name="exception"),
    path("exceptions/<int:item_id>/<slug:action>/", exception_views.exception_act, name="exception-act"),
    path(
        "exceptions/<int:item_id>/overrides/<int:override_id>/<slug:decision>/",
        exception_views.exception_override_decide,
        name="exception-override",
    ),
    path("sync/jobs/", job_views.job_list, name="jobs"),
    path("sync/jobs/<int:job_id>/", job_views.job_detail, name="job_detail"),
    path("sync/jobs/<int:job_id>/requeue/", job_views.job_requeue, name="job_requeue"),
    path("sync/records/<int:record_id>/rerun/", job_views.record_rerun, name="record_rerun"),
    path("sync/inbox/", job_views.inbox_list, name="inbox"),
    path("sync/invoices/", job_views.invoice_list, name="invoices"),
    path("sync/conflicts/", job_views.conflict_list, name="conflicts"),
    path("sync/backfills/", job_views.backfill_start_view, name="backfill-start"),
    path("sync/backfills/<int:backfill_id>/", job_views.backfill_detail, name="backfill"),
    path("sync/backfills/<int:backfill_id>/resume/", job_views.backfill_resume_view, name="backfill-resume"),
    path("sync/golive/", golive_views.golive_index, name="golive"),
    path("sync/golive/<int:run_id>/", golive_views.golive_run, name="golive-run"),
    path("sync/golive/<int:run_id>/apply/", golive_views.golive_apply, name="golive-apply"),
    path("sync/trace/<str:opportunity_id>/", job_views.opportunity_trace, name="trace"),
    path(
        "sync/inbound/outbound-message/<str:token>/",
        inbound.outbound_message,
        name="inbound_outbound",
    ),
    path("sync/inbound/webhook/<str:token>/", inbound.webhook_event, name="inbound_webhook"),
    path("sync/rules/", rule_views.rule_index, name="rules"),
    path("sync/rules/new/", rule_views.rule_new, name="rule-new"),
    path("sync/rules/install-shipped/", rule_views.rule_install_shipped, name="rules-install"),
    path("sync/rules/check/", rule_views.rule_check, name="rule-check"),
    path("sync/rules/versions/<int:version_id>/test/", rule_views.rule_version_try, name="rule-test"),
    path(
        "sync/rules/versions/<int:version_id>/<slug:action>/",
        rule_views.rule_version_action,
        name="rule-action",
    ),
    path("sync/rules/<slug:key>/", rule_views.rule_detail, name="rule"),
]
