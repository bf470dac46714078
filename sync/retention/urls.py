"""The retention page, included by sync/urls.py under /sync/retention/."""

from django.urls import path

from sync.retention import views

urlpatterns = [
    path("", views.retention_index, name="retention"),
    path("policy/", views.retention_change, name="retention-change"),
    path("run/", views.retention_run, name="retention-run"),
]
