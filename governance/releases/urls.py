"""Release pages, included by governance/urls.py under /governance/releases/ (names in its namespace)."""

from django.urls import path

from governance.releases import views

urlpatterns = [
    path("", views.release_list, name="releases"),
    path("new/", views.release_create, name="release-create"),
    path("<int:release_id>/", views.release_detail, name="release"),
    path("<int:release_id>/items/", views.release_items, name="release-items"),
    path("<int:release_id>/test/", views.release_test, name="release-test"),
    path(
        "<int:release_id>/test-runs/<int:run_id>/retry/", views.release_test_retry, name="release-test-retry"
    ),
    path("<int:release_id>/sign/", views.release_sign, name="release-sign"),
    path("<int:release_id>/publish/", views.release_publish, name="release-publish"),
    path("<int:release_id>/rollback/", views.release_rollback, name="release-rollback"),
]
