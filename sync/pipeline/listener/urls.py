"""Listener pages and the inbound endpoints Salesforce calls, included by sync/pipeline/urls.py under /sync/
(names in the ``sync`` namespace; the inbound paths are configured in Salesforce and never change)."""

from django.urls import path

from sync.pipeline.listener import pages, views

urlpatterns = [
    path("listeners/", pages.listener_list, name="listeners"),
    path("listeners/<int:listener_id>/", pages.listener_detail, name="listener"),
    path("listeners/<int:listener_id>/rotate/", pages.listener_rotate, name="listener-rotate"),
    path("listeners/<int:listener_id>/enable/", pages.listener_enable, name="listener-enable"),
    path("listeners/<int:listener_id>/disable/", pages.listener_disable, name="listener-disable"),
    path("listeners/<int:listener_id>/test/", pages.listener_test, name="listener-test"),
    path("inbound/outbound-message/<str:token>/", views.outbound_message, name="inbound-outbound"),
    path("inbound/webhook/<str:token>/", views.webhook_event, name="inbound-webhook"),
]
