from rest_framework.routers import SimpleRouter

from sync.api import views

router = SimpleRouter()
router.register("connections", views.ConnectionViewSet, basename="connection")
router.register("flows", views.FlowViewSet, basename="flow")
router.register("listeners", views.ListenerViewSet, basename="listener")
router.register("mapping-versions", views.MappingVersionViewSet, basename="mapping-version")
router.register("lookup-versions", views.LookupVersionViewSet, basename="lookup-version")
router.register("rules", views.RuleViewSet, basename="rule")
router.register("rule-versions", views.RuleVersionViewSet, basename="rule-version")
router.register("jobs", views.SyncJobViewSet, basename="job")
router.register("backfills", views.BackfillViewSet, basename="backfill")
router.register("records", views.SyncRecordViewSet, basename="record")
router.register("exceptions", views.ExceptionViewSet, basename="exception")
urlpatterns = router.urls
