"""Feedback on a session: the mentee of a confirmed session rates it once; organisations see
figures only, and none until at least five people have given feedback."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lms.models import Role
from mentoring.models import Mentorship, SessionFeedback, SessionFormat, SupervisionSession
from mentoring.selectors.supervision import feedback_summary_for_organisation
from mentoring.services.supervision import feedback_give, session_confirm, session_log
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import count_queries

pytestmark = pytest.mark.django_db


def _mentorship(organisation, trainee, mentor):
    return Mentorship.objects.create(
        organisation=organisation,
        trainee=trainee,
        mentor=mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=30),
        created_at=timezone.now() - timedelta(days=30),
    )


def _session(mentorship, *, confirmed=True):
    session = session_log(
        mentorship=mentorship,
        by=mentorship.mentor,
        held_on=timezone.localdate() - timedelta(days=1),
        duration_minutes=60,
        format=SessionFormat.IN_PERSON,
        topics=["learning_and_development"],
        summary="",
        private_notes="",
        actions=[],
    )
    if confirmed:
        session = session_confirm(session=session, by=mentorship.trainee)
    return session


@pytest.fixture
def session(personas):
    return _session(_mentorship(personas.home, personas.peer, personas.mentor))


def _trainees_with_feedback(organisation, mentor, ratings):
    for rating in ratings:
        trainee = UserFactory()
        MembershipFactory(user=trainee, organisation=organisation, role=Role.PEER)
        session = _session(_mentorship(organisation, trainee, mentor))
        feedback_give(session=session, by=trainee, rating=rating, comment="Private words")


def test_the_mentee_rates_a_confirmed_session(client, personas, session):
    client.force_login(personas.peer)
    url = reverse("mentoring:session-feedback", args=[session.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"rating": "4", "comment": "Really listened."})

    for label in ("Not helpful", "A little helpful", "Helpful", "Very helpful"):
        assert f">{label}</label>" in page
    assert response.status_code == 302
    feedback = SessionFeedback.objects.get()
    assert (feedback.session, feedback.rating, feedback.comment) == (
        session,
        4,
        "Really listened.",
    )
    shown = client.get(reverse("mentoring:session", args=[session.pk])).content.decode()
    assert "Very helpful" in shown


def test_feedback_is_given_once(client, personas, session):
    client.force_login(personas.peer)
    url = reverse("mentoring:session-feedback", args=[session.pk])
    client.post(url, {"rating": "3"})

    again = client.post(url, {"rating": "1", "comment": "Changed my mind"})

    assert again.status_code == 200
    assert "You have already given feedback on this session" in again.content.decode()
    assert SessionFeedback.objects.count() == 1
    assert SessionFeedback.objects.get().rating == 3
    with pytest.raises(ValidationError, match="already given feedback"):
        feedback_give(session=session, by=personas.peer, rating=2, comment="")


def test_a_rating_is_needed(client, personas, session):
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:session-feedback", args=[session.pk]), {"comment": "Kept"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose how helpful the session was" in page
    assert "Kept" in page
    assert not SessionFeedback.objects.exists()


def test_no_feedback_before_the_session_is_confirmed(client, personas):
    session = _session(_mentorship(personas.home, personas.peer, personas.mentor), confirmed=False)
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:session-feedback", args=[session.pk]), {"rating": "4"}, follow=True
    )

    assert "You can give feedback once you have confirmed the session." in (
        response.content.decode()
    )
    assert not SessionFeedback.objects.exists()
    with pytest.raises(ValidationError):
        feedback_give(session=session, by=personas.peer, rating=4, comment="")


@pytest.mark.parametrize(
    "who", ["mentor", "coordinator", "org_admin", "other_peer", "other_coordinator"]
)
def test_only_the_mentee_may_give_feedback(client, personas, session, who):
    client.force_login(getattr(personas, who))
    url = reverse("mentoring:session-feedback", args=[session.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"rating": "1"}).status_code == 404
    assert not SessionFeedback.objects.exists()


def test_the_service_refuses_the_mentor_and_a_rating_out_of_range(personas, session):
    with pytest.raises(ValidationError):
        feedback_give(session=session, by=personas.mentor, rating=4, comment="")
    with pytest.raises(ValidationError) as refused:
        feedback_give(session=session, by=personas.peer, rating=5, comment="")

    assert "rating" in refused.value.message_dict
    assert not SessionFeedback.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client, session):
    response = client.get(reverse("mentoring:session-feedback", args=[session.pk]))

    assert response.status_code == 302


# --- Figures for the organisation -------------------------------------------------------------


def test_under_five_responses_only_the_count_is_given(personas):
    _trainees_with_feedback(personas.home, personas.mentor, [4, 3, 1, 2])

    summary = feedback_summary_for_organisation(organisation=personas.home)

    assert summary.count == 4
    assert summary.average is None
    assert summary.distribution is None


def test_from_five_responses_the_average_and_spread_appear(personas):
    _trainees_with_feedback(personas.home, personas.mentor, [4, 4, 3, 2, 4])
    _trainees_with_feedback(personas.other, personas.other_mentor, [1, 1, 1, 1, 1])

    summary = feedback_summary_for_organisation(organisation=personas.home)

    assert summary.count == 5
    assert summary.average == Decimal("3.4")
    assert summary.distribution == [
        (1, "Not helpful", 0),
        (2, "A little helpful", 1),
        (3, "Helpful", 1),
        (4, "Very helpful", 3),
    ]


def test_the_figures_are_computed_in_one_query(personas):
    _trainees_with_feedback(personas.home, personas.mentor, [4, 4, 3, 2, 4, 1])

    assert count_queries(lambda: feedback_summary_for_organisation(organisation=personas.home)) == 1


def test_the_coverage_page_hides_figures_under_five_and_never_shows_comments(client, personas):
    _trainees_with_feedback(personas.home, personas.mentor, [4, 3])
    client.force_login(personas.coordinator)
    url = reverse("mentoring:coverage", args=[personas.home.slug])

    few = client.get(url).content.decode()
    _trainees_with_feedback(personas.home, personas.mentor, [4, 4, 2])
    enough = client.get(url).content.decode()

    assert "Figures appear once at least five people have given feedback" in few
    assert "out of 4" not in few
    assert "3.4 out of 4" in enough
    assert "Private words" not in few + enough
    assert SupervisionSession.objects.filter(feedback__isnull=False).count() == 5
