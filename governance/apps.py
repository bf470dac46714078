from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from governance import audit, receivers

        audit.register_audited_models()
        receivers.connect()
        post_migrate.connect(
            receivers.sync_roles_after_migrate, sender=self, dispatch_uid="governance-roles-sync"
        )
