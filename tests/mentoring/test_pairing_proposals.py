"""A coordinator's proposal: it needs both people's yes, either can say no, both are emailed,
and the proposal page offers only people who can be paired."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from mentoring.models import LivedExperienceVisibility, MentorRequest, Mentorship
from mentoring.services.pairing import mentor_request_answer, mentor_request_propose
from tests.mentoring.builders import accepted, ask, make_mentor, make_peer, text, wants
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", pronouns="she/her", capacity=1)


def _propose(personas, profile, trainee=None, by=None):
    return mentor_request_propose(
        organisation=personas.home,
        trainee=trainee or personas.peer,
        mentor=profile.user,
        by=by or personas.coordinator,
        message="You both care about housing work.",
    )


def _url(personas, organisation=None):
    return reverse("mentoring:propose", args=[(organisation or personas.home).slug])


def test_a_coordinator_proposes_and_both_are_emailed(
    client, personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    page = client.get(_url(personas))
    assert "Suggest a mentoring pairing" in text(page)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(personas),
            {"trainee": personas.peer.pk, "mentor": maya.pk, "message": "Housing, both of you."},
            follow=True,
        )

    assert "You have suggested that Maya Mentor mentors Pat Peer." in text(response)
    proposal = MentorRequest.objects.get()
    assert proposal.proposed_by == personas.coordinator
    assert proposal.trainee_accepted_at is None and proposal.mentor_accepted_at is None
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [personas.peer.email, maya.user.email]
    )
    to_trainee = next(mail for mail in mailoutbox if mail.to == [personas.peer.email])
    assert "suggests that Maya Mentor becomes your mentor" in to_trainee.body
    assert "It only goes ahead if you both say yes" in to_trainee.body
    assert "Suggestions waiting for answers" in text(response)
    proposal.refresh_from_db()
    assert proposal.announced_at is not None


def test_the_mentorship_starts_only_when_the_second_person_says_yes(
    personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = _propose(personas, maya)

    mentor_request_answer(mentor_request=proposal, by=maya.user, accept=True)
    proposal.refresh_from_db()
    assert proposal.status == MentorRequest.PENDING
    assert not Mentorship.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        mentor_request_answer(mentor_request=proposal, by=personas.peer, accept=True)

    proposal.refresh_from_db()
    assert proposal.status == MentorRequest.ACCEPTED
    mentorship = Mentorship.objects.get()
    assert (mentorship.trainee, mentorship.mentor) == (personas.peer, maya.user)
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [personas.peer.email, maya.user.email]
    )
    assert all("You have both said yes" in mail.body for mail in mailoutbox)
    assert proposal.trainee_told_at is not None


def test_the_trainee_saying_yes_first_waits_for_the_mentor(client, personas, maya):
    proposal = _propose(personas, maya)
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:request-answer", args=[proposal.pk]), {"decision": "accept"}, follow=True
    )

    assert "The pairing starts once Maya Mentor says yes too." in text(response)
    assert "You have said yes. Maya Mentor has not answered yet." in text(response)
    assert not Mentorship.objects.exists()


@pytest.mark.parametrize("who", ["trainee", "mentor"])
def test_a_no_from_either_person_ends_the_proposal(
    personas, maya, who, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = _propose(personas, maya)
    says_yes, says_no = (
        (maya.user, personas.peer) if who == "trainee" else (personas.peer, maya.user)
    )
    mentor_request_answer(mentor_request=proposal, by=says_yes, accept=True)

    with django_capture_on_commit_callbacks(execute=True):
        mentor_request_answer(mentor_request=proposal, by=says_no, accept=False, note="Not now")

    proposal.refresh_from_db()
    assert proposal.status == MentorRequest.DECLINED
    assert proposal.answer_note == f"{says_no}: Not now"
    assert not Mentorship.objects.exists()
    assert {mail.to[0] for mail in mailoutbox} == {personas.peer.email, maya.user.email}
    assert all("will not go ahead" in mail.body for mail in mailoutbox)
    with pytest.raises(ValidationError):
        mentor_request_answer(mentor_request=proposal, by=says_yes, accept=True)


def test_saying_yes_twice_is_refused(personas, maya):
    proposal = _propose(personas, maya)
    mentor_request_answer(mentor_request=proposal, by=personas.peer, accept=True)

    with pytest.raises(ValidationError) as caught:
        mentor_request_answer(mentor_request=proposal, by=personas.peer, accept=True)

    assert caught.value.messages == [
        "You have already said yes. The other person has not answered yet."
    ]


def test_the_trainee_is_told_kindly_when_the_mentor_filled_up_meanwhile(personas, maya):
    proposal = _propose(personas, maya)
    mentor_request_answer(mentor_request=proposal, by=maya.user, accept=True)
    accepted(make_peer(personas.home, "Ali Peer"), maya)  # Maya's one place is taken meanwhile

    with pytest.raises(ValidationError) as caught:
        mentor_request_answer(mentor_request=proposal, by=personas.peer, accept=True)

    assert caught.value.messages[0].startswith(
        "Maya Mentor has no free place at the moment, so this pairing cannot start."
    )
    proposal.refresh_from_db()
    assert proposal.status == MentorRequest.PENDING
    assert proposal.trainee_accepted_at is None
    assert Mentorship.objects.filter(trainee=personas.peer).count() == 0


def test_proposals_are_refused_for_people_who_cannot_be_paired(personas, maya):
    ask(personas.peer, make_mentor(personas.home, "Ravi Mentor"))

    with pytest.raises(ValidationError) as busy:
        _propose(personas, maya)
    with pytest.raises(ValidationError) as not_a_peer:
        _propose(personas, maya, trainee=personas.other_peer)
    with pytest.raises(ValidationError) as not_staff:
        _propose(personas, maya, trainee=make_peer(personas.home, "Ali Peer"), by=personas.mentor)

    assert busy.value.messages == ["Pat Peer is already waiting for an answer from Ravi Mentor."]
    assert not_a_peer.value.messages == ["Oz Peer is not a peer at Home Org."]
    assert not_staff.value.messages == [
        "Only the organisation's coordinators can propose a pairing."
    ]
    assert not MentorRequest.objects.filter(proposed_by__isnull=False).exists()


def test_the_page_offers_only_peers_free_to_pair_and_mentors_with_room(client, personas, maya):
    full = make_mentor(personas.home, "Fay Full", capacity=1)
    accepted(make_peer(personas.home, "Ali Peer"), full)
    closed = make_mentor(personas.home, "Cal Closed", accepting=False)
    make_mentor(personas.other, "Oli Elsewhere")
    waiting = make_peer(personas.home, "Wes Waiting")
    ask(waiting, make_mentor(personas.home, "Ravi Mentor"))
    client.force_login(personas.org_admin)

    form = client.get(_url(personas)).context["form"]

    trainees = [str(person) for person in form.fields["trainee"].queryset]
    mentors = [str(profile.user) for profile in form.fields["mentor"].queryset]
    assert trainees == ["Pat Peer"]
    assert "Maya Mentor" in mentors and "Ravi Mentor" in mentors
    assert full.user.display_name not in mentors
    assert closed.user.display_name not in mentors
    assert "Oli Elsewhere" not in mentors


def test_choosing_someone_not_offered_is_refused_and_the_message_kept(client, personas, maya):
    client.force_login(personas.coordinator)

    response = client.post(
        _url(personas),
        {"trainee": personas.other_peer.pk, "mentor": maya.pk, "message": "Keep these words"},
    )

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "Keep these words" in response.content.decode()
    assert not MentorRequest.objects.exists()


def test_the_proposal_page_costs_the_same_for_few_and_many_people(
    client, personas, maya, django_assert_num_queries
):
    client.force_login(personas.coordinator)

    def grow():
        for number in range(12):
            peer = make_peer(personas.home, f"Peer {number}")
            wants(peer, specialisms=["housing"], languages=["urdu"], notes=f"<p>Note {number}</p>")
            profile = make_mentor(
                personas.home,
                f"Mentor {number}",
                capacity=3,
                specialisms=["housing"],
                languages=["urdu"],
                lived_experience=f"Experience {number}",
                lived_experience_visibility=LivedExperienceVisibility.COORDINATORS,
            )
            if number % 3 == 0:
                _propose(personas, profile, trainee=make_peer(personas.home, f"Proposed {number}"))

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(_url(personas)), grow)
    page = text(client.get(_url(personas)))
    assert "Proposed 9" in page
    assert "Note 11" in page and "Experience 11" in page


# --- What the coordinator reads before choosing -----------------------------------------------


def test_the_page_shows_what_each_trainee_would_like(client, personas, maya):
    wants(
        personas.peer,
        specialisms=["housing", "carers"],
        languages=["Urdu"],
        area="Leeds",
        format="online",
        notes="<p>Someone patient, please.</p>",
    )
    make_peer(personas.home, "Ali Peer")  # has said nothing yet
    client.force_login(personas.coordinator)

    page = text(client.get(_url(personas)))

    assert "What the trainees would like" in page
    assert "Would like someone who works with Housing, Carers" in page
    assert "Languages Urdu" in page
    assert "Area Leeds" in page
    assert "Would like to meet Online" in page
    assert "Someone patient, please." in page
    assert "Ali Peer Has not said what they would like in a mentor yet." in page


@pytest.mark.parametrize(
    ("visibility", "shown"),
    [
        (LivedExperienceVisibility.NOBODY, False),
        (LivedExperienceVisibility.COORDINATORS, True),
        (LivedExperienceVisibility.TRAINEES, True),
    ],
)
def test_lived_experience_is_shown_to_coordinators_only_when_the_mentor_chose_so(
    client, personas, visibility, shown
):
    make_mentor(
        personas.home,
        "Lee Mentor",
        bio="<p>Ten years in peer support.</p>",
        specialisms=["hearing_voices"],
        languages=["polish"],
        area="Bradford",
        availability="Tuesday mornings",
        lived_experience="Hearing voices since my teens",
        lived_experience_visibility=visibility,
    )
    client.force_login(personas.coordinator)

    page = text(client.get(_url(personas)))

    assert "Mentors with a free place" in page
    assert "Ten years in peer support." in page
    assert "Room for 2 more mentees" in page
    assert "Works with Hearing voices" in page
    assert "Languages Polish" in page
    assert "Usually free Tuesday mornings" in page
    assert ("Hearing voices since my teens" in page) is shown
    assert ("Lived experience" in page) is shown
