"""Go-live matching pages, included by sync/urls.py under /sync/golive/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.golive import views

urlpatterns = [
    path("", views.golive_index, name="golive"),
    path("<int:run_id>/", views.golive_run, name="golive-run"),
    path("<int:run_id>/apply/", views.golive_apply, name="golive-apply"),
]
