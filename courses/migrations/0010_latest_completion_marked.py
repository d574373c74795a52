"""Mark each enrolment's most recent completion (`is_latest`), so the refreshers coming up are
read from one partial index instead of a newest-of-its-enrolment subquery for every row: at
50,000 peers that subquery ran for every older round's completion too."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q


def mark_older_rounds(apps, schema_editor):
    CourseCompletion = apps.get_model("courses", "CourseCompletion")
    newer = CourseCompletion.objects.filter(enrolment=OuterRef("enrolment")).filter(
        Q(completed_at__gt=OuterRef("completed_at"))
        | Q(completed_at=OuterRef("completed_at"), pk__gt=OuterRef("pk"))
    )
    CourseCompletion.objects.filter(Exists(newer)).update(is_latest=False)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0009_records_kept_with_snapshots"),
    ]

    operations = [
        migrations.AddField(
            model_name="coursecompletion",
            name="is_latest",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.RunPython(mark_older_rounds, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="coursecompletion",
            index=models.Index(
                condition=models.Q(("is_latest", True)),
                fields=["refresher_due_at"],
                name="courses_latest_refresher_idx",
            ),
        ),
    ]
