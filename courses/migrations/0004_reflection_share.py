"""Consent to read a reflection names a person and the relationship it was given in.

Until now a reflection carried one "shared with my mentor" flag, with no person and no time, so a
reflection shared while a peer had no mentor became readable by whichever mentor came later. This
migration adds `ReflectionShare`; the mentoring app's migration 0003 then turns each old flag into
a share with the mentorship it could only have been meant for, or unshares it, and 0005 here
removes the flag.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0003_enrolment_round"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReflectionShare",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("relationship", models.CharField(help_text="The relationship the consent was given in, e.g. mentorship:42.", max_length=64)),
                ("shared_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("reflection", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="shares", to="courses.reflection")),
                ("shared_with", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-shared_at"],
                "indexes": [models.Index(fields=["relationship", "ended_at"], name="courses_ref_relatio_57bcab_idx")],
                "constraints": [models.UniqueConstraint(condition=models.Q(("ended_at__isnull", True)), fields=("reflection", "relationship"), name="courses_one_open_share_per_relationship")],
            },
        ),
    ]
