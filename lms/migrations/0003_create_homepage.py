import uuid

from django.db import migrations


def create_homepage(apps, schema_editor):
    """Replace Wagtail's placeholder welcome page with our HomePage as the default site's root."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("lms.HomePage")

    placeholder = Page.objects.filter(depth=2, slug="home").first()
    locale = placeholder.locale if placeholder else Locale.objects.first()
    if placeholder is not None:
        Site.objects.filter(root_page=placeholder).delete()
        placeholder.delete()
    root = Page.objects.get(depth=1)

    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="lms")
    homepage = HomePage.objects.create(
        title="Peer Pathways",
        draft_title="Peer Pathways",
        slug="home",
        content_type=content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        translation_key=uuid.uuid4(),
        live=True,
        introduction=(
            "Training, a career pathway and mentoring for peer supporters in mental health: "
            "PALs, peer brokers and the people who mentor them."
        ),
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.create(hostname="localhost", port=80, root_page=homepage, is_default_site=True,
                        site_name="Peer Pathways")


def remove_homepage(apps, schema_editor):
    HomePage = apps.get_model("lms.HomePage")
    HomePage.objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [("lms", "0002_homepage")]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
