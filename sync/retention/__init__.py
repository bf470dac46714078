"""Retention: how long finished sync history is kept, the daily counts that outlive it, and the prune.

Life cycle of a row of history: a job (with its records) is counted into :class:`DailyCount` once its day
is over and no job of that day still runs (the rollup, which also keeps ``/metrics`` from reading all of
history); a done inbox message and a resolved or ignored exception are counted when they are pruned. The
prune then deletes, in bounded batches, what is older than the policy's days and referenced by nothing
live. The audit trail is never pruned. docs/retention.md says what is kept and why.
"""
