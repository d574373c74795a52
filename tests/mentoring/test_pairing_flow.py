"""The whole journey through the pages: a trainee asks, the mentor accepts, both agree how to
work, the mentorship is active, paused, resumed and ended, and the trainee chooses again."""

import pytest
from django.urls import reverse

from lms.models import AuditEvent
from mentoring.models import MentorRequest, Mentorship
from tests.mentoring.builders import make_mentor, text

pytestmark = pytest.mark.django_db

AGREEMENT = {
    "goals": "- Feel confident leading a group\n- Understand boundaries",
    "meeting_frequency": "An hour every month",
    "boundaries": "Messages on weekdays only",
    "confidentiality": "What we say stays between us, unless someone is at risk.",
}


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", pronouns="she/her", capacity=2)


def _mentorship_url(mentorship, suffix=""):
    return reverse("mentoring:mentorship", args=[mentorship.pk]) + suffix


def test_request_accept_agree_pause_resume_end_and_choose_again(
    client, personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    peer = personas.peer
    client.force_login(peer)

    # Asking.
    page = client.get(reverse("mentoring:request-new", args=[maya.pk]))
    assert "Ask Maya Mentor to be your mentor" in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("mentoring:request-new", args=[maya.pk]),
            {"message": "I am new to peer work and would love your help."},
            follow=True,
        )
    mentor_request = MentorRequest.objects.get()
    assert mentor_request.status == MentorRequest.PENDING
    assert "Your request is on its way to Maya Mentor" in text(response)
    assert [mail.to for mail in mailoutbox] == [[maya.user.email]]
    assert "Pat Peer has asked you to be their mentor" in mailoutbox[0].body
    assert "I am new to peer work" not in mailoutbox[0].body  # read on the site

    home = text(client.get(reverse("mentoring:home")))
    assert "You asked Maya Mentor on" in home
    assert "Withdraw my request" in home

    # The mentor sees it waiting, and accepts.
    client.force_login(maya.user)
    home = text(client.get(reverse("mentoring:home")))
    assert "Requests waiting for your answer" in home
    assert "Pat Peer" in home
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("mentoring:request-answer", args=[mentor_request.pk]),
            {"decision": "accept", "note": "Happy to!"},
            follow=True,
        )
    mentorship = Mentorship.objects.get()
    assert mentorship.status == Mentorship.PROPOSED
    assert mentorship.request == mentor_request
    assert "You have said yes. Next, agree with Pat Peer how you will work together." in text(
        response
    )
    assert mailoutbox[-1].to == [peer.email]
    assert "Good news: Maya Mentor has said yes to mentoring you." in mailoutbox[-1].body

    # The agreement: the mentor writes it and confirms; the trainee confirms; it is active.
    client.post(_mentorship_url(mentorship, "agreement/"), AGREEMENT)
    page = client.get(_mentorship_url(mentorship))
    assert "Feel confident leading a group" in text(page)
    fingerprint = page.context["fingerprint"]
    response = client.post(
        _mentorship_url(mentorship, "agreement/confirm/"), {"fingerprint": fingerprint}, follow=True
    )
    assert "The agreement is settled once Pat Peer confirms." in text(response)
    mentorship.refresh_from_db()
    assert mentorship.status == Mentorship.PROPOSED

    client.force_login(peer)
    response = client.post(
        _mentorship_url(mentorship, "agreement/confirm/"), {"fingerprint": fingerprint}, follow=True
    )
    assert "Your mentorship has started." in text(response)
    mentorship.refresh_from_db()
    assert mentorship.status == Mentorship.ACTIVE
    assert mentorship.started_at is not None

    # Pause and resume.
    response = client.post(_mentorship_url(mentorship, "pause/"), follow=True)
    assert "Your mentorship is paused." in text(response)
    mentorship.refresh_from_db()
    assert mentorship.status == Mentorship.PAUSED
    response = client.post(_mentorship_url(mentorship, "resume/"), follow=True)
    assert "Your mentorship is active." in text(response)
    mentorship.refresh_from_db()
    assert mentorship.status == Mentorship.ACTIVE

    # End, with a no-fault reason.
    page = client.get(_mentorship_url(mentorship, "end/"))
    assert "Nobody is at fault" in text(page)
    response = client.post(
        _mentorship_url(mentorship, "end/"),
        {"reason": "goals_met", "note": "Thank you, Maya."},
        follow=True,
    )
    assert "You can choose a new mentor whenever you are ready." in text(response)
    mentorship.refresh_from_db()
    assert mentorship.status == Mentorship.ENDED
    assert mentorship.ended_by == peer
    assert mentorship.end_reason == "goals_met"
    assert "Earlier mentorships" in text(response)
    assert "We met the goals we set" in text(response)

    # Choosing again: a new request to someone else goes through.
    ravi = make_mentor(personas.home, "Ravi Mentor")
    response = client.post(
        reverse("mentoring:request-new", args=[ravi.pk]), {"message": "Hello Ravi"}, follow=True
    )
    assert "Your request is on its way to Ravi Mentor" in text(response)
    assert MentorRequest.objects.filter(status=MentorRequest.PENDING, mentor=ravi.user).exists()

    verbs = set(
        AuditEvent.objects.filter(action__startswith="mentoring.").values_list("action", flat=True)
    )
    assert {
        "mentoring.request.create",
        "mentoring.request.accept",
        "mentoring.mentorship.create",
        "mentoring.mentorship.agreement_change",
        "mentoring.mentorship.confirm",
        "mentoring.mentorship.start",
        "mentoring.mentorship.pause",
        "mentoring.mentorship.resume",
        "mentoring.mentorship.end",
    } <= verbs


