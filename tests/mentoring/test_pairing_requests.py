"""Asking a mentor and answering: every refusal says why in plain words and writes nothing, and
a double submit makes one request."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Membership, Role
from mentoring.models import MentoringSettings, MentorRequest, Mentorship
from mentoring.services import pairing
from mentoring.services.pairing import (
    mentor_request_answer,
    mentor_request_create,
    mentor_request_propose,
    mentor_request_withdraw,
)
from tests.mentoring.builders import (
    accepted,
    ask,
    make_mentor,
    make_peer,
    place,
    stage_rule,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", pronouns="she/her", capacity=1)


@pytest.fixture
def ravi(personas):
    return make_mentor(personas.home, "Ravi Mentor", pronouns="he/him")


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages[0]


# --- Asking -----------------------------------------------------------------------------------


def test_the_request_lapses_after_the_organisations_response_days(personas, maya):
    MentoringSettings.objects.create(organisation=personas.home, response_days=3)

    mentor_request = ask(personas.peer, maya)

    assert mentor_request.respond_by - mentor_request.created_at == timedelta(days=3)
    assert mentor_request.trainee_accepted_at is not None
    assert mentor_request.organisation == personas.home


def test_asking_a_second_mentor_names_the_first_and_writes_nothing(client, personas, maya, ravi):
    ask(personas.peer, maya)
    client.force_login(personas.peer)

    page = client.get(reverse("mentoring:request-new", args=[ravi.pk]))
    response = client.post(
        reverse("mentoring:request-new", args=[ravi.pk]), {"message": "Me again"}
    )

    words = "You have already asked Maya Mentor. Wait for her answer or withdraw it first."
    assert words in text(page)
    assert "Send my request" not in text(page)
    assert response.status_code == 200
    assert words in text(response)
    assert MentorRequest.objects.count() == 1


def test_pronouns_choose_the_words_and_their_is_the_default(personas, ravi):
    ask(personas.peer, ravi)
    sam = make_mentor(personas.home, "Sam Mentor")

    assert "Wait for his answer" in _refusal(lambda: ask(personas.peer, sam))
    mentor_request_withdraw(mentor_request=MentorRequest.objects.get(), by=personas.peer)
    ask(personas.peer, sam)
    assert "Wait for their answer" in _refusal(lambda: ask(personas.peer, ravi))


def test_a_double_submit_that_slips_past_the_check_is_caught_by_the_constraint(
    personas, maya, ravi, monkeypatch
):
    """Two tabs at the same moment: both pass the check, the database lets one in."""
    first = ask(personas.peer, maya)
    real = pairing.why_trainee_cannot_ask
    calls = []

    def first_check_sees_nothing(**kwargs):
        calls.append(kwargs)
        return "" if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(pairing, "why_trainee_cannot_ask", first_check_sees_nothing)

    message = _refusal(lambda: ask(personas.peer, ravi))

    assert (
        message == "You have already asked Maya Mentor. Wait for her answer or withdraw it first."
    )
    assert list(MentorRequest.objects.all()) == [first]
    assert AuditEvent.objects.filter(action="mentoring.request.create").count() == 1


def test_a_trainee_with_a_mentor_is_told_to_end_that_first(personas, maya, ravi):
    accepted(personas.peer, maya)

    message = _refusal(lambda: ask(personas.peer, ravi))

    assert message == (
        "You already have a mentor here, Maya Mentor. You can choose again once that "
        "mentorship ends."
    )
    assert MentorRequest.objects.count() == 1


def test_a_full_mentor_cannot_be_asked(personas, maya):
    accepted(make_peer(personas.home, "Ali Peer"), maya)  # capacity 1: now full

    message = _refusal(lambda: ask(personas.peer, maya))

    assert message == "Maya Mentor has no free place at the moment. You can choose someone else."
    assert MentorRequest.objects.filter(trainee=personas.peer).count() == 0


def test_a_mentor_who_is_not_accepting_cannot_be_asked(client, personas, maya):
    maya.accepting = False
    maya.save()
    client.force_login(personas.peer)

    page = text(client.get(reverse("mentoring:request-new", args=[maya.pk])))

    assert "Maya Mentor is not taking on new mentees at the moment." in page
    assert "Send my request" not in page
    assert "not taking on new mentees" in _refusal(lambda: ask(personas.peer, maya))


def test_nobody_can_ask_themselves(personas):
    profile = make_mentor(personas.home, "", user=personas.peer)

    assert _refusal(lambda: ask(personas.peer, profile)) == "You cannot be your own mentor."


# --- Answering --------------------------------------------------------------------------------


def test_accepting_a_withdrawn_request_says_so_and_makes_no_mentorship(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    mentor_request_withdraw(mentor_request=mentor_request, by=personas.peer)
    client.force_login(maya.user)

    response = client.post(
        reverse("mentoring:request-answer", args=[mentor_request.pk]),
        {"decision": "accept", "note": "Yes please"},
    )

    assert response.status_code == 200
    assert "This request was withdrawn, so there is nothing to accept." in text(response)
    assert not Mentorship.objects.exists()
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.WITHDRAWN
    assert mentor_request.answer_note == ""


def test_answering_twice_says_it_is_already_answered(personas, maya):
    mentor_request = ask(personas.peer, maya)
    mentor_request_answer(mentor_request=mentor_request, by=maya.user, accept=True)

    message = _refusal(
        lambda: mentor_request_answer(mentor_request=mentor_request, by=maya.user, accept=False)
    )

    assert message == "This request has already been answered."
    assert Mentorship.objects.get().status == Mentorship.PROPOSED


def test_a_request_past_its_respond_by_time_cannot_be_accepted(personas, maya):
    mentor_request = ask(personas.peer, maya)
    MentorRequest.objects.filter(pk=mentor_request.pk).update(
        respond_by=timezone.now() - timedelta(minutes=1)
    )

    message = _refusal(
        lambda: mentor_request_answer(mentor_request=mentor_request, by=maya.user, accept=True)
    )

    assert "lapsed" in message
    assert not Mentorship.objects.exists()


def test_the_trainee_cannot_accept_their_own_request(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    client.force_login(personas.peer)

    page = client.get(reverse("mentoring:request", args=[mentor_request.pk]))
    response = client.post(
        reverse("mentoring:request-answer", args=[mentor_request.pk]), {"decision": "accept"}
    )

    assert 'name="decision"' not in page.content.decode()
    assert "Only Maya Mentor can answer this request." in text(response)
    assert not Mentorship.objects.exists()


def test_a_mentor_at_capacity_is_told_and_nothing_is_written(personas, maya):
    waiting = ask(personas.peer, maya)
    # Someone else's request was accepted first (capacity 1).
    ali = make_peer(personas.home, "Ali Peer")
    other = MentorRequest.objects.create(
        organisation=personas.home,
        trainee=ali,
        mentor=maya.user,
        trainee_accepted_at=timezone.now(),
        respond_by=timezone.now() + timedelta(days=7),
    )
    mentor_request_answer(mentor_request=other, by=maya.user, accept=True)

    message = _refusal(
        lambda: mentor_request_answer(mentor_request=waiting, by=maya.user, accept=True)
    )

    assert message.startswith("You are at your capacity of 1 mentee, so you cannot accept")
    waiting.refresh_from_db()
    assert waiting.status == MentorRequest.PENDING
    assert waiting.mentor_accepted_at is None
    assert Mentorship.objects.filter(mentor=maya.user).count() == 1


def test_a_decision_other_than_accept_or_decline_is_refused(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    client.force_login(maya.user)

    response = client.post(
        reverse("mentoring:request-answer", args=[mentor_request.pk]),
        {"decision": "maybe", "note": "Let me think"},
    )

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "Let me think" in response.content.decode()
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.PENDING


# --- Withdrawing ------------------------------------------------------------------------------


def test_only_the_trainee_can_withdraw(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    client.force_login(maya.user)

    response = client.post(
        reverse("mentoring:request-withdraw", args=[mentor_request.pk]), follow=True
    )

    assert "Only the person who asked can withdraw a request." in text(response)
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.PENDING


def test_withdrawing_twice_or_after_acceptance_says_why(personas, maya, ravi):
    first = ask(personas.peer, maya)
    mentor_request_withdraw(mentor_request=first, by=personas.peer)
    assert _refusal(lambda: mentor_request_withdraw(mentor_request=first, by=personas.peer)) == (
        "You have already withdrawn this request."
    )

    second = ask(personas.peer, ravi)
    mentor_request_answer(mentor_request=second, by=ravi.user, accept=True)
    assert "already been accepted" in _refusal(
        lambda: mentor_request_withdraw(mentor_request=second, by=personas.peer)
    )
    assert Mentorship.objects.get().status == Mentorship.PROPOSED


def test_the_request_page_shows_the_trainee_their_request(client, personas, maya):
    mentor_request = mentor_request_create(
        trainee=personas.peer, profile=maya, message="Could you help with group work?"
    )
    client.force_login(personas.peer)

    page = text(client.get(reverse("mentoring:request", args=[mentor_request.pk])))

    assert "Your request to Maya Mentor" in page
    assert "Could you help with group work?" in page
    assert "Withdraw my request" in page


# --- A mentor who may no longer mentor --------------------------------------------------------


def _end_mentor_role(profile):
    today = timezone.localdate()
    Membership.objects.filter(user=profile.user, role=Role.MENTOR).update(
        active_from=today - timedelta(days=30), active_to=today
    )


def test_a_mentor_whose_role_has_ended_cannot_accept(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    _end_mentor_role(maya)
    client.force_login(maya.user)

    response = client.post(
        reverse("mentoring:request-answer", args=[mentor_request.pk]),
        {"decision": "accept", "note": "Happy to"},
    )

    assert response.status_code == 200
    assert (
        "You are not mentoring at Home Org at the moment, so you cannot accept this now. "
        "Your coordinator can tell you more."
    ) in text(response)
    assert "Happy to" in response.content.decode()
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.PENDING
    assert mentor_request.mentor_accepted_at is None
    assert not Mentorship.objects.exists()


def test_a_mentor_who_is_no_longer_at_the_stage_cannot_accept(personas, maya):
    _, trainee_stage, peer_worker = stage_rule(personas.home)
    place(maya.user, peer_worker)
    mentor_request = ask(personas.peer, maya)
    place(maya.user, trainee_stage)

    message = _refusal(
        lambda: mentor_request_answer(mentor_request=mentor_request, by=maya.user, accept=True)
    )

    assert message.startswith("You are not mentoring at Home Org at the moment")
    assert not Mentorship.objects.exists()


def test_the_trainee_saying_yes_last_is_told_kindly_when_the_mentor_has_stopped(personas, maya):
    proposal = mentor_request_propose(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=maya.user,
        by=personas.coordinator,
        message="A good fit",
    )
    mentor_request_answer(mentor_request=proposal, by=maya.user, accept=True)
    _end_mentor_role(maya)

    message = _refusal(
        lambda: mentor_request_answer(mentor_request=proposal, by=personas.peer, accept=True)
    )

    assert message == (
        "Maya Mentor is not mentoring at Home Org at the moment, so this pairing cannot start. "
        "Your coordinator can help you find someone else."
    )
    proposal.refresh_from_db()
    assert proposal.status == MentorRequest.PENDING
    assert proposal.trainee_accepted_at is None
    assert not Mentorship.objects.exists()


# --- Withdrawing asks first, and can be undone while the request could still be answered --------


def test_withdrawing_asks_first_and_changes_nothing_until_confirmed(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    client.force_login(personas.peer)
    url = reverse("mentoring:request-withdraw", args=[mentor_request.pk])

    by_link = client.get(url)
    by_button = client.post(url)

    for asked in (by_link, by_button):
        assert asked.status_code == 200
        assert "Withdraw your request to Maya Mentor?" in text(asked)
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.PENDING


def test_a_withdrawn_request_can_be_asked_again_with_undo(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    client.force_login(personas.peer)
    client.post(reverse("mentoring:request-withdraw", args=[mentor_request.pk]), {"confirm": "yes"})
    page = text(client.get(reverse("mentoring:request", args=[mentor_request.pk])))
    assert "Undo: ask Maya Mentor again" in page

    response = client.post(
        reverse("mentoring:request-restore", args=[mentor_request.pk]), follow=True
    )

    assert "Your request to Maya Mentor is waiting for an answer again." in text(response)
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.PENDING
    assert mentor_request.answered_at is None


def test_undo_is_refused_once_the_trainee_asked_someone_else(client, personas, maya, ravi):
    first = ask(personas.peer, maya)
    mentor_request_withdraw(mentor_request=first, by=personas.peer)
    ask(personas.peer, ravi)
    client.force_login(personas.peer)

    response = client.post(reverse("mentoring:request-restore", args=[first.pk]), follow=True)

    assert "You are waiting on another request" in text(response)
    first.refresh_from_db()
    assert first.status == MentorRequest.WITHDRAWN


def test_undo_ends_when_the_request_could_no_longer_be_answered(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    mentor_request_withdraw(mentor_request=mentor_request, by=personas.peer)
    MentorRequest.objects.filter(pk=mentor_request.pk).update(
        respond_by=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(personas.peer)

    response = client.post(reverse("mentoring:request-restore", args=[mentor_request.pk]))

    assert response.status_code == 404
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.WITHDRAWN


@pytest.mark.parametrize("who", ["mentor", "other_peer", "coordinator"])
def test_only_the_trainee_can_undo_a_withdrawal(client, personas, maya, who):
    mentor_request = ask(personas.peer, maya)
    mentor_request_withdraw(mentor_request=mentor_request, by=personas.peer)
    client.force_login(maya.user if who == "mentor" else getattr(personas, who))

    response = client.post(reverse("mentoring:request-restore", args=[mentor_request.pk]))

    assert response.status_code == 404
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.WITHDRAWN


def test_undo_is_refused_once_the_mentor_has_stopped_mentoring(client, personas, maya):
    mentor_request = ask(personas.peer, maya)
    mentor_request_withdraw(mentor_request=mentor_request, by=personas.peer)
    _end_mentor_role(maya)
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:request-restore", args=[mentor_request.pk]), follow=True
    )

    assert "Your request to Maya Mentor is waiting for an answer again." not in text(response)
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.WITHDRAWN


def test_a_request_withdrawn_before_its_email_went_is_announced_when_it_comes_back(
    client, personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        mentor_request = ask(personas.peer, maya)  # its email task has not run yet
    mentor_request_withdraw(mentor_request=mentor_request, by=personas.peer)
    client.force_login(personas.peer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mentoring:request-restore", args=[mentor_request.pk]))

    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.PENDING
    assert mentor_request.announced_at is not None
    assert [message.to for message in mailoutbox] == [[maya.user.email]]
