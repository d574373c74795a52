"""Each enrolment's most recent completion is marked (`CourseCompletion.is_latest`): the
refreshers coming up are read from it, so it must be right however a completion arrives."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from courses.models import CourseCompletion, Enrolment
from tests.courses.builders import make_course
from tests.factories import UserFactory

NOW = timezone.now()


def _latest_flags(enrolment_id):
    return list(
        CourseCompletion.objects.filter(enrolment_id=enrolment_id)
        .order_by("completed_at", "pk")
        .values_list("is_latest", flat=True)
    )


@pytest.mark.django_db
def test_a_newer_round_takes_the_mark_and_history_added_later_does_not():
    enrolment = Enrolment.objects.create(
        user=UserFactory(), course=make_course("Safe Practice", modules=1), completed_at=NOW
    )
    CourseCompletion.objects.create(enrolment=enrolment, completed_at=NOW - timedelta(days=400))
    CourseCompletion.objects.create(enrolment=enrolment, completed_at=NOW)
    assert _latest_flags(enrolment.pk) == [False, True]

    # A round from long ago, recorded after the newest one (an import of old records, say).
    CourseCompletion.objects.create(enrolment=enrolment, completed_at=NOW - timedelta(days=800))
    assert _latest_flags(enrolment.pk) == [False, False, True]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_marks_only_the_newest_completion_of_each_enrolment():
    course = make_course("Safe Practice", modules=1)
    renewed, once = UserFactory(), UserFactory()
    old = _migrate([("courses", "0009_records_kept_with_snapshots")])
    OldEnrolment = old.get_model("courses", "Enrolment")
    OldCompletion = old.get_model("courses", "CourseCompletion")
    enrolments = {}
    for person, rounds in ((renewed, [800, 400, 3]), (once, [10])):
        enrolment = OldEnrolment.objects.create(
            user_id=person.pk, course_id=course.pk, completed_at=NOW
        )
        for days_ago in rounds:
            OldCompletion.objects.create(
                enrolment=enrolment, completed_at=NOW - timedelta(days=days_ago)
            )
        enrolments[person] = enrolment.pk

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    _migrate(executor.loader.graph.leaf_nodes())

    assert _latest_flags(enrolments[renewed]) == [False, False, True]
    assert _latest_flags(enrolments[once]) == [True]
