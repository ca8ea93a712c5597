from django.db import migrations, models

DEFAULT_ACTIONS = [
    ("call_now", "Call now", 800.0, [{"field": "score", "op": ">=", "value": 0.5}]),
    (
        "book_demo",
        "Offer a demo",
        600.0,
        [{"field": "score", "op": ">=", "value": 0.25}, {"field": "employees", "op": ">=", "value": 51.0}],
    ),
    (
        "partner_handoff",
        "Hand to a partner agency",
        250.0,
        [{"field": "employees", "op": "<=", "value": 50.0}],
    ),
    ("nurture_email", "Nurture email", 60.0, [{"field": "score", "op": "<", "value": 0.5}]),
    ("disqualify", "Disqualify", 10.0, [{"field": "score", "op": "<", "value": 0.05}]),
]


def create_actions(apps, schema_editor):
    NextAction = apps.get_model("learning", "NextAction")
    for position, (code, label, value, rules) in enumerate(DEFAULT_ACTIONS):
        NextAction.objects.get_or_create(
            code=code, defaults={"label": label, "value": value, "rules": rules, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("learning", "0003_model_last_label_id")]

    operations = [
        migrations.AddField(
            model_name="loopsettings",
            name="retrain_every_labels",
            field=models.PositiveIntegerField(default=1, help_text="retrain once this many new labels are waiting"),
        ),
        migrations.AddField(
            model_name="loopsettings",
            name="retrain_every_minutes",
            field=models.PositiveIntegerField(
                default=0, help_text="also retrain when any label has waited this long (0: only by count)"
            ),
        ),
        migrations.CreateModel(
            name="NextAction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(unique=True)),
                ("label", models.CharField(max_length=100)),
                ("value", models.FloatField(help_text="what the action is worth when the lead converts")),
                (
                    "rules",
                    models.JSONField(blank=True, default=list, help_text='[{"field", "op", "value"}], all must hold'),
                ),
                ("active", models.BooleanField(default=True)),
                ("position", models.PositiveSmallIntegerField(default=0)),
            ],
            options={"ordering": ["position", "code"]},
        ),
        migrations.RunPython(create_actions, migrations.RunPython.noop),
    ]
