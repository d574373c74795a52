"""The mentor profile, trainee preferences and organisation settings pages: what they save,
what they show back, and that bad input keeps what was typed and lists each problem."""

import html

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from lms.models import AuditEvent, Membership, Role
from mentoring.models import MentoringSettings, MentorProfile, TraineePreferences
from mentoring.population import generate_mentors
from mentoring.services.matching import (
    mentor_profile_save,
    mentoring_settings_save,
    trainee_preferences_save,
)
from pathways.models import Stage
from tests.mentoring.builders import give_mentees, make_mentor, place, stage_rule
from tests.pathways.builders import make_framework, make_pathway
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

PROFILE = {
    "bio": "I have been a PAL for six years.\n\nI like helping people find their feet.",
    "capacity": "3",
    "accepting": "on",
    "specialisms": ["personal_budgets", "housing"],
    "languages": "English, URDU ,  british sign language, english",
    "area": "Nottingham",
    "format": "online",
    "availability": "Weekday evenings",
    "lived_experience": "Living with bipolar disorder",
    "lived_experience_visibility": "trainees",
}


def _soup(response):
    return BeautifulSoup(response.content, "html.parser")


def _text(response) -> str:
    return " ".join(html.unescape(_soup(response).get_text(" ")).split())


def _error_summary(response) -> list[str]:
    summary = _soup(response).find(class_="error-summary")
    assert summary is not None, "no error summary on the page"
    return [" ".join(item.get_text(" ").split()) for item in summary.find_all("li")]


# --- Mentor profile ---------------------------------------------------------------------------


def test_a_mentor_writes_their_profile(client, personas):
    client.force_login(personas.mentor)

    response = client.post(reverse("mentoring:profile"), PROFILE, follow=True)

    profile = MentorProfile.objects.get(user=personas.mentor, organisation=personas.home)
    assert profile.capacity == 3
    assert profile.accepting is True
    assert profile.specialisms == ["personal_budgets", "housing"]
    assert profile.languages == ["english", "urdu", "british sign language"]
    assert profile.format == "online"
    assert profile.bio == (
        "<p>I have been a PAL for six years.</p><p>I like helping people find their feet.</p>"
    )
    assert profile.lived_experience_visibility == "trainees"
    assert "Your mentor profile is saved. Trainees at Home Org can see it." in _text(response)


def test_the_profile_shows_languages_back_capitalised(client, personas):
    mentor_profile_save(
        user=personas.mentor,
        organisation=personas.home,
        languages=["urdu", "british sign language"],
    )
    client.force_login(personas.mentor)

    field = _soup(client.get(reverse("mentoring:profile"))).find("input", {"name": "languages"})

    assert field["value"] == "Urdu, British Sign Language"


def test_lived_experience_is_kept_to_the_mentor_unless_they_choose(client, personas):
    client.force_login(personas.mentor)

    checked = _soup(client.get(reverse("mentoring:profile"))).find(
        "input", {"name": "lived_experience_visibility", "checked": True}
    )

    assert checked["value"] == "nobody"


def test_a_bad_profile_keeps_what_was_typed_and_lists_the_problems(client, personas):
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:profile"),
        {**PROFILE, "capacity": "13", "format": "", "area": "x" * 101},
    )

    assert response.status_code == 200
    assert _error_summary(response) == [
        "Enter a number from 1 to 12.",
        "Ensure this value has at most 100 characters (it has 101).",
        "Choose how you meet your mentees.",
    ]
    soup = _soup(response)
    assert "I like helping people find their feet." in soup.find("textarea", {"name": "bio"}).text
    assert soup.find("input", {"name": "languages"})["value"] == PROFILE["languages"]
    assert soup.find("input", {"name": "capacity"})["value"] == "13"
    assert not MentorProfile.objects.exists()


def test_too_many_languages_are_refused_with_a_clear_message(client, personas):
    client.force_login(personas.mentor)
    many = ", ".join(f"language {n}" for n in range(11))

    response = client.post(reverse("mentoring:profile"), {**PROFILE, "languages": many})

    assert _error_summary(response) == ["Give up to 10 languages."]


def test_a_mentor_below_the_stage_is_told_kindly_that_trainees_will_see_it_later(client, personas):
    volunteer, _, _ = stage_rule(personas.home)
    place(personas.mentor, volunteer)
    client.force_login(personas.mentor)

    before = _text(client.get(reverse("mentoring:profile")))
    saved = _text(client.post(reverse("mentoring:profile"), PROFILE, follow=True))

    assert "You can write your profile now" in before
    assert "trainees will see it once you reach it" in before
    assert "Your mentor profile is saved. Trainees will see it once you reach Peer worker." in saved
    assert "Your profile is saved. Home Org asks its mentors to have reached Peer worker" in saved
    assert MentorProfile.objects.filter(user=personas.mentor).exists()


