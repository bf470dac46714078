"""Listener pages, included by sync/pipeline/urls.py under /sync/, and the inbound endpoints Salesforce
calls, included by sync/urls.py under /sync/inbound/ (names in the ``sync`` namespace; the inbound paths
are configured in Salesforce and never change)."""

from django.urls import path

from sync.pipeline.listener import pages, views

urlpatterns = [
    path("listeners/", pages.listener_list, name="listeners"),
    path("listeners/<int:listener_id>/", pages.listener_detail, name="listener"),
    path("listeners/<int:listener_id>/rotate/", pages.listener_rotate, name="listener-rotate"),
    path("listeners/<int:listener_id>/enable/", pages.listener_enable, name="listener-enable"),
    path("listeners/<int:listener_id>/disable/", pages.listener_disable, name="listener-disable"),
    path("listeners/<int:listener_id>/test/", pages.listener_test, name="listener-test"),
]

# The busiest URLs of the product (one request per notification): resolved first (sync/urls.py, itself
# first in console/urls.py), not after every page's pattern.
inbound_urlpatterns = [
    path("outbound-message/<str:token>/", views.outbound_message, name="inbound-outbound"),
    path("webhook/<str:token>/", views.webhook_event, name="inbound-webhook"),
]
