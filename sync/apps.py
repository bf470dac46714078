from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SyncConfig(AppConfig):
    """The composition root of the sync features: where a lower layer's port meets the upper layer's
    implementation (imports happen here, once the models are loaded; this module belongs to no layer)."""

    name = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        from core.schedules import schedule_register
        from sync.catalogue.schedules import CATALOGUE_SYNC_SPEC
        from sync.connections.selectors import connections_scope_connect
        from sync.connections.watch import CONNECTION_WATCH_SPEC, connection_alerts_connect
        from sync.exceptions.escalation import escalation_notices_connect
        from sync.exceptions.intake import ExceptionQueueIntake
        from sync.exceptions.netsuite_lists import NETSUITE_LISTS_SPEC
        from sync.exceptions.retry import retries_sweep
        from sync.golive.sweep import golive_sweep
        from sync.integrations.access import connections_in_scope
        from sync.integrations.models import Integration
        from sync.notifications.dispatch import NOTIFICATIONS_DISPATCH_SPEC
        from sync.notifications.sources import ConnectionNotices, EscalationNotices
        from sync.pipeline.listener.listener_cache import listener_cache_clear
        from sync.pipeline.models import Listener
        from sync.pipeline.problems import exception_queue_connect
        from sync.pipeline.schedules import CATCH_UP_POLL_SPEC, RETURN_FLOW_SPEC
        from sync.pipeline.sweeps import sweep_register
        from sync.retention.tasks import RETENTION_PRUNE_SPEC

        # A listener changed here is looked up afresh at once (sync/pipeline/listener/listener_cache.py).
        post_save.connect(listener_cache_clear, sender=Listener, dispatch_uid="sync.listener_cache.save")
        post_delete.connect(listener_cache_clear, sender=Listener, dispatch_uid="sync.listener_cache.delete")
        # So is the integration memoised with it.
        post_save.connect(listener_cache_clear, sender=Integration, dispatch_uid="sync.listener_cache.i_save")
        post_delete.connect(
            listener_cache_clear, sender=Integration, dispatch_uid="sync.listener_cache.i_delete"
        )
        # The pipeline reports its problems to the exception queue above it (sync/pipeline/problems.py).
        exception_queue_connect(ExceptionQueueIntake())
        # A person limited to some integrations sees only their connections (sync/integrations/access.py).
        connections_scope_connect(connections_in_scope)
        # Go-live runs are swept with the rest of the interrupted work (sync/pipeline/sweeps.py).
        sweep_register("golive", golive_sweep)
        # So are exception retries whose task was lost before a worker claimed it (sync/exceptions/retry.py).
        sweep_register("exception-retries", retries_sweep)
        # The connection watch and escalations tell people through the notifications (sync/notifications/:
        # after a delay, by their preferences, to Slack, Teams and e-mail).
        connection_alerts_connect(ConnectionNotices())
        escalation_notices_connect(EscalationNotices())
        # The schedules an operator retimes (Schedules page, API, schedule_set): core/schedules.py.
        for spec in (
            CATCH_UP_POLL_SPEC,
            RETURN_FLOW_SPEC,
            CONNECTION_WATCH_SPEC,
            NETSUITE_LISTS_SPEC,
            CATALOGUE_SYNC_SPEC,
            NOTIFICATIONS_DISPATCH_SPEC,
            RETENTION_PRUNE_SPEC,
        ):
            schedule_register(spec)
