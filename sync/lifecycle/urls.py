"""The deal life cycle's pages, included by sync/urls.py under /sync/lifecycle/."""

from django.urls import path

from sync.lifecycle import views

urlpatterns = [
    path("", views.lifecycle_index, name="lifecycle"),
    path("order-lock/", views.lock_setting_change, name="lifecycle-lock-setting"),
]
