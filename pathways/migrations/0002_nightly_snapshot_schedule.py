from datetime import datetime, time, timedelta

from django.db import migrations
from django.utils import timezone


def schedule_snapshots(apps, schema_editor):
    """A daily django-q2 schedule that first runs at 02:15 tonight (local time)."""
    Schedule = apps.get_model("django_q", "Schedule")
    tonight = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), time(2, 15)))
    Schedule.objects.get_or_create(
        name="Nightly readiness snapshots",
        defaults={"func": "pathways.tasks.take_readiness_snapshots", "schedule_type": "D",
                  "repeats": -1, "next_run": tonight},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name="Nightly readiness snapshots").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0001_pathways"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_snapshots, unschedule)]
