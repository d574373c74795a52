from django.db import migrations

AUDIENCES = [
    ("everyone", "Everyone", 0),
    ("pal", "PALs", 1),
    ("peer-broker", "Peer brokers", 2),
    ("mentor", "Mentors", 3),
]


def create_audiences(apps, schema_editor):
    Audience = apps.get_model("courses", "Audience")
    for slug, name, order in AUDIENCES:
        Audience.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_courses")]

    operations = [migrations.RunPython(create_audiences, migrations.RunPython.noop)]
