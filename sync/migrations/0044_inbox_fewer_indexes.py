"""Four indexes of sync_inboxmessage that no query needs (issue 26, ingest on PostgreSQL).

Every listener request inserts a row, and a worker updates it twice (claim, completion), each time
changing indexed columns, so PostgreSQL writes every index of the table three times per notification.
Dropped, each checked with EXPLAIN on 200,000 rows against every query of the inbox (claim, set-aside,
completion, the dashboard's waiting rows, the inbox page, traceability, retention, a connection's PROTECT
check):

- ``sync_inbox_claimable`` (status, lease_until): the claim and the set-aside read inbox_status_received
  instead (status first; the few claimed rows are filtered on their lease);
- the ``varchar_pattern_ops`` twins Django adds on PostgreSQL for ``notification_id`` (unique) and
  ``record_id`` (db_index): they serve only LIKE 'prefix%', which no query uses; equality and IN read the
  plain b-tree indexes that stay;
- ``salesforce_connection_id`` alone: the first column of inbox_sf_received, which serves the same reads.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLE = "sync_inboxmessage"
PATTERN_COLUMNS = ("notification_id", "record_id")


def _like_name(schema_editor: BaseDatabaseSchemaEditor, column: str) -> str:
    # The name Django gave it (schema_editor._create_like_index_sql uses the same call).
    return schema_editor._create_index_name(TABLE, [column], suffix="_like")


def drop_pattern_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # only PostgreSQL's backend creates them
    for column in PATTERN_COLUMNS:
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {schema_editor.quote_name(_like_name(schema_editor, column))}"
        )


def create_pattern_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in PATTERN_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(_like_name(schema_editor, column))} "
            f"ON {schema_editor.quote_name(TABLE)} ({schema_editor.quote_name(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0043_retention"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="inboxmessage", name="sync_inbox_claimable"),
        migrations.AlterField(
            model_name="inboxmessage",
            name="salesforce_connection",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="sync.connection",
            ),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes, elidable=False),
    ]
