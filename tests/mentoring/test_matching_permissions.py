"""Who may open the matching pages. The wrong people get 404 (never 403), anonymous people are
sent to sign in, and a refused POST writes nothing. Also what the mentor page shows."""

import html

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from lms.models import Membership, Role
from mentoring.models import MentoringSettings, MentorProfile, TraineePreferences
from tests.mentoring.builders import make_mentor, place, stage_rule

pytestmark = pytest.mark.django_db

MINIMAL_PROFILE = {"capacity": "2", "format": "either", "lived_experience_visibility": "nobody"}


def _text(response) -> str:
    return " ".join(
        html.unescape(BeautifulSoup(response.content, "html.parser").get_text(" ")).split()
    )


@pytest.fixture
def profile(personas):
    return make_mentor(
        personas.home,
        "Shown Mentor",
        bio="<p>Hello from me.</p>",
        languages=["urdu"],
        specialisms=["housing"],
        area="Nottingham",
        availability="Weekday evenings",
        lived_experience="Recovery from psychosis",
        lived_experience_visibility="trainees",
    )


# --- Anonymous people sign in first -----------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("mentoring:profile", []),
        ("mentoring:preferences", []),
        ("mentoring:shortlist", []),
        ("mentoring:mentor", [1]),
        ("mentoring:settings", ["home-org"]),
    ],
)
def test_anonymous_people_are_sent_to_sign_in(client, personas, name, args):
    url = reverse(name, args=args)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login"))


# --- Each page refuses the wrong people -------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("mentor", 200),
        ("peer", 404),
        ("coordinator", 404),
        ("org_admin", 404),
        ("editor", 404),
        ("other_mentor", 200),  # their own profile, at their own organisation
    ],
)
def test_only_mentors_have_a_profile_page(client, personas, who, status):
    client.force_login(getattr(personas, who))

    assert client.get(reverse("mentoring:profile")).status_code == status
    post = client.post(reverse("mentoring:profile"), MINIMAL_PROFILE)
    assert post.status_code == (302 if status == 200 else 404)


def test_a_mentor_cannot_write_a_profile_in_another_organisation(client, personas):
    client.force_login(personas.mentor)
    url = reverse("mentoring:profile") + "?organisation=other-org"

    assert client.get(url).status_code == 404
    assert client.post(url, MINIMAL_PROFILE).status_code == 404
    assert not MentorProfile.objects.exists()


@pytest.mark.parametrize(
    "who, status",
    [
        ("peer", 200),
        ("other_peer", 200),
        ("mentor", 404),
        ("coordinator", 404),
        ("org_admin", 404),
        ("editor", 404),
    ],
)
def test_only_peers_have_preferences(client, personas, who, status):
    client.force_login(getattr(personas, who))

    assert client.get(reverse("mentoring:preferences")).status_code == status
    client.post(reverse("mentoring:preferences"), {"area": "Derby"})
    assert TraineePreferences.objects.exists() == (status == 200)


@pytest.mark.parametrize(
    "who, status",
    [
        ("peer", 200),
        ("other_peer", 200),
        ("mentor", 404),
        ("coordinator", 404),
        ("org_admin", 404),
        ("editor", 404),
    ],
)
def test_only_peers_have_a_shortlist(client, personas, who, status):
    client.force_login(getattr(personas, who))

    assert client.get(reverse("mentoring:shortlist")).status_code == status


def test_a_peer_cannot_see_another_organisations_shortlist(client, personas):
    make_mentor(personas.other, "Away Mentor")
    client.force_login(personas.peer)

    response = client.get(reverse("mentoring:shortlist"), {"organisation": "other-org"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "who, status",
    [
        ("peer", 200),
        ("other_peer", 404),
        ("mentor", 404),
        ("coordinator", 404),
        ("org_admin", 404),
        ("other_coordinator", 404),
        ("editor", 404),
    ],
)
def test_a_mentor_page_is_for_trainees_of_the_same_organisation(
    client, personas, profile, who, status
):
    client.force_login(getattr(personas, who))

    assert client.get(reverse("mentoring:mentor", args=[profile.pk])).status_code == status


def test_a_mentor_cannot_open_their_own_page_as_a_trainee(client, personas, profile):
    Membership.objects.create(user=profile.user, organisation=personas.home, role=Role.PEER)
    client.force_login(profile.user)

    assert client.get(reverse("mentoring:mentor", args=[profile.pk])).status_code == 404


def test_a_mentor_below_the_stage_has_no_page_yet(client, personas, profile):
    volunteer, _, peer_worker = stage_rule(personas.home)
    place(profile.user, volunteer)
    client.force_login(personas.peer)
    url = reverse("mentoring:mentor", args=[profile.pk])

    assert client.get(url).status_code == 404
    place(profile.user, peer_worker)
    assert client.get(url).status_code == 200


def test_an_unknown_mentor_is_404(client, personas):
    client.force_login(personas.peer)

    assert client.get(reverse("mentoring:mentor", args=[999_999])).status_code == 404


@pytest.mark.parametrize(
    "who, slug, status",
    [
        ("org_admin", "home-org", 200),
        ("coordinator", "home-org", 404),
        ("peer", "home-org", 404),
        ("mentor", "home-org", 404),
        ("editor", "home-org", 404),
        ("other_org_admin", "home-org", 404),
        ("org_admin", "other-org", 404),
        ("org_admin", "no-such-org", 404),
    ],
)
def test_only_the_organisations_admins_change_its_settings(client, personas, who, slug, status):
    client.force_login(getattr(personas, who))
    url = reverse("mentoring:settings", args=[slug])

    assert client.get(url).status_code == status
    post = client.post(
        url,
        {
            "response_days": "3",
            "supervision_interval_days": "7",
            "concern_retention_months": "12",
            **{
                f"weight_{n}": "1" for n in ("language", "specialism", "format", "area", "capacity")
            },
        },
    )
    assert post.status_code == (302 if status == 200 else 404)
    assert MentoringSettings.objects.filter(response_days=3).exists() == (status == 200)


# --- What a trainee sees of a mentor ----------------------------------------------------------


def test_the_mentor_page_shows_what_trainees_may_see(client, personas, profile):
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:mentor", args=[profile.pk])))

    assert "Shown Mentor" in text
    assert "Hello from me." in text
    assert "Room for new mentees 2 more mentees" in text
    assert "Languages Urdu" in text
    assert "Works with Housing" in text
    assert "Area Nottingham" in text
    assert "Usually free Weekday evenings" in text
    assert "Lived experience Recovery from psychosis" in text


@pytest.mark.parametrize("visibility", ["coordinators", "nobody"])
def test_the_mentor_page_keeps_lived_experience_private_unless_shared(
    client, personas, profile, visibility
):
    MentorProfile.objects.filter(pk=profile.pk).update(lived_experience_visibility=visibility)
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:mentor", args=[profile.pk])))

    assert "Recovery from psychosis" not in text
    assert "Lived experience" not in text


def test_the_mentor_page_says_when_a_mentor_is_not_taking_mentees(client, personas, profile):
    MentorProfile.objects.filter(pk=profile.pk).update(accepting=False)
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:mentor", args=[profile.pk])))

    assert "Not taking new mentees just now" in text
    assert "Ask Shown Mentor" not in text
