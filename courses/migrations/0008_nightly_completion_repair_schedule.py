from datetime import datetime, time, timedelta

from django.db import migrations
from django.utils import timezone

NAME = "Nightly course completion repair"


def schedule_repair(apps, schema_editor):
    """A daily django-q2 schedule that first runs at 02:45 tonight (local time)."""
    Schedule = apps.get_model("django_q", "Schedule")
    tonight = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), time(2, 45))
    )
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={
            "func": "courses.tasks.repair_course_completions",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": tonight,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0007_completion_needs_finishing"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_repair, unschedule)]
