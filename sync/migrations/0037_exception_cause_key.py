"""Exceptions learn their cause key (issue 24: grouped by cause); the existing ones get theirs.

The backfill computes each key with :func:`sync.exceptions.causes.cause_key_for`, the function intake
uses, so old and new exceptions of one cause land in one group. Mismatch exceptions raised before this
migration do not know their run: they group by check and finding alone until a run sees them again.
"""

from typing import Any

from django.db import migrations, models

from sync.exceptions.causes import cause_key_for

BATCH = 2000


def cause_keys_backfill(apps: Any, schema_editor: Any) -> None:
    item_model = apps.get_model("sync", "ExceptionItem")
    categories = dict(apps.get_model("sync", "ExceptionCategory").objects.values_list("pk", "key"))
    items = item_model.objects.order_by("pk").only(
        "category_id",
        "integration_id",
        "vendor_code",
        "vendor_message",
        "error_path",
        "mapping_row",
        "rule",
        "details",
    )
    batch = []
    for item in items.iterator(chunk_size=BATCH):
        item.cause_key = cause_key_for(
            category=categories.get(item.category_id, ""),
            integration_id=item.integration_id,
            vendor_code=item.vendor_code,
            vendor_message=item.vendor_message,
            error_path=item.error_path,
            mapping_row=item.mapping_row,
            rule=item.rule,
            details=item.details,
        )
        if item.cause_key:
            batch.append(item)
        if len(batch) >= BATCH:
            item_model.objects.bulk_update(batch, ["cause_key"])
            batch = []
    if batch:
        item_model.objects.bulk_update(batch, ["cause_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0036_connection_currency"),
    ]

    operations = [
        migrations.AddField(
            model_name="exceptionitem",
            name="cause_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=40),
        ),
        migrations.AddIndex(
            model_name="exceptionitem",
            index=models.Index(fields=["cause_key", "status"], name="exception_cause_status"),
        ),
        migrations.RunPython(cause_keys_backfill, migrations.RunPython.noop),
    ]