def test_a_declined_request_is_told_kindly_and_the_trainee_can_ask_again(
    client, personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.peer)
    client.post(reverse("mentoring:request-new", args=[maya.pk]), {"message": "Hello"})
    mentor_request = MentorRequest.objects.get()

    client.force_login(maya.user)
    answer = {"decision": "decline", "note": "I am full this season. Ravi would be great."}
    url = reverse("mentoring:request-answer", args=[mentor_request.pk])
    sent_before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(url, answer)
    # Saying no asks first; the note typed is carried through; nothing is sent yet.
    assert "Say no to Pat Peer?" in text(asked)
    assert "Ravi would be great." in asked.content.decode()  # in a hidden field
    assert MentorRequest.objects.get().status == MentorRequest.PENDING
    assert len(mailoutbox) == sent_before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**answer, "confirm": "yes"}, follow=True)

    assert "You have said no. Pat Peer will be told kindly." in text(response)
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.DECLINED
    assert not Mentorship.objects.exists()
    email = mailoutbox[-1]
    assert email.to == [personas.peer.email]
    assert "it says nothing about you" in email.body
    assert "Ravi would be great" not in email.body  # the note is read on the site
    assert "You can choose someone else" in email.body

    client.force_login(personas.peer)
    other = make_mentor(personas.home, "Ravi Mentor")
    client.post(reverse("mentoring:request-new", args=[other.pk]), {"message": "Hello"})
    assert MentorRequest.objects.filter(mentor=other.user, status="pending").count() == 1


def test_the_trainee_withdraws_and_can_ask_someone_else(client, personas, maya):
    client.force_login(personas.peer)
    client.post(reverse("mentoring:request-new", args=[maya.pk]), {"message": "Hello"})
    mentor_request = MentorRequest.objects.get()

    url = reverse("mentoring:request-withdraw", args=[mentor_request.pk])
    asked = client.post(url)
    assert "Withdraw your request to Maya Mentor?" in text(asked)
    assert MentorRequest.objects.get().status == MentorRequest.PENDING

    response = client.post(url, {"confirm": "yes"}, follow=True)

    assert "You have withdrawn your request to Maya Mentor." in text(response)
    mentor_request.refresh_from_db()
    assert mentor_request.status == MentorRequest.WITHDRAWN
    page = text(client.get(reverse("mentoring:request-new", args=[maya.pk])))
    assert "Send my request" in page


def test_an_empty_message_is_asked_for_and_nothing_is_sent(client, personas, maya, mailoutbox):
    client.force_login(personas.peer)

    response = client.post(reverse("mentoring:request-new", args=[maya.pk]), {"message": "  "})

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "Write a few words to the mentor about why you are asking." in text(response)
    assert not MentorRequest.objects.exists()
    assert mailoutbox == []
