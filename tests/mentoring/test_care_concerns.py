"""Concerns: a mentor raises a wellbeing or safeguarding concern in their own words; it reaches
the organisation's coordinators at once by email (once only, without anything from session
summaries or private notes); coordinators read it (every read audited) and record what was
done; the mentee never sees it; everyone else gets a 404."""

import html
import itertools
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Role
from mentoring.models import (
    Concern,
    ConcernResponse,
    Mentorship,
    SessionPrivateNote,
    SupervisionSession,
)
from mentoring.services.care import concern_raise, concern_respond
from mentoring.tasks import send_concern_email
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

MENTOR_WORDS = "They told me they have not slept for days and feel they cannot go on at work."
SUMMARY_WORDS = "Zebra-summary: we discussed the allotment and the new rota."
PRIVATE_WORDS = "Quokka-private: I wonder whether the housing move is behind this."


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _mentorship(personas, *, status=Mentorship.ACTIVE, trainee=None, mentor=None):
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=trainee or personas.peer,
        mentor=mentor or personas.mentor,
        status=status,
        started_at=timezone.now() - timedelta(days=40),
    )


def _session_with_private_words(mentorship):
    session = SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=timezone.localdate() - timedelta(days=3),
        duration_minutes=60,
        format="online",
        topics=["wellbeing"],
        summary=f"<p>{SUMMARY_WORDS}</p>",
        status=SupervisionSession.CONFIRMED,
        logged_by=mentorship.mentor,
    )
    SessionPrivateNote.objects.create(
        session=session, author=mentorship.mentor, body=f"<p>{PRIVATE_WORDS}</p>"
    )
    return session


@pytest.fixture
def mentorship(personas):
    mentorship = _mentorship(personas)
    _session_with_private_words(mentorship)
    return mentorship


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the request queued after commit (the email task), as a worker would."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.fixture
def post_concern(client, on_commit):
    def post(mentorship, *, kind="safeguarding", description=MENTOR_WORDS, follow=True):
        return on_commit(
            lambda: client.post(
                reverse("mentoring:concern-new", args=[mentorship.pk]),
                {"kind": kind, "description": description},
                follow=follow,
            )
        )

    return post


@pytest.fixture
def concern(mentorship, personas, on_commit):
    return on_commit(
        lambda: concern_raise(
            mentorship=mentorship,
            by=personas.mentor,
            kind=Concern.WELLBEING,
            description=MENTOR_WORDS,
        )
    )


def _concern_url(personas, concern, slug=None):
    return reverse("mentoring:concern", args=[slug or personas.home.slug, concern.pk])


def _list_url(personas, slug=None):
    return reverse("mentoring:concerns", args=[slug or personas.home.slug])


# --- Raising a concern ------------------------------------------------------------------------


def test_the_form_explains_both_kinds_and_says_to_call_999_in_an_emergency(
    client, personas, mentorship
):
    client.force_login(personas.mentor)

    page = _text(client.get(reverse("mentoring:concern-new", args=[mentorship.pk])))

    assert "call 999" in page
    assert "Wellbeing: they seem to be struggling" in page
    assert "Safeguarding: you think they, or someone else, may be at risk" in page
    assert 'type="radio"' in page


def test_mentor_raises_a_concern_and_it_is_stored_with_their_words_only(
    client, personas, mentorship, post_concern
):
    client.force_login(personas.mentor)

    response = post_concern(mentorship)

    concern = Concern.objects.get()
    assert concern.description == MENTOR_WORDS
    assert concern.kind == Concern.SAFEGUARDING
    assert concern.about == personas.peer
    assert concern.raised_by == personas.mentor
    assert concern.organisation == personas.home
    assert concern.status == Concern.OPEN
    assert response.redirect_chain[-1][0] == reverse("mentoring:mentorship", args=[mentorship.pk])
    assert "Your concern has gone to the coordinators at Home Org" in _text(response)
    assert AuditEvent.objects.filter(
        action="mentoring.concern.raised", subject_user=personas.peer, actor=personas.mentor
    ).exists()


