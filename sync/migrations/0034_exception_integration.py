import django.db.models.deletion
from django.db import migrations, models


def existing_to_primary(apps, schema_editor):
    """Exceptions raised before integrations existed were all the primary integration's (one pair)."""
    Integration = apps.get_model("sync", "Integration")
    ExceptionItem = apps.get_model("sync", "ExceptionItem")
    primary = Integration.objects.filter(is_primary=True).first()
    if primary is not None:
        ExceptionItem.objects.filter(integration__isnull=True).update(integration=primary)


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0033_integration_status_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="exceptionitem",
            name="integration",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="exceptions",
                to="sync.integration",
            ),
        ),
        migrations.RunPython(existing_to_primary, migrations.RunPython.noop),
    ]
