from django.urls import include, path

from sync import views

app_name = "sync"
urlpatterns = [
    path("sync/", views.sync_index, name="index"),
    path("exceptions/", views.exception_index, name="exceptions"),
    path("sync/mappings/", include("sync.mapping_urls")),
]
