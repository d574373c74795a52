"""The migration that turns the old "shared with my mentor" flag into consent naming a mentorship.

It runs the real migrations backwards to the old flag, writes rows as they were, and forwards
again: a reflection written during the current mentorship stays shared with that mentor; one
written before the mentorship began (it may have been shared with nobody in mind) and one whose
writer has no mentor become private.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from courses.models import ModulePage
from lms.models import User
from tests.courses.builders import make_course
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("courses", "0004_reflection_share"), ("mentoring", "0002_request_expiry_schedule")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in {"courses", "mentoring"}]


def test_old_shares_are_attached_only_where_the_mentor_was_already_there():
    # People, the organisation and the module are made with today's models (the kernel's tables
    # stay as they are while courses and mentoring go back); only the rows that the migration
    # reads are written in their old shape.
    module = ModulePage.objects.child_of(make_course()).first()
    home = OrganisationFactory(name="Home", slug="home")
    mentor, pat, lone = (UserFactory(display_name=name) for name in ("Mo", "Pat", "Lee"))
    old = _migrate(BEFORE)
    now = timezone.now()
    Reflection = old.get_model("courses", "Reflection")
    Mentorship = old.get_model("mentoring", "Mentorship")
    mentorship = Mentorship.objects.create(
        organisation_id=home.pk,
        trainee_id=pat.pk,
        mentor_id=mentor.pk,
        status="active",
        started_at=now - timedelta(days=30),
    )

    def reflection(user, prompt_id, written_days_ago):
        return Reflection.objects.create(
            user_id=user.pk,
            module_id=module.pk,
            prompt_id=prompt_id,
            prompt="?",
            body="<p>Words.</p>",
            shared_with_mentor=True,
            created_at=now - timedelta(days=written_days_ago),
        )

    during = reflection(pat, "during", 10)
    before = reflection(pat, "before", 60)
    alone = reflection(lone, "alone", 10)

    _migrate(_latest())

    from courses.models import Reflection as NewReflection
    from courses.models import ReflectionShare

    shares = list(
        ReflectionShare.objects.values_list("reflection_id", "shared_with_id", "relationship")
    )
    assert shares == [(during.pk, mentor.pk, f"mentorship:{mentorship.pk}")]
    assert {r.pk for r in NewReflection.objects.all()} == {during.pk, before.pk, alone.pk}
    assert User.objects.filter(pk=lone.pk).exists()
