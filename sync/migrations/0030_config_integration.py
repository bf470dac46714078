"""Flows, lookup tables and rules belong to an integration; dynamic lookup answers to a NetSuite account.

Existing configuration is the primary integration's. Cached dynamic lookup answers are kept for the primary
integration's NetSuite connection when it has one; otherwise they are dropped (a cache: the next sync asks
NetSuite again).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import sync.mappings.models
import sync.rules.models


def primary_fill(apps, schema_editor):
    Integration = apps.get_model("sync", "Integration")
    primary = Integration.objects.filter(is_primary=True).first()
    if primary is None:
        primary = Integration.objects.create(name="primary", label="Primary", namespace="", is_primary=True)
    for model in ("Flow", "LookupTable", "Rule"):
        apps.get_model("sync", model).objects.filter(integration__isnull=True).update(integration=primary)
    entries = apps.get_model("sync", "DynamicLookupEntry").objects.filter(netsuite_connection__isnull=True)
    if primary.netsuite_connection_id is not None:
        entries.update(netsuite_connection_id=primary.netsuite_connection_id)
    else:
        entries.delete()


def integration_field(default, related_name, *, null=False):
    return models.ForeignKey(
        default=None if null else default,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="sync.integration",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0029_integrations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="dynamiclookupentry",
            options={"ordering": ["netsuite_connection", "source", "key"]},
        ),
        migrations.AlterModelOptions(
            name="flow",
            options={
                "ordering": ["integration_id", "key"],
                "permissions": [("operate_flow", "Edit this flow's mapping drafts and submit them")],
            },
        ),
        migrations.AlterModelOptions(name="lookuptable", options={"ordering": ["integration_id", "name"]}),
        migrations.AlterModelOptions(name="rule", options={"ordering": ["integration_id", "key"]}),
        migrations.RemoveConstraint(model_name="dynamiclookupentry", name="dynamic_lookup_key_unique"),
        migrations.AddField(
            model_name="dynamiclookupentry",
            name="netsuite_connection",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sync.connection"
            ),
        ),
        migrations.AddField(
            model_name="flow",
            name="integration",
            field=integration_field(sync.mappings.models.primary_integration_id, "flows", null=True),
        ),
        migrations.AddField(
            model_name="lookuptable",
            name="integration",
            field=integration_field(sync.mappings.models.primary_integration_id, "lookup_tables", null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="integration",
            field=integration_field(sync.rules.models.primary_integration_id, "rules", null=True),
        ),
        migrations.RunPython(primary_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dynamiclookupentry",
            name="netsuite_connection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sync.connection"
            ),
        ),
        migrations.AlterField(
            model_name="flow",
            name="integration",
            field=integration_field(sync.mappings.models.primary_integration_id, "flows"),
        ),
        migrations.AlterField(
            model_name="lookuptable",
            name="integration",
            field=integration_field(sync.mappings.models.primary_integration_id, "lookup_tables"),
        ),
        migrations.AlterField(
            model_name="rule",
            name="integration",
            field=integration_field(sync.rules.models.primary_integration_id, "rules"),
        ),
        migrations.AlterField(model_name="flow", name="key", field=models.SlugField(max_length=80)),
        migrations.AlterField(model_name="lookuptable", name="name", field=models.SlugField(max_length=80)),
        migrations.AlterField(
            model_name="rule",
            name="key",
            field=models.SlugField(help_text="Stable name, e.g. amount_matches_quote", max_length=80),
        ),
        migrations.AddConstraint(
            model_name="dynamiclookupentry",
            constraint=models.UniqueConstraint(
                fields=("netsuite_connection", "source", "key"), name="dynamic_lookup_connection_key_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="flow",
            constraint=models.UniqueConstraint(
                fields=("integration", "key"), name="flow_integration_key_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="lookuptable",
            constraint=models.UniqueConstraint(
                fields=("integration", "name"), name="lookup_table_integration_name_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="rule",
            constraint=models.UniqueConstraint(
                fields=("integration", "key"), name="rule_integration_key_unique"
            ),
        ),
    ]
