"""Completions nobody may lose: the nightly repair of enrolments whose modules are all complete
but which have no completion, and the re-check when a module is unpublished or deleted."""

import logging
from datetime import timedelta

import pytest
from django.db.models import ProtectedError
from django.utils import timezone
from django_q.models import Schedule

from courses.models import Certificate, CourseCompletion, Enrolment, ModulePage, ModuleProgress
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from courses.tasks import recompute_course_completions, repair_course_completions
from lms.dates import add_months
from tests.courses.builders import make_course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _modules(course):
    return list(live_modules(course=course))


def _lost_race(user, course):
    """Every module complete, as two simultaneous finishes used to leave it: no completion."""
    enrolment, _ = enrolment_create(user=user, course=course)
    now = timezone.now()
    for module in _modules(course):
        ModuleProgress.objects.create(
            enrolment=enrolment, module=module, finished_at=now, completed_at=now
        )
    return enrolment


def test_repair_completes_a_learner_left_at_100_percent_and_reports_ids(personas, caplog):
    course = make_course("Safe Practice", modules=2, validity_months=12)
    stuck = _lost_race(personas.peer, course)
    halfway, _ = enrolment_create(user=personas.other_peer, course=course)
    module_finish(enrolment=halfway, module=_modules(course)[0])
    done_properly = UserFactory()
    proper, _ = enrolment_create(user=done_properly, course=course)
    for module in _modules(course):
        module_finish(enrolment=proper, module=module)
    assert CourseCompletion.objects.count() == 1

    with caplog.at_level(logging.INFO, logger="courses.tasks"):
        repaired = repair_course_completions()

    assert repaired == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.completed_at is not None
    completion = CourseCompletion.objects.get(enrolment=stuck)
    assert completion.refresher_due_at is not None
    assert Certificate.objects.filter(completion=completion, user=personas.peer).count() == 1
    assert Enrolment.objects.get(pk=halfway.pk).completed_at is None
    assert CourseCompletion.objects.filter(enrolment=proper).count() == 1
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "courses.tasks")
    assert logged == f"Repaired 1 course completions: enrolments [{stuck.pk}]"


def test_a_repaired_completion_is_dated_when_the_last_module_was_done(personas):
    """Found months later, the completion, its certificate and its refresher keep the day the
    learning was done, not the day of the repair."""
    course = make_course("Safe Practice", modules=2, validity_months=12)
    stuck = _lost_race(personas.peer, course)
    done_on = timezone.now() - timedelta(days=90)
    ModuleProgress.objects.filter(enrolment=stuck).update(completed_at=done_on)

    repair_course_completions()

    completion = CourseCompletion.objects.get(enrolment=stuck)
    assert completion.completed_at == done_on
    assert completion.refresher_due_at == add_months(done_on, 12)
    assert Certificate.objects.get(completion=completion).issued_at == done_on


def test_repair_twice_repairs_nothing_the_second_time(personas):
    course = make_course("Safe Practice", modules=2)
    _lost_race(personas.peer, course)
    repair_course_completions()

    assert repair_course_completions() == []
    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


def test_repair_works_through_many_enrolments_in_batches(personas, monkeypatch):
    from courses import services

    monkeypatch.setattr(services, "REPAIR_BATCH_SIZE", 2)
    course = make_course("Safe Practice", modules=1)
    stuck = [_lost_race(UserFactory(), course).pk for _ in range(5)]
    enrolment_create(user=personas.peer, course=course)  # opened nothing: not done

    assert repair_course_completions() == sorted(stuck)
    assert CourseCompletion.objects.count() == 5


def test_repair_leaves_an_enrolment_on_a_course_with_no_live_modules(personas):
    course = make_course("Safe Practice", modules=1)
    _lost_race(personas.peer, course)
    _modules(course)[0].unpublish()

    assert repair_course_completions() == []
    assert not CourseCompletion.objects.exists()


def test_repair_is_scheduled_every_night():
    schedule = Schedule.objects.get(func="courses.tasks.repair_course_completions")

    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1


# --- A module leaves the course ---------------------------------------------------------------


def _three_learners(personas, course):
    """One who finished the first two modules, one who finished all three, one only the
    third."""
    first, second, third = _modules(course)
    two, _ = enrolment_create(user=personas.peer, course=course)
    for module in (first, second):
        module_finish(enrolment=two, module=module)
    everything, _ = enrolment_create(user=personas.other_peer, course=course)
    for module in (first, second, third):
        module_finish(enrolment=everything, module=module)
    last_only, _ = enrolment_create(user=UserFactory(), course=course)
    module_finish(enrolment=last_only, module=third)
    assert CourseCompletion.objects.count() == 1
    return two, everything, last_only


def test_unpublishing_a_module_completes_learners_who_finished_every_other_one(
    personas, django_capture_on_commit_callbacks
):
    course = make_course("Safe Practice", modules=3)
    two, everything, last_only = _three_learners(personas, course)
    third = _modules(course)[2]
    earlier = CourseCompletion.objects.get(enrolment=everything)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        third.unpublish()

    assert callbacks, "removing a module queues the re-check"
    two.refresh_from_db()
    assert two.completed_at is not None
    assert Certificate.objects.filter(completion__enrolment=two).count() == 1
    assert list(CourseCompletion.objects.filter(enrolment=everything)) == [earlier]
    assert Enrolment.objects.get(pk=last_only.pk).completed_at is None
    assert CourseCompletion.objects.count() == 2


def test_a_module_learners_have_opened_cannot_be_deleted(personas):
    """Learner records protect the module (docs/records.md): it can be unpublished instead."""
    course = make_course("Safe Practice", modules=3)
    _three_learners(personas, course)
    third = _modules(course)[2]

    with pytest.raises(ProtectedError):
        third.delete()

    assert ModulePage.objects.filter(pk=third.pk).exists()


def test_deleting_a_module_nobody_opened_completes_learners_who_finished_every_other_one(
    personas, django_capture_on_commit_callbacks
):
    course = make_course("Safe Practice", modules=3)
    first, second, third = _modules(course)
    enrolment, _ = enrolment_create(user=personas.peer, course=course)
    for module in (first, second):
        module_finish(enrolment=enrolment, module=module)
    assert CourseCompletion.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        third.delete()

    assert callbacks, "removing a module queues the re-check"
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    assert Certificate.objects.filter(completion__enrolment=enrolment).count() == 1


def test_recompute_for_a_course_that_is_gone_does_nothing(personas):
    assert recompute_course_completions(987654) == []


def test_recompute_touches_only_the_course_it_is_for(personas):
    course = make_course("Safe Practice", modules=1)
    other = make_course("Wellbeing at Work", modules=1)
    _lost_race(personas.peer, course)
    stuck_elsewhere = _lost_race(personas.other_peer, other)

    recompute_course_completions(course.pk)

    assert CourseCompletion.objects.count() == 1
    assert Enrolment.objects.get(pk=stuck_elsewhere.pk).completed_at is None
