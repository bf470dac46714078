from rest_framework.routers import SimpleRouter

from governance.api import views
from governance.api.grants import FlowGrantViewSet, IntegrationGrantViewSet, SubsidiaryGrantViewSet
from governance.api.mfa import UserMfaViewSet
from governance.api.releases import ReleaseTestRunViewSet, ReleaseViewSet
from governance.api.trace import TraceViewSet

router = SimpleRouter()
router.register("audit-entries", views.AuditEntryViewSet, basename="audit-entry")
router.register("audit-checkpoints", views.AuditCheckpointViewSet, basename="audit-checkpoint")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("releases", ReleaseViewSet, basename="release")
router.register("release-test-runs", ReleaseTestRunViewSet, basename="release-test-run")
router.register("subsidiary-grants", SubsidiaryGrantViewSet, basename="subsidiary-grant")
router.register("integration-grants", IntegrationGrantViewSet, basename="integration-grant")
router.register("trace", TraceViewSet, basename="trace")
router.register("flow-grants", FlowGrantViewSet, basename="flow-grant")
router.register("users", UserMfaViewSet, basename="user-mfa")
urlpatterns = router.urls
