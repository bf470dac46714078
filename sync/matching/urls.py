"""The matching pages, included by sync/urls.py under /sync/matching/."""

from django.urls import path

from sync.matching import views

urlpatterns = [
    path("domains/", views.generic_domain_list, name="matching-domains"),
    path("domains/change/", views.generic_domain_change, name="matching-domains-change"),
]
