from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self) -> None:
        from core.labels import CHECK, MISMATCH, labels_register
        from core.schedules import schedule_register
        from reconciliation.checks import CHECKS, FINDINGS
        from reconciliation.schedules import DAILY_SPEC

        # The checks' titles and the mismatch classes' words, for every page and API answer that holds
        # only the key (core/labels.py).
        labels_register(CHECK, {name: check.title for name, check in CHECKS.items()})
        labels_register(MISMATCH, {kind: words for kind, (_code, words) in FINDINGS.items()})

        # The daily run is retimed from the Schedules page, the API and schedule_set (core/schedules.py).
        schedule_register(DAILY_SPEC)
