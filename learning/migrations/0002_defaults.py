from django.db import migrations

from learning.defaults import learning_defaults_create


def create(apps, schema_editor):
    learning_defaults_create(apps)


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
