"""A trainee's shortlist: explained scores and their order, must-have filters, who never appears,
why nobody can be suggested, lived-experience visibility, and a cost in queries that does not grow
with the number of mentors."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from lms.models import Membership, Role
from mentoring.models import MentorProfile, MentorRequest, Mentorship
from mentoring.population import generate_mentors
from mentoring.selectors.matching import (
    eligible_mentor_profiles,
    mentor_is_eligible,
    shortlist_for_trainee,
)
from tests.mentoring.builders import (
    give_mentees,
    make_mentor,
    pending_request,
    place,
    rules,
    stage_rule,
    wants,
)
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


def _names(shortlist) -> list[str]:
    return [entry.user.display_name for entry in shortlist.entries]


def _shortlist(personas, **kwargs):
    return shortlist_for_trainee(trainee=personas.peer, organisation=personas.home, **kwargs)


def _text(response) -> str:
    text = BeautifulSoup(response.content, "html.parser").get_text(" ")
    return " ".join(html.unescape(text).split())


def _soup(response):
    return BeautifulSoup(response.content, "html.parser")


# --- Scores, explained ------------------------------------------------------------------------


def test_each_criterion_is_explained_with_its_points(personas):
    wants(
        personas.peer,
        languages=["Urdu"],
        specialisms=["personal_budgets"],
        area="Nottingham",
        format="online",
    )
    make_mentor(
        personas.home,
        "Amir Shah",
        languages=["english", "urdu"],
        specialisms=["personal_budgets", "housing"],
        area="Nottingham",
        format="online",
        capacity=3,
    )

    entry = _shortlist(personas).entries[0]

    assert entry.reasons == [
        ("Speaks Urdu", 20),
        ("Also works with personal budgets", 15),
        ("Meets online, as you prefer", 10),
        ("Based in Nottingham", 10),
        ("Has room for 3 more mentees", 10),
    ]
    assert entry.score == 65
    assert entry.free_places == 3


def test_each_shared_specialism_adds_its_own_points(personas):
    wants(personas.peer, specialisms=["housing", "lgbtq", "carers"])
    make_mentor(personas.home, "Rosa Reid", specialisms=["lgbtq", "housing"], capacity=1)

    entry = _shortlist(personas).entries[0]

    assert entry.reasons == [
        ("Also works with housing", 15),
        ("Also works with LGBTQ+ communities", 15),
    ]
    assert entry.score == 30


def test_a_mentor_who_meets_either_way_suits_a_trainee_who_prefers_in_person(personas):
    wants(personas.peer, format="in_person")
    make_mentor(personas.home, "Finn Fox", format="either", capacity=1)

    assert _shortlist(personas).entries[0].reasons == [("Meets in person, as you prefer", 10)]


def test_the_weights_are_the_organisations_own(personas):
    rules(personas.home, weight_language=50, weight_area=0, weight_capacity=1)
    wants(personas.peer, languages=["polish"], area="Derby")
    make_mentor(personas.home, "Ana Nowak", languages=["polish"], area="derby", capacity=4)

    entry = _shortlist(personas).entries[0]

    # The area still matches, but 0 points leaves it out of the score and of the reasons.
    assert entry.reasons == [("Speaks Polish", 50), ("Has room for 4 more mentees", 3)]
    assert entry.score == 53


def test_the_best_score_comes_first_then_most_free_places_then_the_name(personas):
    wants(personas.peer, languages=["urdu"])
    rules(personas.home, weight_capacity=0)
    make_mentor(personas.home, "Zara Khan", languages=["urdu"], capacity=1)
    make_mentor(personas.home, "Ben Brown", capacity=1)
    make_mentor(personas.home, "Callum Clarke", capacity=3)
    make_mentor(personas.home, "Aisha Ahmed", capacity=1)
    make_mentor(personas.home, "alex allen", capacity=1)

    assert _names(_shortlist(personas)) == [
        "Zara Khan",  # speaks Urdu: 20 points
        "Callum Clarke",  # 0 points, but 3 free places
        "Aisha Ahmed",
        "alex allen",
        "Ben Brown",
    ]


def test_the_list_holds_five_mentors_at_most(personas):
    for number in range(7):
        make_mentor(personas.home, f"Mentor {number}")

    assert len(_shortlist(personas).entries) == 5
    assert len(_shortlist(personas, limit=2).entries) == 2


def test_free_places_count_every_open_mentorship_in_the_organisation(personas):
    profile = make_mentor(personas.home, "Mei Lin", capacity=4)
    give_mentees(profile, 1, status=Mentorship.ACTIVE)
    give_mentees(profile, 1, status=Mentorship.PAUSED)
    give_mentees(profile, 1, status=Mentorship.ENDED)  # history: not counted

    entry = _shortlist(personas).entries[0]

    assert entry.free_places == 2
    assert ("Has room for 2 more mentees", 5) in entry.reasons


# --- Who never appears ------------------------------------------------------------------------


def test_full_not_accepting_and_other_organisation_mentors_never_appear(personas):
    full = make_mentor(personas.home, "Full Mentor", capacity=2)
    give_mentees(full, 2)
    make_mentor(personas.home, "Resting Mentor", accepting=False)
    make_mentor(personas.other, "Elsewhere Mentor", capacity=12)
    make_mentor(personas.home, "Open Mentor")

    assert _names(_shortlist(personas)) == ["Open Mentor"]


def test_a_mentor_who_lowered_their_capacity_below_their_mentees_is_full(personas):
    profile = make_mentor(personas.home, "Grace Green", capacity=3)
    give_mentees(profile, 3)
    MentorProfile.objects.filter(pk=profile.pk).update(capacity=1)

    assert _shortlist(personas).entries == []
    assert "1 mentor is full" in " ".join(_shortlist(personas).why_none)


def test_the_trainee_is_never_suggested_to_themself(personas):
    MentorProfile.objects.create(user=personas.peer, organisation=personas.home)
    Membership.objects.create(user=personas.peer, organisation=personas.home, role=Role.MENTOR)
    make_mentor(personas.home, "Someone Else")

    assert _names(_shortlist(personas)) == ["Someone Else"]


def test_a_mentor_whose_role_has_ended_is_not_suggested(personas):
    profile = make_mentor(personas.home, "Former Mentor")
    Membership.objects.filter(user=profile.user).update(
        active_from=timezone.localdate() - timedelta(days=60),
        active_to=timezone.localdate() - timedelta(days=1),
    )

    assert _shortlist(personas).entries == []
    assert not mentor_is_eligible(user=profile.user, organisation=personas.home)


def test_mentors_below_the_organisations_stage_never_appear(personas):
    volunteer, _, peer_worker = stage_rule(personas.home)
    early = make_mentor(personas.home, "Early Mentor")
    place(early.user, volunteer)
    ready = make_mentor(personas.home, "Ready Mentor")
    place(ready.user, peer_worker)
    make_mentor(personas.home, "Mentor On No Pathway")

    assert _names(_shortlist(personas)) == ["Ready Mentor"]
    assert mentor_is_eligible(user=ready.user, organisation=personas.home)
    assert not mentor_is_eligible(user=early.user, organisation=personas.home)
    assert [p.user.display_name for p in eligible_mentor_profiles(organisation=personas.home)] == [
        "Ready Mentor"
    ]


def test_eligible_profiles_carry_their_open_mentorships(personas):
    busy = make_mentor(personas.home, "Busy Mentor", capacity=3)
    give_mentees(busy, 2)
    make_mentor(personas.other, "Away Mentor")

    (profile,) = eligible_mentor_profiles(organisation=personas.home)

    assert (profile.user.display_name, profile.open_mentorships, profile.free_places) == (
        "Busy Mentor",
        2,
        1,
    )


# --- Must-haves -------------------------------------------------------------------------------


def test_a_required_language_leaves_off_mentors_without_one(personas):
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["urdu", "punjabi"])
    make_mentor(personas.home, "Speaks Punjabi", languages=["english", "punjabi"])
    make_mentor(personas.home, "Speaks English", languages=["english"])

    assert _names(_shortlist(personas)) == ["Speaks Punjabi"]


def test_a_must_have_applies_only_to_what_the_trainee_asked_for(personas):
    rules(personas.home, require_language=True, require_area=True, require_specialism=True)
    wants(personas.peer, format="online")
    make_mentor(personas.home, "Anyone", languages=["english"], area="Derby")

    assert _names(_shortlist(personas)) == ["Anyone"]


def test_a_required_format_area_and_specialism_filter_too(personas):
    rules(personas.home, require_format=True, require_area=True, require_specialism=True)
    wants(personas.peer, format="online", area="Leicester", specialisms=["housing"])
    make_mentor(personas.home, "Fits", format="either", area=" leicester ", specialisms=["housing"])
    make_mentor(
        personas.home, "In Person", format="in_person", area="Leicester", specialisms=["housing"]
    )
    make_mentor(personas.home, "Derby", format="online", area="Derby", specialisms=["housing"])
    make_mentor(personas.home, "Carers", format="online", area="Leicester", specialisms=["carers"])

    shortlist = _shortlist(personas)

    assert _names(shortlist) == ["Fits"]
    assert shortlist.left_off == {"format": 1, "area": 1, "specialism": 1}


# --- Why there is nobody ----------------------------------------------------------------------


def test_nobody_mentors_yet(personas):
    personas.mentor.memberships.all().delete()

    shortlist = _shortlist(personas)

    assert shortlist.entries == []
    assert shortlist.why_none[0] == "Nobody at Home Org mentors yet."
    assert "coordinator" in shortlist.why_none[-1]


def test_why_none_counts_each_reason_and_says_what_to_do(personas):
    _, trainee_stage, peer_worker = stage_rule(personas.home)
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["somali"])
    for name in ("Early One", "Early Two"):
        place(make_mentor(personas.home, name).user, trainee_stage)
    full = make_mentor(personas.home, "Full", capacity=1)
    give_mentees(full, 1)
    resting = make_mentor(personas.home, "Resting", accepting=False)
    english = make_mentor(personas.home, "English Only", languages=["english"])
    for profile in (full, resting, english):
        place(profile.user, peer_worker)
    # Mo Mentor holds the role but has written no profile.

    shortlist = _shortlist(personas)

    assert shortlist.entries == []
    assert shortlist.why_none == [
        "1 mentor has not written their mentor profile yet, so they cannot be suggested.",
        "2 mentors have not reached Peer worker yet, which Home Org asks of its mentors.",
        "1 mentor is full: they already have as many mentees as they can support.",
        "1 mentor is not taking new mentees just now.",
        "1 mentor does not speak any language you asked for (your organisation asks for a "
        "shared language).",
        "You could change your preferences: fewer or different choices may bring mentors onto "
        "your list.",
        "Places open up as mentorships end, so it is worth looking again later.",
        "Your coordinator can help too: they can talk it through with you, or suggest a mentor.",
    ]


def test_why_none_names_the_format_area_and_specialisms_asked_for(personas):
    rules(personas.home, require_format=True, require_area=True, require_specialism=True)
    wants(personas.peer, format="in_person", area="Lincoln", specialisms=["housing"])
    make_mentor(personas.home, "Online", format="online", area="Lincoln", specialisms=["housing"])
    make_mentor(personas.home, "Newark", format="either", area="Newark", specialisms=["housing"])
    make_mentor(personas.home, "Carers 1", area="Lincoln", specialisms=["carers"])
    make_mentor(personas.home, "Carers 2", area="Lincoln", specialisms=[])

    why = _shortlist(personas).why_none

    assert (
        "1 mentor does not meet in person (your organisation asks for the way of meeting you "
        "prefer)." in why
    )
    assert (
        "1 mentor is not based in Lincoln (your organisation asks for a mentor in your area)."
        in why
    )
    assert (
        "2 mentors share none of the specialisms you chose (your organisation asks for at least "
        "one in common)." in why
    )


def test_the_page_explains_why_there_is_nobody(client, personas):
    full = make_mentor(personas.home, "Full", capacity=1)
    give_mentees(full, 1)
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:shortlist")))

    assert "Nobody to suggest just now" in text
    assert "1 mentor is full" in text
    assert "Change your preferences" in text


# --- What the page shows ----------------------------------------------------------------------


def test_the_page_lists_mentors_with_their_reasons_and_links(client, personas):
    wants(personas.peer, languages=["urdu"])
    profile = make_mentor(personas.home, "Amir Shah", languages=["urdu"], capacity=2)
    client.force_login(personas.peer)

    response = client.get(reverse("mentoring:shortlist"))
    text = _text(response)

    assert "Amir Shah" in text
    assert "Match score 25" in text
    assert "Speaks Urdu +20" in text
    assert "Has room for 2 more mentees +5" in text
    assert _soup(response).find("a", href=reverse("mentoring:mentor", args=[profile.pk]))
    ask = reverse("mentoring:request-new", args=[profile.pk])
    assert _soup(response).find("a", href=ask).get_text() == "Ask Amir Shah"


def test_lived_experience_shows_only_when_the_mentor_chose_trainees(client, personas):
    for visibility, words in (
        ("trainees", "Shared with trainees"),
        ("coordinators", "Shared with coordinators"),
        ("nobody", "Kept to myself"),
    ):
        make_mentor(
            personas.home,
            f"Mentor {visibility}",
            lived_experience=words,
            lived_experience_visibility=visibility,
        )
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:shortlist")))

    assert "Shared with trainees" in text
    assert "Shared with coordinators" not in text
    assert "Kept to myself" not in text
    lived = {
        entry.user.display_name: entry.lived_experience for entry in _shortlist(personas).entries
    }
    assert lived == {
        "Mentor coordinators": "",
        "Mentor nobody": "",
        "Mentor trainees": "Shared with trainees",
    }


def test_a_trainee_with_a_mentor_is_told_and_not_offered_asking(client, personas):
    current = make_mentor(personas.home, "Current Mentor", capacity=3)
    Mentorship.objects.create(
        organisation=personas.home, trainee=personas.peer, mentor=current.user, status="active"
    )
    client.force_login(personas.peer)

    response = client.get(reverse("mentoring:shortlist"))
    text = _text(response)

    assert "You already have a mentor: Current Mentor" in text
    assert "Ask Current Mentor" not in text
    assert not _shortlist(personas).may_ask
    assert _soup(response).find("a", href=reverse("mentoring:home"))


def test_a_trainee_waiting_for_an_answer_is_told_and_not_offered_asking(client, personas):
    asked = make_mentor(personas.home, "Asked Mentor")
    make_mentor(personas.home, "Another Mentor")
    pending_request(trainee=personas.peer, profile=asked)
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:shortlist")))

    assert "You have asked Asked Mentor to be your mentor" in text
    assert "Ask Another Mentor" not in text


def test_a_request_past_its_answer_time_no_longer_stops_the_trainee_asking(client, personas):
    asked = make_mentor(personas.home, "Asked Mentor")
    make_mentor(personas.home, "Another Mentor")
    lapsed = pending_request(trainee=personas.peer, profile=asked)
    MentorRequest.objects.filter(pk=lapsed.pk).update(respond_by=timezone.now())
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:shortlist")))

    assert "You have asked Asked Mentor" not in text
    assert "Ask Another Mentor" in text


def test_a_peer_in_two_organisations_picks_one(client, personas):
    Membership.objects.create(user=personas.peer, organisation=personas.other, role=Role.PEER)
    make_mentor(personas.home, "Home Mentor")
    make_mentor(personas.other, "Away Mentor")
    client.force_login(personas.peer)

    first = _text(client.get(reverse("mentoring:shortlist")))
    other = _text(client.get(reverse("mentoring:shortlist"), {"organisation": "other-org"}))

    assert "Home Mentor" in first and "Away Mentor" not in first
    assert "Away Mentor" in other and "Home Mentor" not in other
    assert "Find a mentor at Other Org" in other


def test_the_page_shows_what_the_trainee_asked_for(client, personas):
    wants(personas.peer, languages=["urdu", "british sign language"], specialisms=["housing"])
    client.force_login(personas.peer)

    text = _text(client.get(reverse("mentoring:shortlist")))

    assert "Urdu, British Sign Language" in text
    assert "Knows about Housing" in text
    assert "Meeting No preference" in text


# --- Speed ------------------------------------------------------------------------------------


@pytest.fixture
def stage_and_trainee(personas):
    _, _, peer_worker = stage_rule(personas.home)
    rules(personas.home, mentor_min_stage=peer_worker, require_language=True)
    wants(
        personas.peer,
        languages=["urdu", "english"],
        specialisms=["housing", "personal_budgets"],
        area="Nottingham",
        format="online",
    )
    generate_mentors(organisation=personas.home, count=50, stage=peer_worker)
    return peer_worker


def test_the_shortlist_costs_the_same_queries_for_50_and_1000_mentors(
    personas, stage_and_trainee, django_assert_num_queries
):
    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: _shortlist(personas),
        lambda: generate_mentors(organisation=personas.home, count=1000, stage=stage_and_trainee),
    )

    shortlist = _shortlist(personas)
    assert len(shortlist.entries) == 5
    assert all(entry.free_places > 0 and entry.profile.accepting for entry in shortlist.entries)
    assert shortlist.entries[0].score >= shortlist.entries[-1].score


def test_the_shortlist_page_costs_the_same_queries_for_50_and_1000_mentors(
    client, personas, stage_and_trainee, django_assert_num_queries
):
    client.force_login(personas.peer)
    url = reverse("mentoring:shortlist")

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(url),
        lambda: generate_mentors(organisation=personas.home, count=1000, stage=stage_and_trainee),
    )


def test_the_nobody_explanation_costs_the_same_queries_for_50_and_1000_mentors(
    personas, stage_and_trainee, django_assert_num_queries
):
    wants(personas.peer, languages=["klingon"])

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: _shortlist(personas),
        lambda: generate_mentors(organisation=personas.home, count=1000, stage=stage_and_trainee),
    )

    assert "do not speak any language you asked for" in " ".join(_shortlist(personas).why_none)


def test_generated_mentors_are_varied_and_some_are_full(personas):
    generate_mentors(organisation=personas.home, count=60)
    again = generate_mentors(organisation=personas.home, count=60)

    profiles = list(eligible_mentor_profiles(organisation=personas.home))
    assert again == 0
    assert len(profiles) == 60
    assert any(profile.free_places <= 0 for profile in profiles)
    assert any(not profile.accepting for profile in profiles)
    assert len({profile.area for profile in profiles}) > 3


def test_every_score_is_the_sum_of_its_reasons_and_the_list_is_in_order(personas):
    rules(personas.home, weight_capacity=7, weight_specialism=9)
    wants(
        personas.peer,
        languages=["polish", "urdu"],
        specialisms=["housing", "carers", "lgbtq"],
        area="Derby",
        format="either",
    )
    generate_mentors(organisation=personas.home, count=150)

    everyone = _shortlist(personas, limit=1000).entries
    top = _shortlist(personas).entries

    assert len(everyone) > 50
    assert all(entry.score == sum(points for _, points in entry.reasons) for entry in everyone)
    keys = [(-e.score, -e.free_places, e.user.display_name.casefold()) for e in everyone]
    assert keys == sorted(keys)
    assert [e.profile.pk for e in top] == [e.profile.pk for e in everyone[:5]]
