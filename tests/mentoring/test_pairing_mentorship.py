"""A mentorship's agreement and lifecycle: changes ask both to confirm again, confirmations are
of the words read, pauses and ending follow the rules, and an ended mentorship changes no more."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lms.models import AuditEvent
from mentoring.models import Mentorship, WellnessPlan
from mentoring.selectors.pairing import agreement_fingerprint
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentorship_end,
    mentorship_pause,
    mentorship_resume,
)
from tests.mentoring.builders import accepted, active, make_mentor, make_peer, text

pytestmark = pytest.mark.django_db

WORDS = {
    "goals": "Confidence with groups",
    "meeting_frequency": "Monthly",
    "boundaries": "",
    "confidentiality": "",
}


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", pronouns="she/her")


@pytest.fixture
def proposed(personas, maya):
    return accepted(personas.peer, maya)


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages[0]


def _url(mentorship, suffix=""):
    return reverse("mentoring:mentorship", args=[mentorship.pk]) + suffix


# --- The agreement ----------------------------------------------------------------------------


def test_changing_the_agreement_asks_both_to_confirm_again(client, personas, maya):
    mentorship = active(personas.peer, maya)
    assert mentorship.agreement_confirmed
    client.force_login(personas.peer)

    response = client.post(
        _url(mentorship, "agreement/"),
        {**WORDS, "goals": "Confidence with groups\n\nAnd with writing notes"},
        follow=True,
    )

    mentorship.refresh_from_db()
    assert mentorship.trainee_confirmed_at is None and mentorship.mentor_confirmed_at is None
    assert mentorship.goals == "<p>Confidence with groups</p><p>And with writing notes</p>"
    assert mentorship.status == Mentorship.ACTIVE  # it has started; it does not un-start
    page = text(response)
    assert "You both need to confirm it" in page
    assert "You have not confirmed yet." in page
    assert "Maya Mentor has not confirmed yet." in page
    assert "I agree to this" in page


def test_saving_the_same_words_keeps_both_confirmations(client, personas, maya):
    mentorship = active(personas.peer, maya)
    client.force_login(maya.user)
    form = client.get(_url(mentorship, "agreement/")).context["form"]
    same = {name: form[name].value() for name in WORDS}

    response = client.post(_url(mentorship, "agreement/"), same, follow=True)

    assert "Nothing changed in your agreement." in text(response)
    mentorship.refresh_from_db()
    assert mentorship.agreement_confirmed


def test_the_agreement_form_shows_plain_text_and_keeps_what_was_typed(client, personas, proposed):
    client.force_login(personas.peer)

    response = client.post(
        _url(proposed, "agreement/"), {**WORDS, "goals": "", "boundaries": "Keep this"}
    )

    assert response.status_code == 200
    assert "Write down at least one goal." in text(response)
    assert "Keep this" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.goals == ""


def test_confirming_words_that_changed_since_the_page_was_opened_is_refused(personas, proposed):
    agreement_save(mentorship=proposed, by=personas.peer, **WORDS)
    proposed.refresh_from_db()
    seen = agreement_fingerprint(proposed)
    agreement_save(mentorship=proposed, by=proposed.mentor, **{**WORDS, "goals": "Different"})

    message = _refusal(
        lambda: agreement_confirm(mentorship=proposed, by=personas.peer, fingerprint=seen)
    )

    assert message == (
        "The agreement was changed after you opened the page. Read it again, then confirm."
    )
    proposed.refresh_from_db()
    assert proposed.trainee_confirmed_at is None


def test_an_empty_agreement_cannot_be_confirmed_and_confirming_twice_is_refused(personas, proposed):
    assert "Write down your goals" in _refusal(
        lambda: agreement_confirm(mentorship=proposed, by=personas.peer)
    )
    agreement_save(mentorship=proposed, by=personas.peer, **WORDS)
    agreement_confirm(mentorship=proposed, by=personas.peer)

    assert _refusal(lambda: agreement_confirm(mentorship=proposed, by=personas.peer)) == (
        "You have already confirmed this agreement."
    )
    proposed.refresh_from_db()
    assert proposed.status == Mentorship.PROPOSED


# --- Pausing, resuming and ending -------------------------------------------------------------


def test_pausing_and_resuming_follow_the_status(personas, proposed):
    assert _refusal(lambda: mentorship_pause(mentorship=proposed, by=personas.peer)) == (
        "You can pause once you have both confirmed the agreement."
    )
    assert _refusal(lambda: mentorship_resume(mentorship=proposed, by=personas.peer)) == (
        "This mentorship is not paused."
    )
    agreement_save(mentorship=proposed, by=personas.peer, **WORDS)
    agreement_confirm(mentorship=proposed, by=personas.peer)
    agreement_confirm(mentorship=proposed, by=proposed.mentor)

    paused = mentorship_pause(mentorship=proposed, by=proposed.mentor)
    assert paused.status == Mentorship.PAUSED and paused.paused_at is not None
    assert _refusal(lambda: mentorship_pause(mentorship=proposed, by=personas.peer)) == (
        "This mentorship is already paused."
    )
    resumed = mentorship_resume(mentorship=proposed, by=personas.peer)
    assert resumed.status == Mentorship.ACTIVE and resumed.paused_at is None


def test_the_mentor_can_end_it_and_the_trainee_sees_why(client, personas, maya):
    mentorship = active(personas.peer, maya)
    client.force_login(maya.user)

    response = client.post(
        _url(mentorship, "end/"),
        {"reason": "capacity", "note": "My hours changed."},
        follow=True,
    )

    assert "Your mentorship has ended." in text(response)
    assert "choose a new mentor" not in text(response)
    client.force_login(personas.peer)
    page = text(client.get(_url(mentorship)))
    assert "The mentor's capacity changed (ended by Maya Mentor)" in page
    assert "My hours changed." in page
    assert "Pause the mentorship" not in page
    assert "End the mentorship" not in page


def test_ending_twice_says_so_and_writes_nothing(client, personas, maya):
    mentorship = active(personas.peer, maya)
    client.force_login(personas.peer)
    client.post(_url(mentorship, "end/"), {"reason": "goals_met"})
    ended = Mentorship.objects.get(pk=mentorship.pk)
    events = AuditEvent.objects.count()

    again = client.post(_url(mentorship, "end/"), {"reason": "other", "note": "Twice"})
    form_again = client.get(_url(mentorship, "end/"), follow=True)

    assert again.status_code == 200
    assert "This mentorship has already ended." in text(again)
    assert "This mentorship has already ended." in text(form_again)
    assert Mentorship.objects.get(pk=mentorship.pk).end_reason == ended.end_reason == "goals_met"
    assert Mentorship.objects.get(pk=mentorship.pk).ended_at == ended.ended_at
    assert AuditEvent.objects.count() == events


def test_an_ended_mentorship_cannot_be_paused_changed_or_planned(client, personas, maya):
    mentorship = active(personas.peer, maya)
    mentorship_end(mentorship=mentorship, by=personas.peer, reason="moving_on")
    client.force_login(personas.peer)
    events = AuditEvent.objects.count()

    paused = client.post(_url(mentorship, "pause/"), follow=True)
    changed = client.post(_url(mentorship, "agreement/"), WORDS)
    confirmed = client.post(_url(mentorship, "agreement/confirm/"), follow=True)
    planning = client.get(_url(mentorship, "next-session/"), follow=True)

    assert "This mentorship has ended, so you cannot pause it." in text(paused)
    assert "This mentorship has ended, so you cannot change its agreement." in text(changed)
    assert "This mentorship has ended, so you cannot confirm its agreement." in text(confirmed)
    assert "there are no more sessions to plan" in text(planning)
    assert Mentorship.objects.get(pk=mentorship.pk).status == Mentorship.ENDED
    assert AuditEvent.objects.count() == events


def test_an_unknown_end_reason_is_refused(client, personas, maya):
    mentorship = active(personas.peer, maya)
    client.force_login(personas.peer)

    response = client.post(_url(mentorship, "end/"), {"reason": "blame", "note": "Kept"})

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "Kept" in response.content.decode()
    assert Mentorship.objects.get(pk=mentorship.pk).status == Mentorship.ACTIVE


def test_ending_stops_sharing_the_wellness_plan_in_that_mentorship_only(personas, maya):
    mentorship = active(personas.peer, maya)
    other_peer = make_peer(personas.home, "Ali Peer")
    other = active(other_peer, make_mentor(personas.home, "Ravi Mentor"))
    mine = WellnessPlan.objects.create(user=personas.peer, shared_with=mentorship)
    theirs = WellnessPlan.objects.create(user=other_peer, shared_with=other)

    mentorship_end(mentorship=mentorship, by=maya.user, reason="circumstances")

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.shared_with is None
    assert theirs.shared_with == other


def test_the_page_shows_both_people_the_status_and_the_agreement(client, personas, maya):
    mentorship = active(personas.peer, maya)
    client.force_login(maya.user)

    page = text(client.get(_url(mentorship)))

    assert "Mentoring Pat Peer" in page
    assert "Maya Mentor (you)" in page
    assert "(you)" not in page.replace("Maya Mentor (you)", "")
    assert "Active since" in page
    assert "Build confidence in group work" in page
    assert "You confirmed on" in page and "Pat Peer confirmed on" in page
    assert "No next session is planned." in page
    assert "Pause the mentorship" in page
