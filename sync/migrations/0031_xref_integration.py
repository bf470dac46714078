"""Cross-references per integration (and shared ones), the two-way field ledger per integration;
cancellations per Salesforce org."""

import django.db.models.deletion
from django.db import migrations, models


def rows_to_primary(apps, schema_editor):
    """Every row written before integrations existed is the primary integration's."""
    Integration = apps.get_model("sync", "Integration")
    primary = Integration.objects.filter(is_primary=True).first()
    if primary is None:
        return
    for model in ("CrossReference", "SyncedFieldValue", "FieldConflict"):
        apps.get_model("sync", model).objects.filter(integration__isnull=True).update(integration=primary)


def integration_field():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="sync.integration",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0030_config_integration"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="cancellation",
            name="lifecycle_cancellation_unique",
        ),
        migrations.RemoveConstraint(
            model_name="crossreference",
            name="sync_xref_unique",
        ),
        migrations.RemoveConstraint(
            model_name="fieldconflict",
            name="sync_field_conflict_one_open",
        ),
        migrations.RemoveConstraint(
            model_name="syncedfieldvalue",
            name="sync_synced_field_value_unique",
        ),
        migrations.AddField(model_name="crossreference", name="integration", field=integration_field()),
        migrations.AddField(model_name="fieldconflict", name="integration", field=integration_field()),
        migrations.AddField(model_name="syncedfieldvalue", name="integration", field=integration_field()),
        migrations.AddField(
            model_name="crossreference",
            name="shared",
            field=models.BooleanField(default=False),
        ),
        migrations.AddConstraint(
            model_name="cancellation",
            constraint=models.UniqueConstraint(
                fields=("netsuite_connection", "salesforce_connection", "opportunity_id"),
                name="lifecycle_cancellation_unique_per_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="crossreference",
            constraint=models.UniqueConstraint(
                fields=("netsuite_connection", "integration", "netsuite_type", "external_id"),
                name="sync_xref_unique_per_integration",
            ),
        ),
        migrations.AddConstraint(
            model_name="fieldconflict",
            constraint=models.UniqueConstraint(
                condition=models.Q(("resolved_at__isnull", True)),
                fields=("netsuite_connection", "integration", "sobject", "salesforce_id", "field"),
                name="sync_field_conflict_one_open_per_integration",
            ),
        ),
        migrations.AddConstraint(
            model_name="syncedfieldvalue",
            constraint=models.UniqueConstraint(
                fields=("netsuite_connection", "integration", "sobject", "salesforce_id", "field"),
                name="sync_synced_field_value_unique_per_integration",
            ),
        ),
        # Last: on PostgreSQL a table with pending (deferred foreign key) trigger events after the update
        # cannot be altered in the same transaction. The old keys were unique without the integration, so the
        # rows stay unique once they all name the primary.
        migrations.RunPython(rows_to_primary, migrations.RunPython.noop),
    ]
