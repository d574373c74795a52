"""When a module leaves a course (unpublished, or deleted in Wagtail), learners who have now
completed every module still live get their completion: a background task re-checks the
course's open enrolments. Completions already recorded are never taken away."""

from django.db.models.signals import pre_delete
from wagtail.models import Page
from wagtail.signals import page_unpublished

from courses.models import CoursePage, ModulePage
from lms.queue import enqueue


def _recompute(module: ModulePage) -> None:
    course_id = (
        CoursePage.objects.filter(path=module.path[: -Page.steplen])
        .values_list("pk", flat=True)
        .first()
    )
    if course_id is not None:
        enqueue("courses.tasks.recompute_course_completions", course_id)


def module_unpublished(sender, instance, **kwargs):
    _recompute(instance)


def module_deleted(sender, instance, **kwargs):
    # Before the delete, while the course can still be found from the module's place in the
    # tree; the task runs once the delete has committed, when the module is gone.
    _recompute(instance)


def connect() -> None:
    page_unpublished.connect(module_unpublished, sender=ModulePage)
    pre_delete.connect(module_deleted, sender=ModulePage)
