from django.db import migrations, models

OLD = {"strategy": "weighted", "exploration": 0.2}
NEW = {"strategy": "representative", "exploration": 0.2}


def follow_new_default(apps, schema_editor):
    """Settings still at the old factory defaults, never saved by an admin, take the new ones."""
    apps.get_model("learning", "LoopSettings").objects.filter(updated_by__isnull=True, **OLD).update(**NEW)


def back_to_old_default(apps, schema_editor):
    apps.get_model("learning", "LoopSettings").objects.filter(updated_by__isnull=True, **NEW).update(**OLD)


class Migration(migrations.Migration):
    dependencies = [("learning", "0010_merge_20261125_0407")]

    operations = [
        migrations.AlterField(
            model_name="loopsettings",
            name="strategy",
            field=models.CharField(
                choices=[
                    ("representative", "representative"),
                    ("weighted", "weighted"),
                    ("balanced", "balanced"),
                    ("diverse", "diverse"),
                    ("uncertainty", "uncertainty"),
                    ("margin", "margin"),
                    ("entropy", "entropy"),
                    ("random", "random"),
                ],
                default="representative",
                max_length=20,
            ),
        ),
        migrations.RunPython(follow_new_default, back_to_old_default),
    ]
