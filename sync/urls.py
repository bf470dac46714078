from django.urls import path

from sync import views
from sync.inbound import views as inbound

app_name = "sync"
urlpatterns = [
    path("sync/", views.sync_index, name="index"),
    path("exceptions/", views.exception_index, name="exceptions"),
    path("sync/jobs/", views.job_list, name="jobs"),
    path("sync/jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("sync/records/<int:record_id>/rerun/", views.record_rerun, name="record_rerun"),
    path("sync/inbox/", views.inbox_list, name="inbox"),
    path("sync/trace/<str:opportunity_id>/", views.opportunity_trace, name="trace"),
    path("sync/inbound/outbound-message/<str:token>/", inbound.outbound_message, name="inbound_outbound"),
    path("sync/inbound/webhook/<str:token>/", inbound.webhook_event, name="inbound_webhook"),
]
