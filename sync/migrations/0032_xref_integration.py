"""Cross-references per integration (and shared ones); cancellations per Salesforce org."""

import django.db.models.deletion
from django.db import migrations, models


def xrefs_to_primary(apps, schema_editor):
    """Every cross-reference written before integrations existed is the primary integration's."""
    Integration = apps.get_model("sync", "Integration")
    CrossReference = apps.get_model("sync", "CrossReference")
    primary = Integration.objects.filter(is_primary=True).first()
    if primary is not None:
        CrossReference.objects.filter(integration__isnull=True).update(integration=primary)


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0029_integrations"),
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
        migrations.AddField(
            model_name="crossreference",
            name="integration",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="sync.integration",
            ),
        ),
        migrations.AddField(
            model_name="crossreference",
            name="shared",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(xrefs_to_primary, migrations.RunPython.noop),
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
    ]
