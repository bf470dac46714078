"""Catalogue pages, included by sync/urls.py under /sync/catalogue/ (names in the ``sync`` namespace)."""

from django.urls import path

from sync.catalogue import views

urlpatterns = [
    path("", views.catalogue_page, name="catalogue"),
    path("sync/", views.catalogue_sync_view, name="catalogue-sync"),
]
