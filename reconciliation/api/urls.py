from rest_framework.routers import SimpleRouter

from reconciliation.api import views

router = SimpleRouter()
router.register("reconciliation/runs", views.RunViewSet, basename="reconciliation-run")
router.register(
    r"reconciliation/runs/(?P<run_id>[0-9]+)/mismatches",
    views.MismatchViewSet,
    basename="reconciliation-mismatch",
)
urlpatterns = router.urls
