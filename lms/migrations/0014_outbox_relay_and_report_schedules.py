from datetime import datetime, time, timedelta

from django.db import migrations
from django.utils import timezone

RELAY = "Hand over queued background tasks (outbox relay)"
REPORT = "Report stale side effects and given-up tasks"


def schedule(apps, schema_editor):
    """The outbox relay every minute, and the nightly report at 03:45 (local time)."""
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=RELAY,
        defaults={
            "func": "lms.tasks.relay_background_tasks",
            "schedule_type": "I",  # minutes
            "minutes": 1,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )
    Schedule.objects.get_or_create(
        name=REPORT,
        defaults={
            "func": "lms.tasks.report_background_work",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": timezone.make_aware(
                datetime.combine(timezone.localdate() + timedelta(days=1), time(3, 45))
            ),
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[RELAY, REPORT]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0013_outbox_and_side_effects"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
