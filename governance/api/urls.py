from rest_framework.routers import SimpleRouter

from governance.api import views

router = SimpleRouter()
router.register("audit-entries", views.AuditEntryViewSet, basename="audit-entry")
router.register("audit-checkpoints", views.AuditCheckpointViewSet, basename="audit-checkpoint")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("release-test-runs", views.ReleaseTestRunViewSet, basename="release-test-run")
urlpatterns = router.urls
