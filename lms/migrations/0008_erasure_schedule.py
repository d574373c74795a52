from datetime import timedelta

from django.db import migrations
from django.utils import timezone

NAME = "Erase people whose grace period is over"


def schedule_erasures(apps, schema_editor):
    """An hourly django-q2 schedule that carries out erasures once their grace period is over."""
    Schedule = apps.get_model("django_q", "Schedule")
    first_run = timezone.now().replace(minute=20, second=0, microsecond=0) + timedelta(hours=1)
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={"func": "lms.tasks.erase_due_people", "schedule_type": "H",
                  "repeats": -1, "next_run": first_run},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0007_erasure_request_and_audit_refs"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_erasures, unschedule)]
