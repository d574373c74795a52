"""Turn each old "shared with my mentor" flag into consent that names a mentor and a mentorship.

The flag recorded neither who nor when. A reflection is attached to the peer's current (active or
paused) mentorship only when that mentorship had already begun when the reflection was written:
then, whenever the peer pressed "share", this mentor was the one they shared with. Every other
shared reflection (no mentor now, or a mentorship that began after the reflection was written,
so the share may have been made before this mentor existed) is made private again. The peer can
share it again, with the mentor named on the page. The share's time is the migration's, since
the real one was never recorded. Going backwards puts the flag back on every open share.
"""

from django.db import migrations
from django.utils import timezone

CURRENT = ["active", "paused"]


def _mentorship_to_attach(Mentorship, reflection):
    return (
        Mentorship.objects.filter(trainee_id=reflection.user_id, status__in=CURRENT)
        .filter(started_at__lte=reflection.created_at)
        .first()
    )


def attach_or_unshare(apps, schema_editor):
    Reflection = apps.get_model("courses", "Reflection")
    ReflectionShare = apps.get_model("courses", "ReflectionShare")
    Mentorship = apps.get_model("mentoring", "Mentorship")
    now = timezone.now()
    for reflection in Reflection.objects.filter(shared_with_mentor=True).iterator():
        mentorship = _mentorship_to_attach(Mentorship, reflection)
        if mentorship is not None:
            ReflectionShare.objects.get_or_create(
                reflection=reflection,
                relationship=f"mentorship:{mentorship.pk}",
                ended_at=None,
                defaults={"shared_with_id": mentorship.mentor_id, "shared_at": now},
            )
    Reflection.objects.filter(shared_with_mentor=True).update(shared_with_mentor=False)


def back_to_flags(apps, schema_editor):
    Reflection = apps.get_model("courses", "Reflection")
    ReflectionShare = apps.get_model("courses", "ReflectionShare")
    open_shares = ReflectionShare.objects.filter(ended_at=None).values("reflection_id")
    Reflection.objects.filter(pk__in=open_shares).update(shared_with_mentor=True)


class Migration(migrations.Migration):

    dependencies = [
        ("mentoring", "0002_request_expiry_schedule"),
        ("courses", "0004_reflection_share"),
    ]
    # The flag must still exist while this runs.
    run_before = [("courses", "0005_remove_reflection_shared_with_mentor")]

    operations = [migrations.RunPython(attach_or_unshare, back_to_flags)]
