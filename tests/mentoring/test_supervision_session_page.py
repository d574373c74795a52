"""The session page: only the two people in the mentorship see it, private notes only their
author; the mentee confirms (once) or says it is wrong, the mentor corrects it, and action items
are marked done by their owner or the mentor."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Role
from mentoring.models import (
    ActionItem,
    Mentorship,
    SessionFormat,
    SessionPrivateNote,
    SupervisionSession,
)
from mentoring.services.supervision import (
    action_complete,
    session_confirm,
    session_dispute,
    session_edit,
    session_log,
)
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

SUMMARY = "We talked about the move to the new team."
NOTE = "Keep an eye on sleep; do not share."


@pytest.fixture
def mentorship(personas):
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=60),
        created_at=timezone.now() - timedelta(days=60),
    )


@pytest.fixture
def second_mentor(personas):
    """Another Home mentor, with a mentee of their own."""
    mentor = UserFactory(display_name="Sol Second", email="sol@example.org")
    MembershipFactory(user=mentor, organisation=personas.home, role=Role.MENTOR)
    return mentor


def _log(mentorship, *, actions=(), private_notes=NOTE, held_on=None, minutes=60):
    return session_log(
        mentorship=mentorship,
        by=mentorship.mentor,
        held_on=held_on or timezone.localdate() - timedelta(days=2),
        duration_minutes=minutes,
        format=SessionFormat.ONLINE,
        topics=["wellbeing", "safeguarding"],
        summary=SUMMARY,
        private_notes=private_notes,
        actions=list(actions),
    )


@pytest.fixture
def session(mentorship, personas):
    return _log(
        mentorship,
        actions=[
            {"description": "Read the lone working policy", "owner": personas.peer},
            {
                "description": "Book a room",
                "owner": personas.mentor,
                "due_on": timezone.localdate() + timedelta(days=3),
            },
        ],
    )


def _page(client, user, session):
    client.force_login(user)
    return client.get(reverse("mentoring:session", args=[session.pk]))


# --- Who sees what ----------------------------------------------------------------------------


def test_the_mentor_sees_everything_including_their_private_notes(client, personas, session):
    page = _page(client, personas.mentor, session).content.decode()

    assert "With Pat Peer" in page
    assert "60 minutes" in page and "Online" in page
    assert "Wellbeing, Safeguarding" in page
    assert SUMMARY in page
    assert "Your private notes" in page and NOTE in page
    assert "Read the lone working policy" in page and "Book a room" in page
    assert "Waiting for the mentee to confirm" in page
    assert "Correct this session" in page
    assert "Is this right?" not in page


def test_the_mentee_sees_the_summary_and_actions_but_never_the_private_notes(
    client, personas, session
):
    page = _page(client, personas.peer, session).content.decode()

    assert SUMMARY in page
    assert "Read the lone working policy" in page
    assert "Waiting for you to confirm" in page
    assert "Is this right?" in page
    assert NOTE not in page
    assert "private notes" not in page.lower()
    assert "Correct this session" not in page


@pytest.mark.parametrize(
    "who", ["coordinator", "org_admin", "other_mentor", "other_coordinator", "other_peer"]
)
def test_nobody_else_can_open_the_session(client, personas, session, who):
    assert _page(client, getattr(personas, who), session).status_code == 404


def test_another_mentor_changing_the_id_in_the_url_gets_404(
    client, personas, session, second_mentor
):
    other_trainee = UserFactory(display_name="Tia Trainee")
    MembershipFactory(user=other_trainee, organisation=personas.home, role=Role.PEER)
    Mentorship.objects.create(
        organisation=personas.home,
        trainee=other_trainee,
        mentor=second_mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now(),
    )
    client.force_login(second_mentor)

    for name in ("mentoring:session", "mentoring:session-edit", "mentoring:session-feedback"):
        response = client.get(reverse(name, args=[session.pk]))
        assert response.status_code == 404
        assert NOTE not in response.content.decode()
    assert client.post(reverse("mentoring:session-edit", args=[session.pk])).status_code == 404


def test_a_note_written_by_someone_else_is_not_shown_even_to_the_mentor(
    client, personas, session, second_mentor
):
    # Only the author reads a note: a row with another author never reaches the page.
    SessionPrivateNote.objects.filter(session=session).update(author=second_mentor)

    page = _page(client, personas.mentor, session).content.decode()

    assert NOTE not in page
    assert "Your private notes" not in page


def test_anonymous_people_are_sent_to_sign_in_and_nothing_is_written(client, session):
    action = session.actions.first()
    for method, url in (
        ("get", reverse("mentoring:session", args=[session.pk])),
        ("get", reverse("mentoring:session-edit", args=[session.pk])),
        ("post", reverse("mentoring:session-confirm", args=[session.pk])),
        ("post", reverse("mentoring:action-done", args=[action.pk])),
    ):
        response = getattr(client, method)(url, {"answer": "right"} if method == "post" else {})
        assert response.status_code == 302
        assert reverse("lms:login") in response["Location"]
    session.refresh_from_db()
    action.refresh_from_db()
    assert session.status == SupervisionSession.AWAITING
    assert action.done_at is None


def test_a_mentor_reading_a_check_in_is_audited(client, personas, session):
    session_confirm(session=session, by=personas.peer, wellbeing_checkin=2)

    _page(client, personas.peer, session)
    assert not AuditEvent.objects.filter(action="mentoring.session.read").exists()
    page = _page(client, personas.mentor, session).content.decode()

    assert "How Pat Peer said they were" in page and "Not so good" in page
    event = AuditEvent.objects.get(action="mentoring.session.read")
    assert (event.actor, event.subject_user, event.subject_id) == (
        personas.mentor,
        personas.peer,
        str(session.pk),
    )


def test_the_session_page_costs_the_same_however_many_actions(
    client, personas, mentorship, session, django_assert_num_queries
):
    client.force_login(personas.peer)
    url = reverse("mentoring:session", args=[session.pk])

    def grow():
        ActionItem.objects.bulk_create(
            ActionItem(session=session, description=f"Action {n}", owner=personas.peer)
            for n in range(6)
        )

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(url), grow)


def test_the_correction_form_costs_the_same_however_many_actions(
    client, personas, mentorship, django_assert_num_queries
):
    session = _log(mentorship)
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-edit", args=[session.pk])

    def grow():
        ActionItem.objects.bulk_create(
            ActionItem(session=session, description=f"Action {n}", owner=personas.peer)
            for n in range(3)
        )

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(url), grow)
    assert 'value="Action 2"' in client.get(url).content.decode()


# --- Confirming -------------------------------------------------------------------------------


def _confirm(client, user, session, **data):
    client.force_login(user)
    return client.post(reverse("mentoring:session-confirm", args=[session.pk]), data)


def test_the_mentee_confirms_with_a_wellbeing_check_in(client, personas, session):
    response = _confirm(client, personas.peer, session, answer="right", wellbeing_checkin="4")

    session.refresh_from_db()
    assert response.status_code == 302
    assert session.status == SupervisionSession.CONFIRMED
    assert session.confirmed_at is not None
    assert session.wellbeing_checkin == 4
    page = client.get(reverse("mentoring:session", args=[session.pk])).content.decode()
    assert "Confirmed" in page
    assert "How you said you were" in page and "Good" in page
    assert "Is this right?" not in page


def test_the_check_in_choices_are_in_plain_words(client, personas, session):
    page = _page(client, personas.peer, session).content.decode()

    for label in ("Struggling", "Not so good", "Getting by", "Good", "Really well"):
        assert f">{label}</label>" in page
    assert "I would rather not say" in page


def test_the_check_in_is_optional(client, personas, session):
    _confirm(client, personas.peer, session, answer="right", wellbeing_checkin="")

    session.refresh_from_db()
    assert session.status == SupervisionSession.CONFIRMED
    assert session.wellbeing_checkin is None


def test_confirming_twice_writes_nothing_new(client, personas, session):
    _confirm(client, personas.peer, session, answer="right", wellbeing_checkin="2")
    session.refresh_from_db()
    first = (session.confirmed_at, session.wellbeing_checkin)

    response = _confirm(client, personas.peer, session, answer="right", wellbeing_checkin="5")
    again = session_confirm(session=session, by=personas.peer, wellbeing_checkin=1)

    session.refresh_from_db()
    assert (session.confirmed_at, session.wellbeing_checkin) == first
    assert (again.confirmed_at, again.wellbeing_checkin) == first
    followed = client.get(response["Location"]).content.decode()
    assert "You had already confirmed this session." in followed


def test_the_mentor_cannot_confirm_their_own_log(client, personas, session):
    response = _confirm(client, personas.mentor, session, answer="right")

    session.refresh_from_db()
    assert session.status == SupervisionSession.AWAITING
    assert session.confirmed_at is None
    followed = client.get(response["Location"]).content.decode()
    assert "You logged this session, so Pat Peer is the one to confirm it." in followed
    with pytest.raises(ValidationError):
        session_confirm(session=session, by=personas.mentor)
    session.refresh_from_db()
    assert session.status == SupervisionSession.AWAITING


@pytest.mark.parametrize(
    "who", ["coordinator", "other_peer", "other_mentor", "org_admin", "other_coordinator"]
)
def test_confirming_someone_elses_session_is_404_and_writes_nothing(client, personas, session, who):
    response = _confirm(client, getattr(personas, who), session, answer="right")

    session.refresh_from_db()
    assert response.status_code == 404
    assert session.status == SupervisionSession.AWAITING
    assert session.confirmed_at is None


def test_another_peer_of_the_same_organisation_cannot_confirm(client, personas, session):
    stranger = UserFactory(display_name="Stan Stranger")
    MembershipFactory(user=stranger, organisation=personas.home, role=Role.PEER)

    response = _confirm(client, stranger, session, answer="right")

    session.refresh_from_db()
    assert response.status_code == 404
    assert session.status == SupervisionSession.AWAITING
    with pytest.raises(ValidationError):
        session_confirm(session=session, by=stranger)


def test_confirm_without_an_answer_shows_the_error_on_the_page(client, personas, session):
    response = _confirm(client, personas.peer, session)

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Choose whether this session is right" in page
    assert SUMMARY in page


# --- Saying it is wrong, correcting it, confirming it -----------------------------------------


def test_dispute_then_correct_then_confirm(client, personas, session):
    response = _confirm(
        client, personas.peer, session, answer="wrong", note="It was 30 minutes, not an hour."
    )
    session.refresh_from_db()
    assert response.status_code == 302
    assert session.status == SupervisionSession.DISPUTED
    assert session.dispute_note == "It was 30 minutes, not an hour."

    client.force_login(personas.mentor)
    edit_url = reverse("mentoring:session-edit", args=[session.pk])
    form_page = client.get(edit_url).content.decode()
    assert "It was 30 minutes, not an hour." in form_page
    assert NOTE in form_page  # the author's own notes, to edit
    assert "Read the lone working policy" in form_page
    actions = list(session.actions.order_by("pk"))
    response = client.post(
        edit_url,
        {
            "held_on": session.held_on.isoformat(),
            "duration_minutes": "30",
            "format": SessionFormat.PHONE,
            "topics": ["wellbeing"],
            "summary": SUMMARY,
            "private_notes": NOTE,
            "action1_id": actions[0].pk,
            "action1_description": "Read the lone working policy, part 1",
            "action1_owner": "mentee",
            "action2_id": actions[1].pk,
            "action2_description": "",
            "action2_owner": "mentor",
            "action3_description": "Call the team lead",
            "action3_owner": "mentor",
        },
    )
    session.refresh_from_db()
    assert response.status_code == 302
    assert session.status == SupervisionSession.AWAITING
    assert session.dispute_note == ""
    assert (session.duration_minutes, session.format) == (30, SessionFormat.PHONE)
    assert sorted(session.actions.values_list("description", flat=True)) == [
        "Call the team lead",
        "Read the lone working policy, part 1",
    ]
    assert session.actions.filter(pk=actions[0].pk).exists()  # changed in place

    _confirm(client, personas.peer, session, answer="right")
    session.refresh_from_db()
    assert session.status == SupervisionSession.CONFIRMED


def test_saying_it_is_wrong_needs_a_note(client, personas, session):
    response = _confirm(client, personas.peer, session, answer="wrong", note="")

    session.refresh_from_db()
    assert response.status_code == 200
    assert "Say what is not right, so your mentor can correct it" in response.content.decode()
    assert session.status == SupervisionSession.AWAITING


def test_a_correction_asks_the_mentee_again_by_email(
    personas, session, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session_dispute(session=session, by=personas.peer, note="Wrong date")
        session_edit(
            session=session,
            by=personas.mentor,
            held_on=timezone.localdate() - timedelta(days=3),
            duration_minutes=45,
            format=SessionFormat.ONLINE,
            topics=[],
            summary=SUMMARY,
            private_notes="",
            actions=[],
        )

    assert [m.to for m in mailoutbox] == [[personas.peer.email]]
    assert not SessionPrivateNote.objects.filter(session=session).exists()  # cleared by author


def test_a_confirmed_session_cannot_be_corrected(client, personas, session):
    session_confirm(session=session, by=personas.peer)
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-edit", args=[session.pk])

    shown = client.get(url, follow=True).content.decode()
    client.post(url, {"held_on": session.held_on.isoformat(), "duration_minutes": "5"})

    assert "This session has been confirmed, so it can no longer be changed." in shown
    session.refresh_from_db()
    assert session.duration_minutes == 60
    with pytest.raises(ValidationError):
        session_edit(
            session=session,
            by=personas.mentor,
            held_on=session.held_on,
            duration_minutes=10,
            format=session.format,
            topics=[],
            summary="",
            private_notes="",
            actions=[],
        )


ENDED = "This mentorship has ended, so sessions can no longer be logged for it."


def _edit_arguments(session, **overrides):
    arguments = {
        "held_on": session.held_on,
        "duration_minutes": 10,
        "format": session.format,
        "topics": [],
        "summary": "",
        "private_notes": "",
        "actions": [],
    }
    arguments.update(overrides)
    return arguments


def test_a_session_of_an_ended_mentorship_cannot_be_corrected(
    client, personas, mentorship, session
):
    session_dispute(session=session, by=personas.peer, note="It was shorter")
    mentorship.status = Mentorship.ENDED
    mentorship.ended_at = timezone.now()
    mentorship.save()
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-edit", args=[session.pk])

    page = client.get(reverse("mentoring:session", args=[session.pk])).content.decode()
    shown = client.get(url, follow=True).content.decode()
    posted = client.post(url, {"held_on": session.held_on.isoformat(), "duration_minutes": "5"})

    assert "Correct this session" not in page
    assert url not in page
    assert ENDED in shown
    assert posted.status_code == 302
    with pytest.raises(ValidationError) as refused:
        session_edit(session=session, by=personas.mentor, **_edit_arguments(session))
    assert refused.value.messages == [ENDED]
    session.refresh_from_db()
    assert (session.duration_minutes, session.status) == (60, SupervisionSession.DISPUTED)


def test_a_correction_to_a_date_before_the_mentorship_began_is_refused(
    client, personas, mentorship, session
):
    began = timezone.localdate(mentorship.created_at)
    message = f"The date must be on or after {began.day} {began:%B %Y}, when this mentorship began."
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:session-edit", args=[session.pk]),
        {
            "held_on": (began - timedelta(days=1)).isoformat(),
            "duration_minutes": "45",
            "format": SessionFormat.ONLINE,
        },
    )
    with pytest.raises(ValidationError) as refused:
        session_edit(
            session=session,
            by=personas.mentor,
            **_edit_arguments(session, held_on=began - timedelta(days=1)),
        )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert refused.value.message_dict["held_on"] == [message]
    session.refresh_from_db()
    assert session.duration_minutes == 60


def test_a_confirmed_session_cannot_then_be_disputed(client, personas, session):
    session_confirm(session=session, by=personas.peer)

    response = _confirm(client, personas.peer, session, answer="wrong", note="Actually no")
    followed = client.get(response["Location"]).content.decode()
    assert "You have confirmed this session already." in followed

    with pytest.raises(ValidationError):
        session_dispute(session=session, by=personas.peer, note="Actually no")

    session.refresh_from_db()
    assert session.status == SupervisionSession.CONFIRMED


def test_a_correction_is_checked_like_a_new_log(client, personas, session):
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:session-edit", args=[session.pk]),
        {
            "held_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "duration_minutes": "600",
            "format": SessionFormat.ONLINE,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The date of the session must be today or in the past" in page
    assert "A session can be at most 8 hours (480 minutes)" in page
    session.refresh_from_db()
    assert session.duration_minutes == 60


@pytest.mark.parametrize("who", ["peer", "coordinator", "other_mentor"])
def test_only_the_mentor_may_correct(client, personas, session, who):
    client.force_login(getattr(personas, who))

    url = reverse("mentoring:session-edit", args=[session.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"duration_minutes": "5"}).status_code == 404
    session.refresh_from_db()
    assert session.duration_minutes == 60


# --- Action items -----------------------------------------------------------------------------


def _done(client, user, action, **data):
    client.force_login(user)
    return client.post(reverse("mentoring:action-done", args=[action.pk]), data)


def test_the_owner_marks_their_action_done(client, personas, session):
    action = session.actions.get(owner=personas.peer)

    response = _done(client, personas.peer, action)

    action.refresh_from_db()
    assert response.status_code == 302
    assert action.done_at is not None
    page = client.get(reverse("mentoring:session", args=[session.pk])).content.decode()
    assert "Done" in page


def test_the_mentor_may_mark_the_mentees_action_done(client, personas, session):
    action = session.actions.get(owner=personas.peer)

    _done(client, personas.mentor, action)

    action.refresh_from_db()
    assert action.done_at is not None


def test_marking_done_twice_keeps_the_first_time(personas, session):
    action = session.actions.get(owner=personas.peer)
    first = action_complete(action=action, by=personas.peer).done_at

    again = action_complete(action=action, by=personas.peer).done_at

    assert first == again


def test_the_mentee_cannot_mark_the_mentors_action_done(client, personas, session):
    action = session.actions.get(owner=personas.mentor)

    response = _done(client, personas.peer, action)

    action.refresh_from_db()
    assert response.status_code == 404
    assert action.done_at is None


@pytest.mark.parametrize("who", ["coordinator", "other_peer", "other_mentor"])
def test_strangers_cannot_mark_actions_done(client, personas, session, who):
    action = session.actions.get(owner=personas.peer)

    response = _done(client, getattr(personas, who), action)

    action.refresh_from_db()
    assert response.status_code == 404
    assert action.done_at is None


def test_marking_done_goes_back_to_a_page_on_this_site_only(client, personas, session):
    action = session.actions.get(owner=personas.peer)

    elsewhere = _done(client, personas.peer, action, next="https://evil.example/")

    assert elsewhere["Location"] == reverse("mentoring:session", args=[session.pk])
