from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The audit log is read newest first as two lists, imports and everything else: a partial index
    for each, in that order (config.audit.audit_entries)."""

    dependencies = [
        ("config", "0003_one_live_token_name_per_user"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(
                condition=models.Q(("action__startswith", "import.")),
                fields=["-created_at", "-id"],
                name="auditlog_imports_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(
                condition=models.Q(("action__startswith", "import."), _negated=True),
                fields=["-created_at", "-id"],
                name="auditlog_changes_newest",
            ),
        ),
    ]
