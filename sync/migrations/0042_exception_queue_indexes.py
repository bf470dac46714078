"""The queue at volume: trigram indexes (pg_trgm, PostgreSQL only) on what a search reads, and the active
exceptions' causes indexed for the groups page and the queue's group sizes (every database).

The queue searches the title, the vendor's message and the records (ids, names) case-insensitively and
the dedup key as it is, for text anywhere in them (``sync.exceptions.queue._search_condition``). A
B-tree cannot serve ``LIKE '%acme%'``; a GIN trigram index on the very expression Django writes
(``UPPER("title"::text)``...) can, so the search is a Bitmap Index Scan per column, OR-ed, instead of a
sequential scan of every exception. On SQLite (the demo, the tests) there is no such index and nothing
is done: the migration is a no-op there, and the indexes live outside the model state (Django's
``GinIndex`` would be created on SQLite too, and fail).
"""

from django.db import migrations, models

# (index name, the indexed expression exactly as Django's lookups write it on PostgreSQL)
INDEXES = (
    ("exception_title_trgm", 'UPPER(("title")::text)'),
    ("exception_message_trgm", 'UPPER(("vendor_message")::text)'),
    ("exception_records_trgm", 'UPPER(("records")::text)'),
    ("exception_dedup_trgm", '(("dedup_key")::text)'),
)


def trigram_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    table = schema_editor.quote_name(apps.get_model("sync", "ExceptionItem")._meta.db_table)
    for name, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")
    # The extension stays: other databases objects may use it, and it costs nothing unused.


class Migration(migrations.Migration):
    dependencies = [("sync", "0041_deal_milestones")]

    operations = [
        migrations.RunPython(trigram_indexes_create, trigram_indexes_drop),
        migrations.AddIndex(
            model_name="exceptionitem",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "in_progress", "pending_approval"])),
                fields=["cause_key", "integration"],
                include=("status", "first_seen", "last_seen", "retry_task", "id"),
                name="exception_active_cause",
            ),
        ),
    ]
