from datetime import datetime, time, timedelta

from django.db import migrations
from django.utils import timezone

NAME = "Remove records past their retention period"


def schedule_retention(apps, schema_editor):
    """A daily django-q2 schedule that first runs at 03:30 tonight (local time), after the
    readiness snapshots."""
    Schedule = apps.get_model("django_q", "Schedule")
    tonight = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), time(3, 30))
    )
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={
            "func": "lms.tasks.apply_retention",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": tonight,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0011_organisation_privacy_contact"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_retention, unschedule)]
