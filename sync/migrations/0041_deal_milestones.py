"""Each deal's milestones (won, ordered, invoiced, brought in by a backfill), written by the pipeline from
now on, and filled in here from the rows the dashboard's quote to cash read until now."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Min

# Inbox sources that report a deal as it is won (sync.pipeline.milestones.WON_SOURCES, as of this migration).
WON_SOURCES = ("outbound_message", "webhook", "poll")
MOMENTS = ("won_at", "ordered_at", "invoiced_at", "backfilled_at")
BATCH = 1000


def _earliest_upsert(schema_editor, DealMilestone, column, rows):
    """Upsert ``column`` of each (integration id, opportunity id, moment) to the earliest moment."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    field = DealMilestone._meta.get_field(column)
    table = quote(DealMilestone._meta.db_table)
    target = quote(column)
    columns = ", ".join(quote(name) for name in ("integration_id", "opportunity_id", *MOMENTS))
    placeholders = "(%s, %s, " + ", ".join("%s" if name == column else "NULL" for name in MOMENTS) + ")"
    earliest = {}
    for integration_id, opportunity_id, at in rows:
        key = (integration_id, opportunity_id)
        if opportunity_id and at is not None and (key not in earliest or at < earliest[key]):
            earliest[key] = at
    items = list(earliest.items())
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        params = []
        for (integration_id, opportunity_id), at in batch:
            params += [integration_id, opportunity_id, field.get_db_prep_save(at, connection)]
        with connection.cursor() as cursor:
            # Identifiers from the model's metadata, quoted; every value a bound parameter.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(batch))} "  # noqa: S608
                f"ON CONFLICT ({quote('integration_id')}, {quote('opportunity_id')}) "
                f"DO UPDATE SET {target} = excluded.{target} "
                f"WHERE {table}.{target} IS NULL OR {table}.{target} > excluded.{target}",
                params,
            )


def _chunks(rows, size=20_000):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def milestones_from_history(apps, schema_editor):
    """What quote to cash worked out at each look: a deal's first Opportunity event from a source that
    reports a win, its first synced record, its first synced invoice, and whether a backfill job read it;
    each under the integration of its org (an org no integration claims: the primary). Read in aggregate
    queries and written a chunk at a time, so a million inbox events need no million objects at once."""
    Integration = apps.get_model("sync", "Integration")
    primary = Integration.objects.filter(is_primary=True).values_list("pk", flat=True).first()
    by_org = {}
    for row in Integration.objects.all():
        for org in (row.salesforce_connection_id, row.sandbox_salesforce_connection_id):
            if org is not None:
                by_org[org] = row.pk

    def of_org(org):
        return by_org.get(org, primary)

    DealMilestone = apps.get_model("sync", "DealMilestone")
    InboxMessage = apps.get_model("sync", "InboxMessage")
    SyncRecord = apps.get_model("sync", "SyncRecord")
    SyncedInvoice = apps.get_model("sync", "SyncedInvoice")
    sources = (
        (
            "won_at",
            InboxMessage.objects.filter(sobject="Opportunity", source__in=WON_SOURCES)
            .values_list("salesforce_connection_id", "record_id")
            .annotate(first=Min("received_at")),
            of_org,
        ),
        (
            "ordered_at",
            SyncRecord.objects.filter(status="synced")
            .values_list("job__salesforce_connection_id", "opportunity_id")
            .annotate(first=Min("finished_at")),
            of_org,
        ),
        (
            "invoiced_at",
            SyncedInvoice.objects.exclude(opportunity_id="")
            .values_list("integration_id", "opportunity_id")
            .annotate(first=Min("first_synced_at")),
            lambda integration_id: integration_id if integration_id is not None else primary,
        ),
        (
            "backfilled_at",
            SyncRecord.objects.filter(job__trigger="backfill")
            .values_list("job__salesforce_connection_id", "opportunity_id")
            .annotate(first=Min("job__started_at")),
            of_org,
        ),
    )
    for column, rows, integration_of in sources:
        for chunk in _chunks(rows.order_by().iterator(chunk_size=5000)):
            found = [(integration_of(owner), opportunity_id, at) for owner, opportunity_id, at in chunk]
            # No integration at all (a database without a primary): nothing to place such a row under.
            found = [row for row in found if row[0] is not None]
            _earliest_upsert(schema_editor, DealMilestone, column, found)


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0040_volume_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="DealMilestone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("opportunity_id", models.CharField(max_length=18)),
                ("won_at", models.DateTimeField(blank=True, null=True)),
                ("ordered_at", models.DateTimeField(blank=True, null=True)),
                ("invoiced_at", models.DateTimeField(blank=True, null=True)),
                ("backfilled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "integration",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sync.integration"
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["integration", "won_at"],
                        include=("opportunity_id", "ordered_at", "invoiced_at", "backfilled_at"),
                        name="milestone_integration_won",
                    ),
                    models.Index(
                        fields=["won_at"],
                        include=(
                            "integration",
                            "opportunity_id",
                            "ordered_at",
                            "invoiced_at",
                            "backfilled_at",
                        ),
                        name="milestone_won",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("integration", "opportunity_id"), name="deal_milestone_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(milestones_from_history, migrations.RunPython.noop, elidable=True),
    ]
