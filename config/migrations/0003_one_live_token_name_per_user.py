from django.conf import settings
from django.db import migrations, models


def rename_live_twins(apps, schema_editor):
    """Live tokens that share a user and a name (allowed before): the oldest keeps the name, each
    later one gets its key prefix appended ("salesforce (3fa2b1c0)"); every token keeps working."""
    ApiToken = apps.get_model("config", "ApiToken")
    seen = set()
    for token in ApiToken.objects.filter(revoked_at__isnull=True).order_by("created_at", "id"):
        if (token.user_id, token.name) in seen:
            suffix = f" ({token.prefix})"
            token.name = token.name[: 100 - len(suffix)] + suffix
            token.save(update_fields=["name"])
        seen.add((token.user_id, token.name))


class Migration(migrations.Migration):
    dependencies = [
        ("config", "0002_defaults"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(rename_live_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("user", "name"),
                name="one_live_token_name_per_user",
            ),
        ),
    ]
