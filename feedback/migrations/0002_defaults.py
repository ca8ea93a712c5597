from django.db import migrations

from feedback.taxonomy import default_reasons_create


def create(apps, schema_editor):
    default_reasons_create(apps.get_model("feedback", "Reason"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
