from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sync", "0020_listener_token_hash")]

    operations = [
        migrations.AddField(
            model_name="listener",
            name="last_received_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="listener",
            name="last_test_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
