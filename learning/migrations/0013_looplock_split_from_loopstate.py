# The loop's lock and heartbeat move from LoopState (bumped by every label) to a row of their own,
# LoopLock, carrying over what the state row held. The singleton rows (settings, state, lock) are
# made here; code reads a missing row as the defaults and the first write makes it.

from django.db import migrations, models

LOCK_FIELDS = ("running_since", "claimed_by", "heartbeat_at", "last_error")


def lock_from_state(apps, schema_editor):
    LoopLock = apps.get_model("learning", "LoopLock")
    LoopSettings = apps.get_model("learning", "LoopSettings")
    LoopState = apps.get_model("learning", "LoopState")
    state = LoopState.objects.filter(pk=1).first()
    carried = {name: getattr(state, name) for name in LOCK_FIELDS} if state else {}
    LoopLock.objects.update_or_create(pk=1, defaults=carried)
    LoopState.objects.get_or_create(pk=1)
    LoopSettings.objects.get_or_create(pk=1)


def state_from_lock(apps, schema_editor):
    LoopLock = apps.get_model("learning", "LoopLock")
    LoopState = apps.get_model("learning", "LoopState")
    lock = LoopLock.objects.filter(pk=1).first()
    if lock is not None:
        LoopState.objects.update_or_create(pk=1, defaults={name: getattr(lock, name) for name in LOCK_FIELDS})


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0012_modelversion_drop_unused_kind"),
    ]

    operations = [
        migrations.CreateModel(
            name="LoopLock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("running_since", models.DateTimeField(blank=True, null=True)),
                ("claimed_by", models.CharField(blank=True, max_length=200)),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
            ],
        ),
        migrations.RunPython(lock_from_state, state_from_lock),
        migrations.RemoveField(model_name="loopstate", name="running_since"),
        migrations.RemoveField(model_name="loopstate", name="claimed_by"),
        migrations.RemoveField(model_name="loopstate", name="heartbeat_at"),
        migrations.RemoveField(model_name="loopstate", name="last_error"),
    ]
