"""Learner records outlive course content (issue 11): every learner record now PROTECTs what it
points at, a certificate keeps the course title it was issued for and a reflection the module title
it was written in, so either can outlive its page; reflections can be deleted softly (undo).

The titles of existing certificates and reflections are copied from their pages as they are now,
the nearest we have to the title at the time."""

import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


def copy_titles(apps, schema_editor):
    Certificate = apps.get_model("courses", "Certificate")
    Reflection = apps.get_model("courses", "Reflection")
    Page = apps.get_model("wagtailcore", "Page")
    titles = dict(Page.objects.values_list("pk", "title"))
    for certificate in Certificate.objects.filter(course_title="").exclude(course=None):
        certificate.course_title = titles.get(certificate.course_id, "")
        certificate.save(update_fields=["course_title"])
    for reflection in Reflection._base_manager.filter(module_title="").exclude(module=None):
        reflection.module_title = titles.get(reflection.module_id, "")
        reflection.save(update_fields=["module_title"])


class Migration(migrations.Migration):

    dependencies = [
        ('courses', '0008_nightly_completion_repair_schedule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='reflection',
            options={'base_manager_name': 'all_objects', 'ordering': ['-updated_at']},
        ),
        migrations.AlterModelManagers(
            name='reflection',
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name='certificate',
            name='course_title',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='reflection',
            name='deleted_at',
            field=models.DateTimeField(blank=True, help_text='When the peer deleted it. Hidden from everyone at once; it can be restored for REFLECTION_UNDO_DAYS, then the retention sweep removes it for good.', null=True),
        ),
        migrations.AddField(
            model_name='reflection',
            name='module_title',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='completion',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='certificate', to='courses.coursecompletion'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='course',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='certificates', to='courses.coursepage'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='coursecompletion',
            name='enrolment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='completions', to='courses.enrolment'),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='assigned_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='course',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to='courses.coursepage'),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='moduleprogress',
            name='enrolment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='progress', to='courses.enrolment'),
        ),
        migrations.AlterField(
            model_name='moduleprogress',
            name='module',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='courses.modulepage'),
        ),
        migrations.AlterField(
            model_name='quizattempt',
            name='enrolment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempts', to='courses.enrolment'),
        ),
        migrations.AlterField(
            model_name='quizattempt',
            name='module',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='courses.modulepage'),
        ),
        migrations.AlterField(
            model_name='reflection',
            name='module',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='courses.modulepage'),
        ),
        migrations.AlterField(
            model_name='reflectionshare',
            name='shared_with',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(copy_titles, migrations.RunPython.noop),
    ]
