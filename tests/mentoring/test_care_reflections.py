"""A mentor reading the reflections their mentee chose to share: only shared ones, only while
they are the current mentor, every read audited; coordinators and everyone else get a 404."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Reflection, ReflectionShare
from courses.selectors import live_modules
from courses.services import reflection_share, reflection_unshare
from lms.models import AuditEvent, Role
from mentoring.models import EndReason, Mentorship
from mentoring.services.pairing import mentorship_end
from tests.courses.builders import make_course, reflection_prompt, text
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

SHARED_WORDS = "Being listened to felt like being let back into the room."
PRIVATE_WORDS = "I have never told anyone how frightened I was."


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _url(user):
    return reverse("mentoring:mentee-reflections", args=[user.pk])


@pytest.fixture
def module():
    course = make_course(
        "Listening Well", modules=1, bodies=[[text(), reflection_prompt("What helps?")]]
    )
    return live_modules(course=course).get()


def _reflection(user, module, body, *, shared, prompt_id=None):
    """A reflection, shared (if asked) with the writer's mentor of today."""
    reflection = Reflection.objects.create(
        user=user,
        module=module,
        prompt_id=prompt_id or f"prompt-{Reflection.objects.count()}",
        prompt="What does being listened to mean to you?",
        body=f"<p>{body}</p>",
    )
    if shared:
        reflection_share(reflection=reflection)
    return reflection


@pytest.fixture
def mentorship(personas):
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=30),
    )


@pytest.fixture
def reflections(personas, module, mentorship):
    return (
        _reflection(personas.peer, module, SHARED_WORDS, shared=True),
        _reflection(personas.peer, module, PRIVATE_WORDS, shared=False),
    )


def test_the_mentor_reads_only_the_reflections_that_were_shared(
    client, personas, mentorship, reflections
):
    client.force_login(personas.mentor)

    page = _text(client.get(_url(personas.peer)))

    assert SHARED_WORDS in page
    assert PRIVATE_WORDS not in page
    assert "Listening Well module 1" in page


def test_stopping_sharing_takes_a_reflection_off_the_mentors_page(
    client, personas, mentorship, reflections
):
    reflection_unshare(reflection=reflections[0])
    client.force_login(personas.mentor)

    page = _text(client.get(_url(personas.peer)))

    assert SHARED_WORDS not in page
    assert "has not shared any reflections with you" in page


def test_every_read_is_audited(client, personas, mentorship, reflections):
    client.force_login(personas.mentor)

    client.get(_url(personas.peer))

    event = AuditEvent.objects.get(action="mentoring.reflections.read")
    assert event.actor == personas.mentor
    assert event.subject_user == personas.peer
    assert event.organisation == personas.home
    assert event.detail == {"reflections": [reflections[0].pk]}


def test_the_mentorship_page_links_to_shared_reflections_with_a_count(
    client, personas, mentorship, reflections, module
):
    _reflection(personas.peer, module, "Another shared one.", shared=True)
    client.force_login(personas.mentor)

    page = _text(client.get(reverse("mentoring:mentorship", args=[mentorship.pk])))

    assert _url(personas.peer) in page
    assert "2 reflections" in page


def test_after_the_mentorship_ends_the_mentor_cannot_read_them(
    client, personas, mentorship, reflections
):
    mentorship_end(mentorship=mentorship, by=personas.mentor, reason=EndReason.MOVING_ON)
    client.force_login(personas.mentor)

    assert client.get(_url(personas.peer)).status_code == 404


@pytest.mark.parametrize(
    "who", ["coordinator", "org_admin", "other_mentor", "other_coordinator", "editor", "peer"]
)
def test_nobody_but_the_current_mentor_can_read_shared_reflections(
    client, personas, mentorship, reflections, who
):
    client.force_login(getattr(personas, who))

    assert client.get(_url(personas.peer)).status_code == 404
    assert not AuditEvent.objects.filter(action="mentoring.reflections.read").exists()


def test_another_mentor_cannot_read_them_by_changing_the_id(
    client, personas, mentorship, reflections, module
):
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=personas.home, role=Role.PEER)
    theirs = _reflection(stranger, module, "Someone else's words.", shared=False)
    ReflectionShare.objects.create(
        reflection=theirs, shared_with=personas.mentor, relationship="mentorship:0"
    )
    client.force_login(personas.mentor)

    assert client.get(_url(stranger)).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, personas):
    response = client.get(_url(personas.peer))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_page_runs_the_same_number_of_queries_for_1_and_8_reflections(
    client, personas, mentorship, module, django_assert_num_queries
):
    _reflection(personas.peer, module, "One.", shared=True)
    client.force_login(personas.mentor)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(_url(personas.peer)),
        lambda: [_reflection(personas.peer, module, "More.", shared=True) for _ in range(7)],
    )


# --- Consent names a person and ends with the mentorship --------------------------------------


def _share_on_the_page(client, reflection):
    return client.post(
        reverse("courses:reflection-share", args=[reflection.pk]), {"shared": "yes"}, follow=True
    )


