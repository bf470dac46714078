from django.urls import path

from sync import views
from sync.inbound import views as inbound

app_name = "sync"
urlpatterns = [
    path("sync/", views.sync_index, name="index"),
    path("exceptions/", views.exception_index, name="exceptions"),
    path("sync/inbound/outbound-message/<str:token>/", inbound.outbound_message, name="inbound_outbound"),
    path("sync/inbound/webhook/<str:token>/", inbound.webhook_event, name="inbound_webhook"),
]
