"""Who may use the pairing pages: a matrix over every URL and the people who must be refused.
Anonymous people are sent to sign in; everyone else who is not entitled gets 404 (never 403),
and nothing is written."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent
from mentoring.models import MentorRequest, Mentorship
from mentoring.services.pairing import next_session_set
from tests.mentoring.builders import active, ask, make_mentor, make_peer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """Pat Peer mentored by Maya (active, next session planned); Ali Peer asking Maya; and an
    unrelated mentorship of Bo Peer with Ravi Mentor."""
    maya = make_mentor(personas.home, "Maya Mentor", capacity=3)
    mentorship = active(personas.peer, maya)
    next_session_set(
        mentorship=mentorship,
        by=maya.user,
        starts_at=timezone.now() + timedelta(days=2),
        minutes=60,
        place="Office",
    )
    ali = make_peer(personas.home, "Ali Peer")
    mentor_request = ask(ali, maya)
    bo = make_peer(personas.home, "Bo Peer")
    ravi = make_mentor(personas.home, "Ravi Mentor")
    active(bo, ravi)
    return {
        "maya": maya,
        "mentorship": mentorship,
        "ali": ali,
        "request": mentor_request,
        "bo": bo,
        "ravi": ravi.user,
    }


# name: (url name, method, target, data)
MENTORSHIP_VIEWS = {
    "mentorship page": ("mentoring:mentorship", "get", {}),
    "agreement page": ("mentoring:agreement", "get", {}),
    "agreement save": (
        "mentoring:agreement",
        "post",
        {"goals": "Changed", "meeting_frequency": "Weekly"},
    ),
    "agreement confirm": ("mentoring:agreement-confirm", "post", {}),
    "pause": ("mentoring:mentorship-pause", "post", {}),
    "resume": ("mentoring:mentorship-resume", "post", {}),
    "end page": ("mentoring:mentorship-end", "get", {}),
    "end": ("mentoring:mentorship-end", "post", {"reason": "other"}),
    "next session page": ("mentoring:next-session", "get", {}),
    "next session save": (
        "mentoring:next-session",
        "post",
        {"date": "2099-01-01", "start": "10:00", "minutes": "30"},
    ),
    "calendar": ("mentoring:calendar", "get", {}),
}
REQUEST_VIEWS = {
    "request page": ("mentoring:request", "get", {}),
    "answer": ("mentoring:request-answer", "post", {"decision": "accept"}),
    "decline": ("mentoring:request-answer", "post", {"decision": "decline", "confirm": "yes"}),
    "withdraw": ("mentoring:request-withdraw", "post", {"confirm": "yes"}),
}
ASK_VIEWS = {
    "ask page": ("mentoring:request-new", "get", {}),
    "ask": ("mentoring:request-new", "post", {"message": "Please"}),
}
PROPOSE_VIEWS = {
    "propose page": ("mentoring:propose", "get", {}),
    "propose": ("mentoring:propose", "post", {"message": "A good fit"}),
}
ALL_VIEWS = {**MENTORSHIP_VIEWS, **REQUEST_VIEWS, **ASK_VIEWS, **PROPOSE_VIEWS}


def _args(personas, world, view):
    if view in MENTORSHIP_VIEWS:
        return [world["mentorship"].pk]
    if view in REQUEST_VIEWS:
        return [world["request"].pk]
    if view in ASK_VIEWS:
        return [world["maya"].pk]
    return [personas.home.slug]


def _request(client, personas, world, view):
    name, method, data = ALL_VIEWS[view]
    data = dict(data)
    if view == "propose":
        data.update(trainee=world["bo"].pk, mentor=world["maya"].pk)
    return getattr(client, method)(reverse(name, args=_args(personas, world, view)), data)


def _state():
    return (
        sorted(MentorRequest.objects.values_list("pk", "status", "mentor_accepted_at")),
        sorted(
            Mentorship.objects.values_list(
                "pk", "status", "goals", "mentor_confirmed_at", "next_session_at"
            )
        ),
        AuditEvent.objects.count(),
    )


def _person(personas, world, who):
    return world[who] if who in world else getattr(personas, who)


@pytest.mark.parametrize("view", sorted({*ALL_VIEWS, "home"}))
def test_anonymous_people_are_sent_to_sign_in(client, personas, world, view):
    before = _state()

    if view == "home":
        response = client.get(reverse("mentoring:home"))
    else:
        response = _request(client, personas, world, view)

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert _state() == before


# The other people in an unrelated mentorship, coordinators and admins of the same organisation
# (they see coverage elsewhere, never the mentorship itself), another organisation, an editor.
MENTORSHIP_OUTSIDERS = [
    "bo",
    "ravi",
    "ali",
    "coordinator",
    "org_admin",
    "other_coordinator",
    "other_peer",
    "editor",
]


@pytest.mark.parametrize("who", MENTORSHIP_OUTSIDERS)
@pytest.mark.parametrize("view", sorted(MENTORSHIP_VIEWS))
def test_only_the_two_people_reach_a_mentorship(client, personas, world, view, who):
    client.force_login(_person(personas, world, who))
    before = _state()

    response = _request(client, personas, world, view)

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize("who", ["peer", "bo", "ravi", "coordinator", "other_mentor", "editor"])
@pytest.mark.parametrize("view", sorted(REQUEST_VIEWS))
def test_only_the_two_people_reach_a_request(client, personas, world, view, who):
    """Changing the id in the address to someone else's request is a 404, not an answer."""
    client.force_login(_person(personas, world, who))
    before = _state()

    response = _request(client, personas, world, view)

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize("who", ["coordinator", "other_peer", "other_coordinator", "editor"])
@pytest.mark.parametrize("view", sorted(ASK_VIEWS))
def test_only_peers_of_the_mentors_organisation_can_ask(client, personas, world, view, who):
    client.force_login(_person(personas, world, who))
    before = _state()

    response = _request(client, personas, world, view)

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize(
    "who", ["peer", "mentor", "ravi", "other_coordinator", "other_org_admin", "editor"]
)
@pytest.mark.parametrize("view", sorted(PROPOSE_VIEWS))
def test_only_the_organisations_coordinators_can_propose(client, personas, world, view, who):
    client.force_login(_person(personas, world, who))
    before = _state()

    response = _request(client, personas, world, view)

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinators_and_org_admins_can_propose(client, personas, world, who):
    cy = make_peer(personas.home, "Cy Peer")
    client.force_login(_person(personas, world, who))
    url = reverse("mentoring:propose", args=[personas.home.slug])

    page = client.get(url)
    response = client.post(
        url, {"trainee": cy.pk, "mentor": world["maya"].pk, "message": "A good fit"}
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert MentorRequest.objects.get(trainee=cy).proposed_by == _person(personas, world, who)


@pytest.mark.parametrize("who", ["peer", "maya"])
@pytest.mark.parametrize(
    "view", ["mentorship page", "agreement page", "end page", "next session page", "calendar"]
)
def test_both_people_reach_their_mentorship(client, personas, world, view, who):
    person = world["maya"].user if who == "maya" else personas.peer
    client.force_login(person)

    assert _request(client, personas, world, view).status_code == 200


@pytest.mark.parametrize("who", ["ali", "maya"])
def test_both_people_reach_their_request(client, personas, world, who):
    person = world["maya"].user if who == "maya" else world["ali"]
    client.force_login(person)

    assert _request(client, personas, world, "request page").status_code == 200
