from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self) -> None:
        from core.schedules import schedule_register
        from reconciliation.schedules import DAILY_SPEC

        # The daily run is retimed from the Schedules page, the API and schedule_set (core/schedules.py).
        schedule_register(DAILY_SPEC)
