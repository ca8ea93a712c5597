from django.db import migrations

from feedback.taxonomy import default_reasons_apply


def apply_defaults(apps, schema_editor):
    default_reasons_apply(apps.get_model("feedback", "Reason"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_label_fields_propensity_outcome_at")]
    operations = [migrations.RunPython(apply_defaults, migrations.RunPython.noop)]
