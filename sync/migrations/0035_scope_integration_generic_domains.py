"""Order locks and synced invoices name their integration (ids collide across orgs); the operator's
generic e-mail domains for matching."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _integration_of_org(Integration, primary):
    """A function: Salesforce connection id -> the integration that runs the org (unclaimed: primary)."""
    by_org = {}
    for row in Integration.objects.all():
        for org in (row.salesforce_connection_id, row.sandbox_salesforce_connection_id):
            if org is not None:
                by_org[org] = row.pk
    return lambda org: by_org.get(org, primary.pk)


def rows_to_their_integration(apps, schema_editor):
    """Each existing row to the integration its NetSuite record was written for: an order lock through the
    sales order's cross-reference, an invoice through the return flow's row that read it (its job's
    org); a row neither places, and a field conflict naming none, to the primary (rows written before
    integrations existed were all its)."""
    Integration = apps.get_model("sync", "Integration")
    primary = Integration.objects.filter(is_primary=True).first()
    if primary is None:
        return
    of_org = _integration_of_org(Integration, primary)
    CrossReference = apps.get_model("sync", "CrossReference")
    ReturnRecord = apps.get_model("sync", "ReturnRecord")
    OrderLock = apps.get_model("sync", "OrderLock")
    for lock in OrderLock.objects.filter(integration__isnull=True):
        xref = (
            CrossReference.objects.filter(
                netsuite_connection_id=lock.netsuite_connection_id,
                netsuite_type="salesOrder",
                netsuite_id=lock.sales_order_id,
                integration__isnull=False,
            )
            .order_by("-synced_at")
            .first()
        )
        lock.integration_id = xref.integration_id if xref is not None else primary.pk
        lock.save(update_fields=["integration"])
    SyncedInvoice = apps.get_model("sync", "SyncedInvoice")
    for invoice in SyncedInvoice.objects.filter(integration__isnull=True):
        read = (
            ReturnRecord.objects.filter(
                netsuite_type="invoice",
                netsuite_id=invoice.netsuite_id,
                job__netsuite_connection_id=invoice.netsuite_connection_id,
            )
            .select_related("job")
            .order_by("-id")
            .first()
        )
        invoice.integration_id = of_org(read.job.salesforce_connection_id) if read is not None else primary.pk
        invoice.save(update_fields=["integration"])
    apps.get_model("sync", "FieldConflict").objects.filter(integration__isnull=True).update(
        integration=primary
    )


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
        ("sync", "0034_exception_integration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="orderlock", name="integration", field=integration_field()),
        migrations.AddField(model_name="syncedinvoice", name="integration", field=integration_field()),
        migrations.CreateModel(
            name="GenericEmailDomain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("domain", models.CharField(max_length=253, unique=True)),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("added_at", models.DateTimeField()),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "generic e-mail domain",
                "ordering": ["domain"],
            },
        ),
        # Last (see 0031): on PostgreSQL a table with pending trigger events cannot be altered afterwards
        # in the same transaction.
        migrations.RunPython(rows_to_their_integration, migrations.RunPython.noop),
    ]
