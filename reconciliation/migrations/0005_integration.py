"""Runs per integration (existing runs are the primary integration's), mismatch details, money totals."""

import django.db.models.deletion
from django.db import migrations, models


def runs_to_primary(apps, schema_editor):
    Integration = apps.get_model("sync", "Integration")
    ReconciliationRun = apps.get_model("reconciliation", "ReconciliationRun")
    primary = Integration.objects.filter(is_primary=True).first()
    if primary is not None:
        ReconciliationRun.objects.filter(integration__isnull=True).update(integration=primary)


class Migration(migrations.Migration):

    dependencies = [
        ("reconciliation", "0004_subscription_check"),
        ("sync", "0029_integrations"),
    ]

    operations = [
        migrations.AddField(
            model_name="reconciliationrun",
            name="integration",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reconciliation_runs",
                to="sync.integration",
            ),
        ),
        migrations.AddField(
            model_name="reconciliationrun",
            name="totals",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="mismatch",
            name="details",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(runs_to_primary, migrations.RunPython.noop),
    ]
