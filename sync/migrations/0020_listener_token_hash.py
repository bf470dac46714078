"""Listener URL tokens are stored hashed: each existing token's SHA-256 replaces it (the URLs Salesforce
already posts to keep working), then the plain column goes."""

import hashlib

from django.db import migrations, models


def hash_existing_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    Listener = apps.get_model("sync", "Listener")
    for listener in Listener.objects.all().only("pk", "path_token"):
        digest = hashlib.sha256(listener.path_token.encode()).hexdigest()
        Listener.objects.filter(pk=listener.pk).update(path_token_hash=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0019_interrupted_work"),
    ]

    operations = [
        migrations.AddField(
            model_name="listener",
            name="path_token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        # Not reversible: a hash does not give the token back.
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="listener", name="path_token"),
        migrations.AlterField(
            model_name="listener",
            name="path_token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
