from django.db import migrations

REASONS = [
    ("budget_approved", "Budget approved", "converted"),
    ("urgent_pain", "Urgent pain", "converted"),
    ("champion", "Strong internal champion", "converted"),
    ("strong_fit", "Strong product fit", "converted"),
    ("price_value", "Clear value for the price", "converted"),
    ("no_budget", "No budget", "not_converted"),
    ("bad_timing", "Bad timing", "not_converted"),
    ("no_authority", "No decision authority", "not_converted"),
    ("competitor", "Chose a competitor", "not_converted"),
    ("poor_fit", "Poor fit", "not_converted"),
    ("unresponsive", "Went silent", "not_converted"),
]


def create_reasons(apps, schema_editor):
    Reason = apps.get_model("feedback", "Reason")
    for position, (code, label, outcome) in enumerate(REASONS):
        Reason.objects.get_or_create(code=code, defaults={"label": label, "outcome": outcome, "position": position})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [migrations.RunPython(create_reasons, migrations.RunPython.noop)]
