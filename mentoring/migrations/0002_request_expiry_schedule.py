from datetime import timedelta

from django.db import migrations
from django.utils import timezone

NAME = "Expire unanswered mentor requests"


def schedule_expiry(apps, schema_editor):
    """An hourly django-q2 schedule that lapses requests nobody answered in time."""
    Schedule = apps.get_model("django_q", "Schedule")
    first_run = timezone.now().replace(minute=5, second=0, microsecond=0) + timedelta(hours=1)
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={"func": "mentoring.tasks.expire_mentor_requests", "schedule_type": "H",
                  "repeats": -1, "next_run": first_run},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mentoring", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_expiry, unschedule)]
