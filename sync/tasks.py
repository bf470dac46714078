"""The dotted names django-q2 stores: ``sync.tasks.<name>``.

Each task lives with its feature (:mod:`sync.pipeline.tasks`, :mod:`sync.exceptions.tasks`,
:mod:`sync.golive.tasks`, :mod:`sync.notifications.tasks`). This module stays, at this path, because
django-q2 keeps the dotted path of the function in its ``Schedule`` rows (written by
``sync_schedules_ensure`` and ``exceptions_schedules_ensure``) and in the tasks waiting in the broker;
moving the functions without it would break every installed schedule and every queued task. The code
enqueues these same names.
"""

from sync.catalogue.tasks import catalogue_sync
from sync.connections.tasks import connection_watch
from sync.exceptions.tasks import (
    exception_retries_send,
    exception_retry_run,
    exceptions_escalate_overdue_task,
    netsuite_lists_read_task,
    ticket_deliver_task,
    tickets_deliver_due_task,
)
from sync.golive.tasks import golive_apply_run, golive_scan_run
from sync.notifications.tasks import (
    notification_deliver_task,
    notification_event_dispatch_task,
    notifications_dispatch_task,
)
from sync.pipeline.tasks import (
    backfill_run,
    catch_up_poll,
    inbox_drain,
    interrupted_sweep,
    return_flow,
    served_pairs,
    worker_heartbeat,
)

__all__ = [
    "backfill_run",
    "catalogue_sync",
    "catch_up_poll",
    "connection_watch",
    "exception_retries_send",
    "exception_retry_run",
    "exceptions_escalate_overdue_task",
    "golive_apply_run",
    "golive_scan_run",
    "inbox_drain",
    "interrupted_sweep",
    "netsuite_lists_read_task",
    "notification_deliver_task",
    "notification_event_dispatch_task",
    "notifications_dispatch_task",
    "return_flow",
    "served_pairs",
    "ticket_deliver_task",
    "tickets_deliver_due_task",
    "worker_heartbeat",
]