def test_an_empty_concern_is_refused_and_what_was_chosen_is_kept(
    client, personas, mentorship, post_concern
):
    client.force_login(personas.mentor)

    response = post_concern(mentorship, description="   ")

    assert response.status_code == 200
    assert "Say what you noticed, in your own words." in _text(response)
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.find("input", attrs={"name": "kind", "value": "safeguarding"}).has_attr("checked")
    assert not Concern.objects.exists()
    assert not mail.outbox


def test_no_kind_chosen_is_refused_and_the_words_are_kept(client, personas, mentorship):
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:concern-new", args=[mentorship.pk]), {"description": MENTOR_WORDS}
    )

    assert response.status_code == 200
    assert "Choose whether this is about wellbeing or safeguarding." in _text(response)
    assert MENTOR_WORDS in _text(response)
    assert not Concern.objects.exists()


def test_the_concern_reaches_every_coordinator_and_org_admin_at_once_by_email(
    client, personas, mentorship, post_concern
):
    second = UserFactory(email="second.coordinator@example.org")
    MembershipFactory(user=second, organisation=personas.home, role=Role.COORDINATOR)
    client.force_login(personas.mentor)

    post_concern(mentorship)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted(
        [personas.coordinator.email, personas.org_admin.email, second.email]
    )
    body = message.body
    # What happened and a link: the mentor's words and who it is about stay on the site.
    assert MENTOR_WORDS not in body
    assert "safeguarding" in body
    assert personas.peer.display_name not in body
    concern = Concern.objects.get()
    assert reverse("mentoring:concern", args=[personas.home.slug, concern.pk]) in body
    html_body = html.unescape(message.alternatives[0][0])
    assert MENTOR_WORDS not in html_body
    assert personas.peer.display_name not in html_body
    # The subject line shows on lock screens: no name in it.
    assert personas.peer.display_name not in message.subject
    assert concern.coordinators_emailed_at is not None


def test_the_email_never_carries_session_summaries_or_private_notes(
    client, personas, mentorship, post_concern
):
    client.force_login(personas.mentor)

    post_concern(mentorship)

    message = mail.outbox[0]
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert "Zebra-summary" not in text
        assert "Quokka-private" not in text


def test_no_one_outside_the_organisation_or_without_a_staff_role_is_emailed(
    client, personas, mentorship, post_concern
):
    client.force_login(personas.mentor)

    post_concern(mentorship)

    recipients = set(mail.outbox[0].to)
    for outsider in (
        personas.peer,
        personas.mentor,
        personas.other_coordinator,
        personas.other_org_admin,
        personas.editor,
    ):
        assert outsider.email not in recipients


def test_a_coordinator_whose_role_has_ended_is_not_emailed(
    client, personas, mentorship, post_concern
):
    membership = personas.coordinator.memberships.get()
    membership.active_to = timezone.localdate()
    membership.save()
    client.force_login(personas.mentor)

    post_concern(mentorship)

    assert mail.outbox[0].to == [personas.org_admin.email]


def test_the_email_task_sends_only_once(concern):
    assert len(mail.outbox) == 1

    send_concern_email(concern.pk)
    send_concern_email(concern.pk)

    assert len(mail.outbox) == 1


def test_raising_the_same_words_twice_keeps_one_concern_and_sends_one_email(
    personas, mentorship, on_commit
):
    raised = [
        on_commit(
            lambda: concern_raise(
                mentorship=mentorship, by=personas.mentor, kind="wellbeing", description="Worried."
            )
        )
        for _ in range(2)
    ]

    assert raised[0].pk == raised[1].pk
    assert Concern.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="mentoring.concern.raised").count() == 1


def test_posting_the_concern_form_twice_keeps_one_concern(
    client, personas, mentorship, post_concern
):
    client.force_login(personas.mentor)

    post_concern(mentorship)
    again = post_concern(mentorship)

    assert Concern.objects.count() == 1
    assert len(mail.outbox) == 1
    assert "Your concern has gone to the coordinators at Home Org" in _text(again)


