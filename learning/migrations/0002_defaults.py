from django.db import migrations

ACTIVITY_POINTS = {
    "email_open": 1,
    "email_click": 3,
    "page_visit": 2,
    "pricing_visit": 10,
    "download": 5,
    "webinar": 8,
    "demo_request": 25,
    "meeting": 15,
    "call": 5,
}
PROFILE_POINTS = [
    ("seniority", "c-level", 15),
    ("seniority", "vp", 12),
    ("seniority", "director", 8),
    ("seniority", "individual contributor", -5),
    ("source", "referral", 10),
    ("source", "event", 5),
]


def create_defaults(apps, schema_editor):
    apps.get_model("learning", "LoopSettings").objects.get_or_create(pk=1)
    apps.get_model("learning", "LoopState").objects.get_or_create(pk=1)
    PointRule = apps.get_model("learning", "PointRule")
    for kind, points in ACTIVITY_POINTS.items():
        PointRule.objects.get_or_create(kind="activity", field="", value=kind, defaults={"points": points})
    for field, value, points in PROFILE_POINTS:
        PointRule.objects.get_or_create(kind="profile", field=field, value=value, defaults={"points": points})


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
