from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0025_connection_metadata"),
    ]

    operations = [
        migrations.AddField(
            model_name="fieldmapping",
            name="optional",
            field=models.BooleanField(
                default=False,
                help_text="Skip this row where the connected systems lack its source or target field",
            ),
        ),
    ]
