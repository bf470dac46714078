from django.urls import path

from reconciliation import views

app_name = "reconciliation"
urlpatterns = [
    path("", views.reconciliation_index, name="index"),
    path("checks/<slug:check>/run/", views.run_create, name="run-create"),
    path("checks/<slug:check>/tolerances/", views.tolerance_update, name="tolerance-update"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/rerun/", views.run_rerun, name="run-rerun"),
    path("runs/<int:run_id>/mismatches.csv", views.run_csv, name="run-csv"),
]