def test_different_words_or_another_kind_or_an_hour_later_is_a_new_concern(
    personas, mentorship, on_commit
):
    def raise_(kind="wellbeing", description="Worried."):
        return on_commit(
            lambda: concern_raise(
                mentorship=mentorship, by=personas.mentor, kind=kind, description=description
            )
        )

    first = raise_()
    raise_(description="Worried again, about something new.")
    raise_(kind="safeguarding")
    Concern.objects.filter(pk=first.pk).update(raised_at=timezone.now() - timedelta(minutes=61))
    later = raise_()

    assert later.pk != first.pk
    assert Concern.objects.count() == 4
    assert len(mail.outbox) == 4


def test_only_the_mentor_may_raise_a_concern_through_the_service(personas, mentorship):
    with pytest.raises(ValidationError):
        concern_raise(
            mentorship=mentorship, by=personas.peer, kind="wellbeing", description="Worried."
        )

    assert not Concern.objects.exists()


def test_no_concern_can_be_raised_in_an_ended_mentorship(
    client, personas, mentorship, post_concern
):
    Mentorship.objects.filter(pk=mentorship.pk).update(status=Mentorship.ENDED)
    client.force_login(personas.mentor)

    assert client.get(reverse("mentoring:concern-new", args=[mentorship.pk])).status_code == 404
    assert post_concern(mentorship, follow=False).status_code == 404
    with pytest.raises(ValidationError, match="ended"):
        concern_raise(
            mentorship=mentorship, by=personas.mentor, kind="wellbeing", description="Worried."
        )
    assert not Concern.objects.exists()


def test_a_mentor_may_raise_a_concern_in_a_paused_or_proposed_mentorship(
    client, personas, post_concern
):
    paused = _mentorship(personas, status=Mentorship.PAUSED)
    client.force_login(personas.mentor)

    post_concern(paused)

    assert Concern.objects.filter(mentorship=paused).exists()


@pytest.mark.parametrize(
    "who", ["peer", "coordinator", "org_admin", "other_mentor", "other_coordinator", "editor"]
)
def test_nobody_but_the_mentor_can_open_or_post_the_concern_form(
    client, personas, mentorship, who, post_concern
):
    client.force_login(getattr(personas, who))
    url = reverse("mentoring:concern-new", args=[mentorship.pk])

    assert client.get(url).status_code == 404
    assert post_concern(mentorship, follow=False).status_code == 404
    assert not Concern.objects.exists()


def test_another_mentor_in_the_same_organisation_cannot_raise_a_concern(
    client, personas, mentorship, post_concern
):
    colleague = UserFactory()
    MembershipFactory(user=colleague, organisation=personas.home, role=Role.MENTOR)
    client.force_login(colleague)

    assert post_concern(mentorship, follow=False).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, personas, mentorship, concern):
    for url in (
        reverse("mentoring:concern-new", args=[mentorship.pk]),
        _list_url(personas),
        _concern_url(personas, concern),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


# --- Coordinators reading and responding -----------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinators_and_org_admins_see_the_concern_with_the_mentors_words(
    client, personas, concern, who
):
    client.force_login(getattr(personas, who))

    page = _text(client.get(_concern_url(personas, concern)))

    assert MENTOR_WORDS in page
    assert personas.peer.display_name in page
    assert personas.mentor.display_name in page
    assert "Wellbeing" in page


def test_the_concern_pages_never_show_session_summaries_or_private_notes(client, personas, concern):
    client.force_login(personas.coordinator)

    for url in (_list_url(personas), _concern_url(personas, concern)):
        page = _text(client.get(url))
        assert "Zebra-summary" not in page
        assert "Quokka-private" not in page


def test_every_read_of_a_concern_is_audited(client, personas, concern):
    client.force_login(personas.coordinator)

    client.get(_concern_url(personas, concern))
    client.get(_concern_url(personas, concern))

    reads = AuditEvent.objects.filter(action="mentoring.concern.read")
    assert reads.count() == 2
    event = reads.first()
    assert event.actor == personas.coordinator
    assert event.subject_user == personas.peer
    assert event.organisation == personas.home
    assert event.subject_id == str(concern.pk)