def test_with_no_mentor_there_is_nobody_to_share_with_and_the_page_says_so(
    client, personas, module
):
    reflection = _reflection(personas.peer, module, SHARED_WORDS, shared=False)
    client.force_login(personas.peer)

    listing = _text(client.get(reverse("courses:reflections")))
    answer = _text(_share_on_the_page(client, reflection))

    assert "You do not have a mentor at the moment, so there is nobody to share" in listing
    assert "Share with" not in listing
    assert "so there is nobody to share this with. It stays private to you." in answer
    assert not ReflectionShare.objects.exists()


def test_a_reflection_shared_before_choosing_a_mentor_is_not_shown_to_the_new_mentor(
    client, personas, module
):
    """The defect: "Share with my mentor" pressed with no mentor, then a mentor chosen later."""
    reflection = _reflection(personas.peer, module, SHARED_WORDS, shared=False)
    client.force_login(personas.peer)
    _share_on_the_page(client, reflection)
    Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now(),
    )
    client.force_login(personas.mentor)

    page = _text(client.get(_url(personas.peer)))

    assert SHARED_WORDS not in page
    assert "has not shared any reflections with you" in page


def test_sharing_names_the_mentor_and_the_day(client, personas, mentorship, module):
    reflection = _reflection(personas.peer, module, SHARED_WORDS, shared=False)
    client.force_login(personas.peer)

    answer = _text(_share_on_the_page(client, reflection))

    share = ReflectionShare.objects.get()
    assert (share.shared_with, share.relationship) == (
        personas.mentor,
        f"mentorship:{mentorship.pk}",
    )
    today = timezone.localtime().strftime("%-d %b %Y")
    assert f"Shared with Mo Mentor since {today}" in answer
    assert "Mo Mentor can now read this reflection" in answer
    assert "Stop sharing with Mo Mentor" in answer


def test_sharing_twice_keeps_one_share(client, personas, mentorship, module):
    reflection = _reflection(personas.peer, module, SHARED_WORDS, shared=False)
    client.force_login(personas.peer)

    _share_on_the_page(client, reflection)
    _share_on_the_page(client, reflection)

    assert ReflectionShare.objects.filter(ended_at=None).count() == 1


def test_sharing_and_unsharing_are_audited_as_the_peers_own_decisions(
    client, personas, mentorship, module
):
    reflection = _reflection(personas.peer, module, SHARED_WORDS, shared=False)
    client.force_login(personas.peer)

    _share_on_the_page(client, reflection)
    client.post(reverse("courses:reflection-share", args=[reflection.pk]), {"shared": "no"})

    events = AuditEvent.objects.filter(action__startswith="courses.reflection.").order_by("pk")
    assert [(e.action, e.actor, e.subject_user, e.organisation) for e in events] == [
        ("courses.reflection.shared", personas.peer, personas.peer, personas.home),
        ("courses.reflection.unshared", personas.peer, personas.peer, personas.home),
    ]


def test_ending_the_mentorship_ends_every_share_made_in_it(
    client, personas, mentorship, reflections
):
    mentorship_end(mentorship=mentorship, by=personas.peer, reason=EndReason.MOVING_ON)

    assert not ReflectionShare.objects.filter(ended_at=None).exists()
    client.force_login(personas.peer)
    listing = _text(client.get(reverse("courses:reflections")))
    assert "Shared with" not in listing
    assert listing.count("Private to you") == 2


@pytest.mark.parametrize("next_mentor", ["mentor", "other_mentor_at_home"])
def test_a_new_mentorship_sees_only_what_is_shared_in_it(
    client, personas, mentorship, reflections, module, next_mentor
):
    """Whether the next mentor is someone new or the same person again, consent given in the
    ended mentorship does not carry over."""
    mentorship_end(mentorship=mentorship, by=personas.peer, reason=EndReason.MOVING_ON)
    mentor = personas.mentor
    if next_mentor == "other_mentor_at_home":
        mentor = UserFactory(display_name="Nia Next")
        MembershipFactory(user=mentor, organisation=personas.home, role=Role.MENTOR)
    Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now(),
    )
    client.force_login(mentor)
    assert SHARED_WORDS not in _text(client.get(_url(personas.peer)))

    reflection_share(reflection=reflections[1])

    page = _text(client.get(_url(personas.peer)))
    assert PRIVATE_WORDS in page
    assert SHARED_WORDS not in page


def test_a_share_left_open_by_an_old_relationship_is_still_not_shown(
    client, personas, mentorship, reflections
):
    """Belt and braces: even if an ended mentorship's share were never closed, it belongs to
    that relationship and no other."""
    Mentorship.objects.filter(pk=mentorship.pk).update(status=Mentorship.ENDED)
    Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now(),
    )
    assert ReflectionShare.objects.filter(ended_at=None).count() == 1
    client.force_login(personas.mentor)

    assert SHARED_WORDS not in _text(client.get(_url(personas.peer)))
