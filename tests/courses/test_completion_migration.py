"""The migration that brings existing progress under "completion means engagement".

It runs the real migrations backwards to before `finished_at`, writes progress as the old rule
left it, and forwards again: a module "completed" only by being opened is in progress again; one
completed by passing its knowledge check keeps its completion, now also marked as finished then;
courses completed and certificates issued stay as they were issued.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from courses.models import ModulePage
from tests.courses.builders import make_course, simple_check, text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("courses", "0005_remove_reflection_shared_with_mentor")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "courses"]


def test_opened_only_progress_is_in_progress_again_and_passed_checks_keep_completion():
    # Pages and people are made with today's models; only the rows the migration reads are
    # written in their old shape.
    course = make_course("Safe Practice", modules=3, bodies=[[text()], [simple_check()], [text()]])
    reading, checked, untouched = ModulePage.objects.child_of(course).order_by("path")
    pat, lee = UserFactory(display_name="Pat"), UserFactory(display_name="Lee")
    old = _migrate(BEFORE)
    Enrolment = old.get_model("courses", "Enrolment")
    ModuleProgress = old.get_model("courses", "ModuleProgress")
    QuizAttempt = old.get_model("courses", "QuizAttempt")
    CourseCompletion = old.get_model("courses", "CourseCompletion")
    Certificate = old.get_model("courses", "Certificate")
    now = timezone.now()
    started = now - timedelta(days=20)

    # Pat clicked through everything: the text modules "completed" on opening, the check passed,
    # and the old rule gave a completion and a certificate.
    done = Enrolment.objects.create(
        user_id=pat.pk, course_id=course.pk, round_started_at=started, completed_at=now
    )
    opened = ModuleProgress.objects.create(
        enrolment=done, module_id=reading.pk, visited_at=started, completed_at=started
    )
    passed_at = now - timedelta(days=1)
    QuizAttempt.objects.create(
        enrolment=done,
        module_id=checked.pk,
        check_id="c",
        correct=2,
        total=2,
        passed=True,
        created_at=passed_at,
    )
    by_check = ModuleProgress.objects.create(
        enrolment=done, module_id=checked.pk, visited_at=started, completed_at=passed_at
    )
    completion = CourseCompletion.objects.create(enrolment=done, completed_at=now)
    certificate = Certificate.objects.create(
        completion=completion, user_id=pat.pk, course_id=course.pk, code="A" * 24, issued_at=now
    )
    # Lee is part-way: opened a text module (old rule: complete), failed the check, and passed
    # it only in a round before this one.
    going = Enrolment.objects.create(user_id=lee.pk, course_id=course.pk, round_started_at=started)
    lee_opened = ModuleProgress.objects.create(
        enrolment=going, module_id=reading.pk, visited_at=started, completed_at=started
    )
    QuizAttempt.objects.create(
        enrolment=going,
        module_id=checked.pk,
        check_id="c",
        correct=2,
        total=2,
        passed=True,
        created_at=started - timedelta(days=400),
    )
    QuizAttempt.objects.create(
        enrolment=going,
        module_id=checked.pk,
        check_id="c",
        correct=0,
        total=2,
        passed=False,
        created_at=now,
    )
    lee_stale = ModuleProgress.objects.create(
        enrolment=going, module_id=checked.pk, visited_at=started, completed_at=started
    )
    lee_unfinished = ModuleProgress.objects.create(
        enrolment=going, module_id=untouched.pk, visited_at=started
    )

    _migrate(_latest())

    from courses.models import Certificate as NewCertificate
    from courses.models import CourseCompletion as NewCompletion
    from courses.models import Enrolment as NewEnrolment
    from courses.models import ModuleProgress as NewProgress

    def state(progress):
        row = NewProgress.objects.get(pk=progress.pk)
        return row.finished_at, row.completed_at

    assert state(opened) == (None, None)
    assert state(by_check) == (passed_at, passed_at)
    assert state(lee_opened) == (None, None)
    assert state(lee_stale) == (None, None)
    assert state(lee_unfinished) == (None, None)
    assert NewEnrolment.objects.get(pk=done.pk).completed_at == now
    assert list(NewCompletion.objects.values_list("pk", flat=True)) == [completion.pk]
    assert list(NewCertificate.objects.values_list("code", flat=True)) == [certificate.code]
    assert NewEnrolment.objects.get(pk=going.pk).completed_at is None

    # And back: the old rule's view again, every opened module without a check complete.
    old = _migrate(BEFORE)
    OldProgress = old.get_model("courses", "ModuleProgress")
    assert OldProgress.objects.get(pk=opened.pk).completed_at == started
    assert OldProgress.objects.get(pk=lee_unfinished.pk).completed_at == started
    assert OldProgress.objects.get(pk=lee_stale.pk).completed_at is None
    assert OldProgress.objects.get(pk=by_check.pk).completed_at == passed_at
    _migrate(_latest())