def test_the_list_shows_open_concerns_before_closed_ones(client, personas, mentorship):
    older = concern_raise(
        mentorship=mentorship, by=personas.mentor, kind="wellbeing", description="First."
    )
    Concern.objects.filter(pk=older.pk).update(raised_at=timezone.now() - timedelta(days=5))
    closed = concern_raise(
        mentorship=mentorship, by=personas.mentor, kind="safeguarding", description="Second."
    )
    concern_respond(concern=closed, by=personas.coordinator, action_taken="Spoke.", close=True)
    newest = concern_raise(
        mentorship=mentorship, by=personas.mentor, kind="wellbeing", description="Third."
    )
    client.force_login(personas.coordinator)

    page = _text(client.get(_list_url(personas)))

    open_part, closed_part = page.split("<h2>Closed</h2>")
    assert _concern_url(personas, newest) in open_part
    assert _concern_url(personas, older) in open_part
    assert open_part.index(_concern_url(personas, newest)) < open_part.index(
        _concern_url(personas, older)
    )
    assert _concern_url(personas, closed) in closed_part
    # The list does not show the mentor's words: those are read (and audited) one by one.
    assert "First." not in page
    assert not AuditEvent.objects.filter(action="mentoring.concern.read").exists()


def test_coordinator_records_what_was_done_and_closes_the_concern(client, personas, concern):
    client.force_login(personas.coordinator)
    url = _concern_url(personas, concern)

    client.post(url, {"action_taken": "Phoned them; they are seeing their GP."}, follow=True)
    response = client.post(
        url, {"action_taken": "Checked in a week later; all well.", "close": "on"}, follow=True
    )

    concern.refresh_from_db()
    assert concern.status == Concern.CLOSED
    assert list(ConcernResponse.objects.values_list("closes", flat=True)) == [False, True]
    page = _text(response)
    assert "Phoned them; they are seeing their GP." in page
    assert "This concern is closed." in page
    assert AuditEvent.objects.filter(action="mentoring.concern.closed").exists()


def test_an_empty_response_is_refused(client, personas, concern):
    client.force_login(personas.coordinator)

    response = client.post(_concern_url(personas, concern), {"action_taken": " "})

    assert response.status_code == 200
    assert "Say what was done, or what will happen next." in _text(response)
    assert not ConcernResponse.objects.exists()


def test_responding_to_a_closed_concern_is_refused_with_a_clear_message(client, personas, concern):
    concern_respond(concern=concern, by=personas.coordinator, action_taken="Done.", close=True)
    client.force_login(personas.org_admin)

    response = client.post(_concern_url(personas, concern), {"action_taken": "More."})

    assert response.status_code == 200
    assert "This concern is already closed" in _text(response)
    assert ConcernResponse.objects.count() == 1
    with pytest.raises(ValidationError, match="already closed"):
        concern_respond(concern=concern, by=personas.coordinator, action_taken="x", close=False)


def test_only_staff_of_the_organisation_can_respond_through_the_service(personas, concern):
    with pytest.raises(ValidationError):
        concern_respond(concern=concern, by=personas.mentor, action_taken="x", close=True)
    with pytest.raises(ValidationError):
        concern_respond(
            concern=concern, by=personas.other_coordinator, action_taken="x", close=True
        )

    assert not ConcernResponse.objects.exists()


@pytest.mark.parametrize(
    "who", ["peer", "mentor", "other_peer", "other_mentor", "other_coordinator", "editor"]
)
def test_nobody_else_can_see_the_concern_list_or_a_concern(client, personas, concern, who):
    client.force_login(getattr(personas, who))

    assert client.get(_list_url(personas)).status_code == 404
    assert client.get(_concern_url(personas, concern)).status_code == 404
    assert client.post(_concern_url(personas, concern), {"action_taken": "x"}).status_code == 404
    assert not ConcernResponse.objects.exists()
    assert not AuditEvent.objects.filter(action="mentoring.concern.read").exists()


def test_another_organisations_coordinator_gets_404_even_under_their_own_slug(
    client, personas, concern
):
    client.force_login(personas.other_coordinator)

    assert client.get(_concern_url(personas, concern, slug=personas.other.slug)).status_code == 404
    assert client.get(_list_url(personas, slug=personas.other.slug)).status_code == 200
    assert MENTOR_WORDS not in _text(client.get(_list_url(personas, slug=personas.other.slug)))