def test_a_mentor_in_two_organisations_picks_which_profile(client, personas):
    Membership.objects.create(user=personas.mentor, organisation=personas.other, role=Role.MENTOR)
    client.force_login(personas.mentor)

    page = client.get(reverse("mentoring:profile"), {"organisation": "other-org"})
    client.post(
        reverse("mentoring:profile") + "?organisation=other-org", {**PROFILE, "area": "Derby"}
    )

    assert "Your mentor profile at Other Org" in _text(page)
    assert _soup(page).find("a", href="?organisation=home-org")
    assert MentorProfile.objects.get(organisation=personas.other).area == "Derby"
    assert not MentorProfile.objects.filter(organisation=personas.home).exists()


def test_saving_twice_updates_the_one_profile(personas):
    mentor_profile_save(user=personas.mentor, organisation=personas.home, capacity=2)
    mentor_profile_save(user=personas.mentor, organisation=personas.home, capacity=5)

    assert list(MentorProfile.objects.values_list("capacity", flat=True)) == [5]


def test_only_a_mentor_may_have_a_profile(personas):
    with pytest.raises(ValidationError, match="Only mentors at Home Org"):
        mentor_profile_save(user=personas.peer, organisation=personas.home)
    with pytest.raises(ValidationError):
        mentor_profile_save(user=personas.mentor, organisation=personas.home, capacity=0)
    with pytest.raises(ValidationError):
        mentor_profile_save(user=personas.mentor, organisation=personas.home, specialisms=["x"])
    assert not MentorProfile.objects.exists()


def test_the_profile_says_when_the_mentor_is_full(client, personas):
    give_mentees(make_mentor(personas.home, "Busy Mentor", capacity=1), 1)
    user = MentorProfile.objects.get().user
    client.force_login(user)

    text = _text(client.get(reverse("mentoring:profile")))

    assert "You mentor 1 person at Home Org now." in text
    assert "you are not suggested to new trainees until a place is free" in text


# --- Trainee preferences ----------------------------------------------------------------------


def test_a_trainee_says_what_they_would_like(client, personas):
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:preferences"),
        {
            "specialisms": ["carers"],
            "languages": "Polish, english",
            "area": "Derby",
            "format": "",
            "notes": "Someone who has cared for a parent.",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("mentoring:shortlist")
    preferences = TraineePreferences.objects.get(user=personas.peer)
    assert preferences.languages == ["polish", "english"]
    assert preferences.format == ""
    assert preferences.notes == "<p>Someone who has cared for a parent.</p>"


def test_the_preferences_page_shows_the_saved_choices(client, personas):
    trainee_preferences_save(
        user=personas.peer, languages=["urdu"], format="in_person", specialisms=["housing"]
    )
    client.force_login(personas.peer)

    soup = _soup(client.get(reverse("mentoring:preferences")))

    assert soup.find("input", {"name": "languages"})["value"] == "Urdu"
    assert soup.find("input", {"name": "format", "checked": True})["value"] == "in_person"
    assert soup.find("input", {"name": "specialisms", "checked": True})["value"] == "housing"


def test_no_preference_is_chosen_until_the_trainee_chooses(client, personas):
    client.force_login(personas.peer)

    soup = _soup(client.get(reverse("mentoring:preferences")))

    assert soup.find("input", {"name": "format", "checked": True})["value"] == ""
    assert "No preference" in soup.get_text()


def test_bad_preferences_keep_what_was_typed(client, personas):
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:preferences"),
        {"area": "y" * 101, "notes": "Please keep this.", "format": "by_pigeon"},
    )

    assert response.status_code == 200
    assert _error_summary(response) == [
        "Ensure this value has at most 100 characters (it has 101).",
        "Select a valid choice. by_pigeon is not one of the available choices.",
    ]
    assert "Please keep this." in _soup(response).find("textarea", {"name": "notes"}).text
    assert not TraineePreferences.objects.exists()


# --- Organisation settings --------------------------------------------------------------------


def _settings_url(personas):
    return reverse("mentoring:settings", args=[personas.home.slug])


