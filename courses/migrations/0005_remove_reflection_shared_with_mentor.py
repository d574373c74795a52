"""Drop the old "shared with my mentor" flag. Where the mentoring app is installed, its migration
0003 runs first and keeps each share that can be attached to a mentorship safely; every other
shared reflection becomes private again, which is the safe side: the peer can share it anew."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0004_reflection_share"),
    ]

    operations = [
        migrations.RemoveField(model_name="reflection", name="shared_with_mentor"),
    ]
