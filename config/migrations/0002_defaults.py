from django.db import migrations

from config.defaults import roles_create


def create(apps, schema_editor):
    roles_create(apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [("config", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
