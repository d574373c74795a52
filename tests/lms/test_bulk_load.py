"""Plain rows for bulk loads (`lms.bulk_load.insert_rows`): what they write must be what a model
instance saved with the same values writes, read back through the ORM."""

from datetime import UTC, date, datetime

import pytest
from django.forms.models import model_to_dict

from lms.bulk_load import insert_rows
from lms.models import Membership, Role
from mentoring.models import Mentorship, SessionFormat, SupervisionSession
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


def _as_read(row):
    return {key: value for key, value in model_to_dict(row).items() if key != "id"}


def test_rows_read_back_as_the_same_values_a_saved_instance_has():
    organisation = OrganisationFactory()
    trainee, mentor = UserFactory(), UserFactory()
    mentorship = Mentorship.objects.create(
        organisation=organisation, trainee=trainee, mentor=mentor, status=Mentorship.ENDED
    )
    values = {
        "mentorship_id": mentorship.pk,
        "held_on": date(2026, 3, 2),
        "duration_minutes": 60,
        "format": SessionFormat.IN_PERSON,
        "status": SupervisionSession.CONFIRMED,
        "confirmed_at": WHEN,
        "logged_at": WHEN,
        "topics": ["wellbeing", "boundaries"],
        "summary": "<p>A regular supervision session.</p>",
    }
    saved = SupervisionSession.objects.create(**values)

    written = insert_rows(SupervisionSession, tuple(values), [tuple(values.values())] * 3)

    assert written == 3
    inserted = SupervisionSession.objects.exclude(pk=saved.pk)
    assert inserted.count() == 3
    assert [_as_read(row) for row in inserted] == [_as_read(saved)] * 3
    # Fields not given took their defaults, as the saved instance's did.
    assert inserted[0].dispute_note == "" and inserted[0].wellbeing_checkin is None


def test_rows_arrive_in_batches_and_an_empty_load_writes_nothing(monkeypatch):
    monkeypatch.setattr("lms.bulk_load.ROWS_A_STATEMENT", 2)
    organisation = OrganisationFactory()
    people = UserFactory.create_batch(5)

    assert insert_rows(Membership, ("user_id", "organisation_id", "role"), []) == 0
    written = insert_rows(
        Membership,
        ("user_id", "organisation_id", "role", "active_from"),
        ((person.pk, organisation.pk, Role.PEER, date(2026, 1, 5)) for person in people),
    )

    assert written == 5
    assert sorted(
        Membership.objects.filter(organisation=organisation).values_list("user_id", "role")
    ) == sorted((person.pk, Role.PEER) for person in people)