# --- The mentee never sees it -----------------------------------------------------------------


@pytest.fixture
def peer_also_coordinator(personas):
    """Pat is a peer in Home and also one of its coordinators."""
    MembershipFactory(user=personas.peer, organisation=personas.home, role=Role.COORDINATOR)
    return personas.peer


def test_a_concern_never_reaches_its_subject_who_is_also_a_coordinator(
    client, personas, mentorship, post_concern, peer_also_coordinator
):
    client.force_login(personas.mentor)
    post_concern(mentorship)
    concern = Concern.objects.get()
    assert concern.about == peer_also_coordinator

    # Not by email: the other coordinators hear.
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted(
        [personas.coordinator.email, personas.org_admin.email]
    )

    # Not on the list, nor on the concern page, which is a 404 to them, read or post.
    client.force_login(peer_also_coordinator)
    listing = client.get(_list_url(personas))
    assert listing.status_code == 200
    assert _concern_url(personas, concern) not in _text(listing)
    assert client.get(_concern_url(personas, concern)).status_code == 404
    posted = client.post(_concern_url(personas, concern), {"action_taken": "Nothing to see."})
    assert posted.status_code == 404
    page = _text(client.get("/"))
    assert _concern_url(personas, concern) not in page
    assert MENTOR_WORDS not in page

    # Nor through the service.
    with pytest.raises(ValidationError, match="This concern is about you"):
        concern_respond(
            concern=concern, by=peer_also_coordinator, action_taken="Closing it.", close=True
        )
    concern.refresh_from_db()
    assert concern.status == Concern.OPEN
    assert not ConcernResponse.objects.exists()
    assert not AuditEvent.objects.filter(
        action="mentoring.concern.read", actor=peer_also_coordinator
    ).exists()

    # The other coordinators still see and answer it.
    client.force_login(personas.coordinator)
    assert _concern_url(personas, concern) in _text(client.get(_list_url(personas)))
    assert MENTOR_WORDS in _text(client.get(_concern_url(personas, concern)))


def test_the_mentee_never_sees_a_concern_about_them(client, personas, mentorship, concern):
    client.force_login(personas.peer)

    for url in (
        reverse("mentoring:mentorship", args=[mentorship.pk]),
        reverse("mentoring:home"),
        "/",
    ):
        page = _text(client.get(url))
        assert MENTOR_WORDS not in page
        assert "concern" not in page.lower()


def test_the_mentor_sees_the_status_of_their_concern_but_not_the_coordinators_words(
    client, personas, mentorship, concern
):
    concern_respond(
        concern=concern,
        by=personas.coordinator,
        action_taken="Private coordinator words.",
        close=True,
    )
    client.force_login(personas.mentor)

    page = _text(client.get(reverse("mentoring:mentorship", args=[mentorship.pk])))

    assert "Concerns you raised" in page
    assert "Closed" in page
    assert f"{personas.coordinator.display_name} responded on" in page
    assert "Private coordinator words." not in page


# --- Cost -------------------------------------------------------------------------------------


def test_the_concern_list_runs_the_same_number_of_queries_for_2_and_12_concerns(
    client, personas, mentorship, django_assert_num_queries
):
    raised = itertools.count()

    def raise_some(count):
        for number in range(count):
            concern = concern_raise(
                mentorship=mentorship,
                by=personas.mentor,
                kind="wellbeing",
                description=f"Worry number {next(raised)}",
            )
            if number % 2:
                concern_respond(
                    concern=concern,
                    by=personas.coordinator,
                    action_taken="y",
                    close=number % 4 == 1,
                )

    raise_some(2)
    client.force_login(personas.coordinator)

    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: client.get(_list_url(personas)), lambda: raise_some(10)
    )


def test_a_concern_page_runs_the_same_number_of_queries_for_1_and_8_responses(
    client, personas, concern, django_assert_num_queries
):
    def respond(count):
        for _ in range(count):
            concern_respond(concern=concern, by=personas.coordinator, action_taken="y", close=False)

    respond(1)
    client.force_login(personas.coordinator)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(_concern_url(personas, concern)),
        lambda: respond(7),
    )