def _settings_post(**changes):
    values = {
        "mentor_min_stage": "",
        "response_days": "7",
        "supervision_interval_days": "31",
        "weight_language": "20",
        "weight_specialism": "15",
        "weight_format": "10",
        "weight_area": "10",
        "weight_capacity": "5",
        "concern_retention_months": "24",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_an_org_admin_sets_how_mentoring_runs(client, personas):
    _, _, peer_worker = stage_rule(personas.home)
    MentoringSettings.objects.all().delete()  # start from the defaults
    client.force_login(personas.org_admin)

    response = client.post(
        _settings_url(personas),
        _settings_post(
            mentor_min_stage=str(peer_worker.pk),
            response_days="10",
            supervision_interval_days="14",
            require_language="on",
            weight_language="40",
        ),
        follow=True,
    )

    saved = MentoringSettings.objects.get(organisation=personas.home)
    assert (saved.mentor_min_stage, saved.response_days, saved.supervision_interval_days) == (
        peer_worker,
        10,
        14,
    )
    assert saved.require_language and not saved.require_area
    assert saved.weight_language == 40
    assert "Mentoring settings for Home Org are saved." in _text(response)
    event = AuditEvent.objects.get(action="mentoring.settings.changed")
    assert event.actor == personas.org_admin
    assert event.organisation == personas.home
    assert event.detail["changed"] == {
        "mentor_min_stage": [None, peer_worker.pk],
        "response_days": [7, 10],
        "supervision_interval_days": [31, 14],
        "require_language": [False, True],
        "weight_language": [20, 40],
    }


def test_the_settings_page_shows_the_current_settings_and_the_tabs(client, personas):
    mentoring_settings_save(
        organisation=personas.home, by=personas.org_admin, response_days=21, require_area=True
    )
    client.force_login(personas.org_admin)

    response = client.get(_settings_url(personas))
    soup = _soup(response)

    assert soup.find("input", {"name": "response_days"})["value"] == "21"
    assert soup.find("input", {"name": "require_area"}).has_attr("checked")
    assert not soup.find("input", {"name": "require_language"}).has_attr("checked")
    assert soup.find("nav", class_="tabs")
    assert soup.find("option", string="Anyone with the mentor role")


def test_bad_settings_keep_what_was_typed(client, personas):
    client.force_login(personas.org_admin)

    response = client.post(
        _settings_url(personas),
        _settings_post(
            response_days="0", weight_area="101", weight_language="", require_format="on"
        ),
    )

    assert response.status_code == 200
    assert _error_summary(response) == [
        "Enter a number from 1 to 60.",
        "Enter a number of points from 0 to 100.",
        "Enter a number from 0 to 100.",
    ]
    soup = _soup(response)
    assert soup.find("input", {"name": "weight_area"})["value"] == "101"
    assert soup.find("input", {"name": "require_format"}).has_attr("checked")
    assert not MentoringSettings.objects.exists()
    assert not AuditEvent.objects.filter(action="mentoring.settings.changed").exists()


def test_another_organisations_stage_cannot_be_chosen(client, personas):
    theirs = make_pathway(framework=make_framework(), organisation=personas.other, name="Theirs")
    stage = Stage.objects.filter(pathway=theirs).first()
    client.force_login(personas.org_admin)

    response = client.post(_settings_url(personas), _settings_post(mentor_min_stage=str(stage.pk)))

    assert response.status_code == 200
    assert "Select a valid choice" in _error_summary(response)[0]
    assert not MentoringSettings.objects.exists()
    with pytest.raises(ValidationError):
        mentoring_settings_save(
            organisation=personas.home, by=personas.org_admin, mentor_min_stage=stage
        )


def test_the_settings_page_lists_only_the_organisations_stages(client, personas):
    framework = make_framework()
    make_pathway(framework=framework, organisation=personas.home, name="Ours")
    make_pathway(framework=framework, organisation=personas.other, name="Theirs")
    client.force_login(personas.org_admin)

    options = [
        option.get_text()
        for option in _soup(client.get(_settings_url(personas))).select(
            "select[name=mentor_min_stage] option"
        )
    ]

    assert options == [
        "Anyone with the mentor role",
        "Ours: Volunteer",
        "Ours: Trainee",
        "Ours: Peer worker",
    ]


# --- Page costs -------------------------------------------------------------------------------


def test_the_mentor_detail_and_profile_pages_cost_the_same_for_few_and_many_mentors(
    client, personas, django_assert_num_queries
):
    profile = make_mentor(personas.home, "Shown Mentor", lived_experience="x")
    generate_mentors(organisation=personas.home, count=50)
    client.force_login(personas.peer)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(reverse("mentoring:mentor", args=[profile.pk])),
        lambda: generate_mentors(organisation=personas.home, count=1000),
    )
