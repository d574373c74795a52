"""Logging a supervision session: only the mentor of an open mentorship may, a session in the
future, of no length or over 8 hours is refused with a clear message and nothing written, and the
mentee is asked (once) by email to confirm it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lms.models import Role
from mentoring.models import (
    ActionItem,
    Mentorship,
    SessionFormat,
    SessionPrivateNote,
    SupervisionSession,
)
from mentoring.services.supervision import session_log
from mentoring.tasks import send_session_to_confirm_email
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


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


def _post_data(**overrides):
    data = {
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "duration_minutes": "60",
        "format": SessionFormat.ONLINE,
        "topics": ["wellbeing", "boundaries"],
        "summary": "We talked about keeping work and home apart.",
        "private_notes": "Seemed tired; ask about rota next time.",
        "action1_description": "Write down three boundaries",
        "action1_owner": "mentee",
        "action1_due_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "action2_description": "Send the rota guide",
        "action2_owner": "mentor",
        "action2_due_on": "",
        "action3_description": "",
        "action3_owner": "mentee",
        "action3_due_on": "",
    }
    data.update(overrides)
    return data


def _log(mentorship, **overrides):
    arguments = {
        "mentorship": mentorship,
        "by": mentorship.mentor,
        "held_on": timezone.localdate(),
        "duration_minutes": 60,
        "format": SessionFormat.IN_PERSON,
        "topics": ["wellbeing"],
        "summary": "Summary",
        "private_notes": "",
        "actions": [],
    }
    arguments.update(overrides)
    return session_log(**arguments)


def _nothing_written():
    return not (
        SupervisionSession.objects.exists()
        or ActionItem.objects.exists()
        or SessionPrivateNote.objects.exists()
    )


# --- The form ---------------------------------------------------------------------------------


def test_mentor_logs_a_session_with_actions_and_private_notes(
    client, personas, mentorship, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-new", args=[mentorship.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _post_data(), follow=True)

    session = SupervisionSession.objects.get()
    assert response.redirect_chain[-1][0] == reverse("mentoring:session", args=[session.pk])
    assert "Pat Peer has been asked to confirm it" in response.content.decode()
    assert session.status == SupervisionSession.AWAITING
    assert session.duration_minutes == 60
    assert session.topics == ["wellbeing", "boundaries"]
    assert session.summary == "<p>We talked about keeping work and home apart.</p>"
    assert session.logged_by == personas.mentor
    note = SessionPrivateNote.objects.get()
    assert note.author == personas.mentor
    assert note.body == "<p>Seemed tired; ask about rota next time.</p>"
    actions = {a.description: a for a in ActionItem.objects.all()}
    assert set(actions) == {"Write down three boundaries", "Send the rota guide"}
    assert actions["Write down three boundaries"].owner == personas.peer
    assert actions["Send the rota guide"].owner == personas.mentor
    assert actions["Send the rota guide"].due_on is None
    # The mentee is asked to confirm, without the summary or the notes in the email.
    assert [m.to for m in mailoutbox] == [[personas.peer.email]]
    body = mailoutbox[0].body
    assert "Mo Mentor has logged your supervision session" in body
    assert reverse("mentoring:session", args=[session.pk]) in body
    assert "keeping work and home apart" not in body
    assert "Seemed tired" not in body


def test_the_form_shows_topics_owners_and_the_private_notes_hint(client, personas, mentorship):
    client.force_login(personas.mentor)

    page = client.get(reverse("mentoring:session-new", args=[mentorship.pk])).content.decode()

    assert "Log a session with Pat Peer" in page
    assert "Only you will ever see these" in page
    assert "Using lived experience" in page
    assert "Action 3" in page
    assert 'value="mentee"' in page and "You</label>" in page


def test_private_notes_are_written_only_when_given(client, personas, mentorship):
    client.force_login(personas.mentor)

    client.post(
        reverse("mentoring:session-new", args=[mentorship.pk]), _post_data(private_notes="  ")
    )

    assert SupervisionSession.objects.count() == 1
    assert not SessionPrivateNote.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "held_on",
            (timezone.localdate() + timedelta(days=1)).isoformat(),
            "The date of the session must be today or in the past",
        ),
        ("duration_minutes", "0", "Enter how long the session lasted, in minutes"),
        ("duration_minutes", "-30", "Enter how long the session lasted, in minutes"),
        ("duration_minutes", "540", "A session can be at most 8 hours (480 minutes)"),
        ("duration_minutes", "", "Enter how long the session lasted, in minutes"),
        ("format", "", "Choose how you met"),
    ],
)
def test_a_wrong_session_is_refused_with_a_clear_message_and_what_was_typed_kept(
    client, personas, mentorship, field, value, message
):
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:session-new", args=[mentorship.pk]), _post_data(**{field: value})
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert "Write down three boundaries" in page  # nothing typed is lost
    assert "Seemed tired; ask about rota next time." in page
    assert _nothing_written()


def test_a_due_date_without_an_action_is_questioned(client, personas, mentorship):
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:session-new", args=[mentorship.pk]),
        _post_data(action3_due_on=timezone.localdate().isoformat()),
    )

    assert "Say what action 3 is, or clear its date" in response.content.decode()
    assert _nothing_written()


# --- The service ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"held_on": timezone.localdate() + timedelta(days=1)},
            "held_on",
            "The date of the session must be today or in the past",
        ),
        ({"duration_minutes": 0}, "duration_minutes", "Enter how long the session lasted"),
        ({"duration_minutes": -5}, "duration_minutes", "Enter how long the session lasted"),
        ({"duration_minutes": 9 * 60}, "duration_minutes", "at most 8 hours (480 minutes)"),
        ({"format": "telepathy"}, "format", "Choose how you met"),
        ({"topics": ["gossip"]}, "topics", "Choose topics from the list"),
    ],
)
def test_the_service_refuses_a_wrong_session_by_field(mentorship, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        _log(mentorship, **overrides)

    assert message in refused.value.message_dict[field][0]
    assert _nothing_written()


def _began_on(mentorship):
    return timezone.localdate(mentorship.created_at)


def test_a_date_before_the_mentorship_began_is_refused_by_the_service(mentorship):
    began = _began_on(mentorship)

    with pytest.raises(ValidationError) as refused:
        _log(mentorship, held_on=began - timedelta(days=1))

    assert refused.value.message_dict["held_on"] == [
        f"The date must be on or after {began.day} {began:%B %Y}, when this mentorship began."
    ]
    assert _nothing_written()


def test_the_day_the_mentorship_began_is_accepted(mentorship):
    assert _log(mentorship, held_on=_began_on(mentorship)).pk


def test_a_date_before_the_mentorship_began_is_refused_on_the_form(client, personas, mentorship):
    began = _began_on(mentorship)
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:session-new", args=[mentorship.pk]),
        _post_data(held_on=(began - timedelta(days=1)).isoformat()),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f"The date must be on or after {began.day} {began:%B %Y}" in page
    assert "Write down three boundaries" in page  # nothing typed is lost
    assert _nothing_written()


def test_eight_hours_exactly_and_today_are_accepted(mentorship):
    session = _log(mentorship, duration_minutes=480, held_on=timezone.localdate())

    assert session.hours == 8


def test_an_action_for_someone_outside_the_mentorship_is_refused(mentorship, personas):
    with pytest.raises(ValidationError) as refused:
        _log(mentorship, actions=[{"description": "Do it", "owner": personas.coordinator}])

    assert "the mentee or the mentor" in refused.value.message_dict["actions"][0]
    assert _nothing_written()


def test_only_the_mentor_may_log(mentorship, personas):
    with pytest.raises(ValidationError):
        _log(mentorship, by=personas.peer)

    assert _nothing_written()


@pytest.mark.parametrize("status", [Mentorship.PROPOSED, Mentorship.PAUSED])
def test_a_proposed_or_paused_mentorship_can_have_sessions_logged(mentorship, status):
    mentorship.status = status
    mentorship.save()

    assert _log(mentorship).pk


# --- Twice ------------------------------------------------------------------------------------


def test_posting_the_form_twice_logs_the_session_once(
    client, personas, mentorship, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-new", args=[mentorship.pk])
    held_on = timezone.localdate() - timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, _post_data())
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, _post_data(summary="Typed again", private_notes="Again"))

    assert first.status_code == 302
    assert again.status_code == 200
    page = again.content.decode()
    assert f"This session is already logged — see {held_on.day} {held_on:%B %Y}." in page
    assert "Typed again" in page  # what was typed is kept
    assert SupervisionSession.objects.count() == 1
    assert ActionItem.objects.count() == 2
    assert SessionPrivateNote.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_same_session_is_refused_by_the_service_and_nothing_more_written(mentorship):
    first = _log(mentorship, actions=[{"description": "Do it", "owner": mentorship.trainee}])

    with pytest.raises(ValidationError) as refused:
        _log(mentorship, actions=[{"description": "Do it", "owner": mentorship.trainee}])

    assert refused.value.messages == [
        f"This session is already logged — see {first.held_on.day} {first.held_on:%B %Y}."
    ]
    assert SupervisionSession.objects.count() == 1
    assert ActionItem.objects.count() == 1


def test_a_different_session_on_the_same_day_is_logged(mentorship):
    _log(mentorship)

    _log(mentorship, duration_minutes=30)
    _log(mentorship, format=SessionFormat.PHONE)

    assert SupervisionSession.objects.count() == 3


def test_a_session_the_mentee_said_was_wrong_does_not_block_logging_it_again(mentorship):
    first = _log(mentorship)
    SupervisionSession.objects.filter(pk=first.pk).update(status=SupervisionSession.DISPUTED)

    assert _log(mentorship).pk != first.pk


# --- An ended mentorship ----------------------------------------------------------------------


def _end(mentorship):
    mentorship.status = Mentorship.ENDED
    mentorship.ended_at = timezone.now()
    mentorship.save()


ENDED = "This mentorship has ended, so sessions can no longer be logged for it."


def test_an_ended_mentorship_is_refused_by_the_service(mentorship):
    _end(mentorship)

    with pytest.raises(ValidationError) as refused:
        _log(mentorship)

    assert refused.value.messages == [ENDED]
    assert _nothing_written()


def test_an_ended_mentorship_says_so_on_the_page_and_writes_nothing(client, personas, mentorship):
    _end(mentorship)
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-new", args=[mentorship.pk])

    shown = client.get(url).content.decode()
    posted = client.post(url, _post_data())

    assert ENDED in shown
    assert "<form" not in shown.split("<main", 1)[1].split("</main>")[0]
    assert posted.status_code == 200
    assert ENDED in posted.content.decode()
    assert _nothing_written()


# --- Who may log ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["peer", "coordinator", "org_admin", "other_mentor", "other_coordinator", "editor"]
)
def test_nobody_but_the_mentor_may_open_or_post_the_form(client, personas, mentorship, who):
    client.force_login(getattr(personas, who))
    url = reverse("mentoring:session-new", args=[mentorship.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, _post_data()).status_code == 404
    assert _nothing_written()


def test_another_mentor_in_the_same_organisation_gets_404(client, personas, mentorship):
    second = UserFactory(display_name="Sol Second")
    MembershipFactory(user=second, organisation=personas.home, role=Role.MENTOR)
    client.force_login(second)

    response = client.post(reverse("mentoring:session-new", args=[mentorship.pk]), _post_data())

    assert response.status_code == 404
    assert _nothing_written()


def test_anonymous_people_are_sent_to_sign_in(client, mentorship):
    response = client.get(reverse("mentoring:session-new", args=[mentorship.pk]))

    assert response.status_code == 302
    assert reverse("lms:login") in response["Location"]


# --- The email --------------------------------------------------------------------------------


def test_the_confirm_email_is_sent_once_however_often_the_task_runs(
    mentorship, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session = _log(mentorship)

    send_session_to_confirm_email(session.pk)
    send_session_to_confirm_email(session.pk)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Mo Mentor has logged a supervision session for you to check"
    session.refresh_from_db()
    assert session.mentee_told_at is not None


def test_no_email_for_a_session_already_confirmed(mentorship, mailoutbox):
    session = _log(mentorship)  # no on-commit: the task has not run
    SupervisionSession.objects.filter(pk=session.pk).update(status=SupervisionSession.CONFIRMED)

    send_session_to_confirm_email(session.pk)
    send_session_to_confirm_email(999_999)

    assert mailoutbox == []
