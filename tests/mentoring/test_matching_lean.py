"""The shortlist sets aside, in the database, mentors who certainly share no required language;
these tests hold that it never sets aside one the rules would suggest, and that everyone left off
is still counted under the first reason that applies."""

import pytest

from mentoring.selectors.matching import shortlist_for_trainee
from tests.mentoring.builders import give_mentees, make_mentor, rules, wants

pytestmark = pytest.mark.django_db


def _shortlist(personas):
    return shortlist_for_trainee(trainee=personas.peer, organisation=personas.home)


def _names(shortlist):
    return [entry.user.display_name for entry in shortlist.entries]


def test_a_language_stored_in_capitals_still_counts_as_shared(personas):
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["urdu"])
    make_mentor(personas.home, "Capitals", languages=["English", "URDU"])

    assert _names(_shortlist(personas)) == ["Capitals"]


def test_a_language_python_lower_cases_into_the_wanted_one_still_counts(personas):
    # KELVIN SIGN lower-cases to "k": the rules read "\u212aurdish" as "kurdish".
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["kurdish"])
    make_mentor(personas.home, "Kelvin", languages=["\u212aurdish"])

    assert _names(_shortlist(personas)) == ["Kelvin"]


def test_a_language_that_only_contains_the_wanted_one_is_not_shared(personas):
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["urdu"])
    make_mentor(personas.home, "Not Urdu", languages=["urdu-ish"])

    shortlist = _shortlist(personas)

    assert _names(shortlist) == []
    assert shortlist.left_off == {"language": 1}


def test_mentors_without_the_language_are_counted_under_the_first_reason_that_applies(personas):
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["urdu"])
    make_mentor(personas.home, "Speaks Urdu", languages=["urdu"])
    make_mentor(personas.home, "Not Taking", languages=["polish"], accepting=False)
    full = make_mentor(personas.home, "Full", languages=["polish"], capacity=1)
    give_mentees(full, 1)
    make_mentor(personas.home, "Polish", languages=["polish"])

    shortlist = _shortlist(personas)

    assert _names(shortlist) == ["Speaks Urdu"]
    assert shortlist.left_off == {"not_accepting": 1, "full": 1, "language": 1}


def test_a_non_ascii_wanted_language_is_matched_by_the_rules_alone(personas):
    rules(personas.home, require_language=True)
    wants(personas.peer, languages=["türkçe"])
    make_mentor(personas.home, "Türkçe", languages=["Türkçe"])
    make_mentor(personas.home, "English", languages=["english"])

    shortlist = _shortlist(personas)

    assert _names(shortlist) == ["Türkçe"]
    assert shortlist.left_off == {"language": 1}


def test_ties_at_the_cut_are_broken_by_name_then_profile(personas):
    wants(personas.peer, languages=["urdu"])
    for name in ["Zed", "amy", "Bea", "Cal", "dee", "Eve", "Fay"]:
        make_mentor(personas.home, name, languages=["urdu"], capacity=2)

    assert _names(_shortlist(personas)) == ["amy", "Bea", "Cal", "dee", "Eve"]
