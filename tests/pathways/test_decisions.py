"""Stage decisions: a person who meets every requirement of their next stage shows as ready; a
coordinator confirms the move or records "not yet" with a note; nothing moves anyone on its own."""

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import CourseCompletion, Enrolment
from lms.models import AuditEvent
from pathways.models import Competence, PathwayMembership, Requirement, SignOff, StageDecision
from pathways.readiness_keeping import readiness_fill
from pathways.selectors import person_progress, readiness_for_organisation
from pathways.services import pathway_join
from pathways.tasks import take_readiness_snapshots
from tests.courses.builders import make_course
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db


@pytest.fixture
def pathway(personas):
    """Volunteer → Trainee (competence 1.1 and Safe Practice) → Peer worker (nothing asked)."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    trainee = stages(pathway)[1]
    competence = Requirement.objects.create(
        stage=trainee, kind="competences_signed_off", sort_order=0
    )
    Requirement.competences.through.objects.create(
        requirement=competence, competence=Competence.objects.get(code="1.1")
    )
    Requirement.objects.create(
        stage=trainee,
        kind="course_completed",
        sort_order=1,
        course=make_course("Safe Practice", modules=1),
    )
    return pathway


@pytest.fixture
def membership(pathway, personas):
    return pathway_join(user=personas.peer, pathway=pathway)


@pytest.fixture
def ready(membership, personas):
    """Pat Peer has met every Trainee requirement."""
    SignOff.objects.create(
        user=personas.peer,
        competence=Competence.objects.get(code="1.1"),
        signed_off_by=personas.coordinator,
    )
    course = Requirement.objects.get(kind="course_completed").course
    enrolment = Enrolment.objects.create(user=personas.peer, course=course)
    CourseCompletion.objects.create(enrolment=enrolment)
    readiness_fill()  # made with factories, not through the services that queue a refresh
    return membership


def _person_url(personas):
    return reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])


def _decide(client, personas, to_stage, outcome, note=""):
    """Decide, answering yes on the confirmation page a confirmed move asks first."""
    return client.post(
        reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk]),
        {"to_stage": to_stage.pk, "outcome": outcome, "note": note, "confirm": "yes"},
        follow=True,
    )


def _text(response):
    return html.unescape(response.content.decode())


# --- Ready to progress -------------------------------------------------------------------------


def test_meeting_every_requirement_shows_the_person_as_ready(client, personas, ready):
    client.force_login(personas.coordinator)

    page = _text(client.get(_person_url(personas)))
    readiness = readiness_for_organisation(organisation=personas.home)

    assert "Pat Peer has met every requirement." in page
    assert "Decide on Trainee" in page
    assert [p.user.pk for p in readiness.ready] == [personas.peer.pk]


def test_someone_part_way_is_not_ready_and_the_page_says_so(client, personas, membership):
    SignOff.objects.create(
        user=personas.peer,
        competence=Competence.objects.get(code="1.1"),
        signed_off_by=personas.coordinator,
    )
    client.force_login(personas.coordinator)

    page = _text(client.get(_person_url(personas)))

    assert "Not every requirement is met yet, so the move cannot be confirmed." in page
    assert not readiness_for_organisation(organisation=personas.home).ready


def test_meeting_requirements_alone_never_moves_anyone(
    client, personas, ready, django_capture_on_commit_callbacks
):
    stage_before = ready.stage
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(personas.peer)
        client.get(reverse("pathways:mine"))
        client.get("/")
        client.force_login(personas.coordinator)
        client.get(_person_url(personas))
        client.get(reverse("pathways:readiness", args=[personas.home.slug]))
        client.get("/")
        take_readiness_snapshots()

    ready.refresh_from_db()
    assert ready.stage == stage_before
    assert ready.stage.title == "Volunteer"
    assert not StageDecision.objects.exists()


# --- Confirm -----------------------------------------------------------------------------------


def test_coordinator_confirms_and_the_person_moves(
    client, personas, pathway, ready, django_capture_on_commit_callbacks, mailoutbox
):
    volunteer, trainee, _ = stages(pathway)
    client.force_login(personas.coordinator)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, personas, trainee, "confirmed", "Well deserved")

    assert "Pat Peer is now at Trainee." in _text(response)
    ready.refresh_from_db()
    assert ready.stage == trainee
    assert ready.stage_reached_at >= before
    decision = StageDecision.objects.get()
    assert (
        decision.from_stage,
        decision.to_stage,
        decision.outcome,
        decision.note,
        decision.decided_by,
    ) == (volunteer, trainee, "confirmed", "Well deserved", personas.coordinator)
    assert decision.decided_at == ready.stage_reached_at
    event = AuditEvent.objects.get(action="pathways.stage.confirmed")
    assert (event.actor, event.subject_user, event.organisation, event.subject_id) == (
        personas.coordinator,
        personas.peer,
        personas.home,
        str(decision.pk),
    )
    [email] = mailoutbox
    assert email.to == ["peer@example.org"]
    assert email.subject == "You have moved to Trainee"


def test_the_move_shows_on_the_persons_timeline(client, personas, pathway, ready):
    client.force_login(personas.coordinator)
    _decide(client, personas, stages(pathway)[1], "confirmed")
    client.force_login(personas.peer)

    page = _text(client.get(reverse("pathways:mine")))

    assert "Reached Trainee" in page
    assert "Towards Peer worker" in page


def test_org_admin_may_decide_too(client, personas, pathway, ready):
    client.force_login(personas.org_admin)

    _decide(client, personas, stages(pathway)[1], "confirmed")

    ready.refresh_from_db()
    assert ready.stage.title == "Trainee"
    assert StageDecision.objects.get().decided_by == personas.org_admin


def test_confirming_someone_who_is_not_ready_is_refused(
    client, personas, pathway, membership, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, personas, stages(pathway)[1], "confirmed")

    assert "Pat Peer has not met every requirement for Trainee yet." in _text(response)
    membership.refresh_from_db()
    assert membership.stage.title == "Volunteer"
    assert not StageDecision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="pathways.stage").exists()
    assert mailoutbox == []


def test_a_repeated_confirm_moves_the_person_once(client, personas, pathway, ready):
    # Peer worker asks for nothing, so a second confirm that slipped through would move them on.
    _, trainee, _ = stages(pathway)
    client.force_login(personas.coordinator)

    _decide(client, personas, trainee, "confirmed")
    response = _decide(client, personas, trainee, "confirmed")

    assert "is no longer working towards Trainee" in _text(response)
    ready.refresh_from_db()
    assert ready.stage == trainee
    assert StageDecision.objects.count() == 1
    assert AuditEvent.objects.filter(action="pathways.stage.confirmed").count() == 1


def test_a_decision_for_a_stage_that_is_not_next_is_refused(client, personas, pathway, ready):
    _, _, peer_worker = stages(pathway)
    client.force_login(personas.coordinator)

    response = _decide(client, personas, peer_worker, "confirmed")

    assert "is no longer working towards Peer worker" in _text(response)
    ready.refresh_from_db()
    assert ready.stage.title == "Volunteer"
    assert not StageDecision.objects.exists()


def test_a_decision_without_an_outcome_is_refused(client, personas, pathway, ready):
    client.force_login(personas.coordinator)

    response = client.post(
        reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk]),
        {"to_stage": stages(pathway)[1].pk, "note": "Yes"},
        follow=True,
    )

    assert "Choose confirm or not yet." in _text(response)
    assert not StageDecision.objects.exists()


def test_there_is_nothing_to_decide_at_the_last_stage(client, personas, pathway):
    pathway_join(user=personas.peer, pathway=pathway, stage=stages(pathway)[2])
    client.force_login(personas.coordinator)

    page = _text(client.get(_person_url(personas)))

    assert "This is the last stage of the pathway." in page
    assert "Record decision" not in page


# --- Not yet -----------------------------------------------------------------------------------


def test_not_yet_with_a_note_leaves_the_stage_and_tells_the_person(
    client, personas, pathway, ready, django_capture_on_commit_callbacks, mailoutbox
):
    volunteer, trainee, _ = stages(pathway)
    reached = ready.stage_reached_at
    client.force_login(personas.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, personas, trainee, "not_yet", "Let us talk after supervision")

    assert "Recorded: not yet for Pat Peer." in _text(response)
    ready.refresh_from_db()
    assert (ready.stage, ready.stage_reached_at) == (volunteer, reached)
    decision = StageDecision.objects.get()
    assert (decision.outcome, decision.note, decision.decided_by) == (
        "not_yet",
        "Let us talk after supervision",
        personas.coordinator,
    )
    assert (
        AuditEvent.objects.filter(
            action="pathways.stage.not_yet", subject_user=personas.peer
        ).count()
        == 1
    )
    [email] = mailoutbox
    assert "Let us talk after supervision" not in email.body  # the note is read on the site
    assert "not yet" in email.body


def test_not_yet_is_allowed_before_every_requirement_is_met(client, personas, pathway, membership):
    client.force_login(personas.coordinator)

    _decide(client, personas, stages(pathway)[1], "not_yet", "Keep going")

    membership.refresh_from_db()
    assert membership.stage.title == "Volunteer"
    assert StageDecision.objects.get().outcome == "not_yet"


def test_not_yet_is_not_a_stage_reached_on_the_timeline(client, personas, pathway, ready):
    client.force_login(personas.coordinator)
    _decide(client, personas, stages(pathway)[1], "not_yet", "Soon")

    client.force_login(personas.peer)
    page = _text(client.get(reverse("pathways:mine")))

    assert "Reached Trainee" not in page


def test_the_latest_decision_shows_on_readiness(client, personas, pathway, ready):
    client.force_login(personas.coordinator)
    _decide(client, personas, stages(pathway)[1], "not_yet", "Soon")

    page = _text(client.get(reverse("pathways:readiness", args=[personas.home.slug])))

    assert f"Not yet, {timezone.localdate():%-d %b %Y}" in page


# --- Joining a pathway -------------------------------------------------------------------------


def _join(client, personas, **data):
    return client.post(
        reverse("pathways:join", args=[personas.home.slug, personas.peer.pk]), data, follow=True
    )


def test_coordinator_puts_someone_on_a_pathway_at_the_first_stage(client, personas, pathway):
    client.force_login(personas.coordinator)
    assert "Add Pat Peer to a pathway" in _text(client.get(_person_url(personas)))

    response = _join(client, personas, pathway=pathway.pk)

    assert "Pat Peer is now on Career pathway." in _text(response)
    membership = PathwayMembership.objects.get(user=personas.peer)
    assert membership.stage.title == "Volunteer"


def test_coordinator_may_choose_the_starting_stage(client, personas, pathway):
    client.force_login(personas.coordinator)

    _join(client, personas, pathway=pathway.pk, stage=stages(pathway)[1].pk)

    assert PathwayMembership.objects.get(user=personas.peer).stage.title == "Trainee"


def test_a_stage_of_another_pathway_is_refused(client, personas, pathway):
    shared = make_pathway(framework=pathway.framework, name="Shared", stages=("Start",))
    client.force_login(personas.coordinator)

    response = _join(client, personas, pathway=pathway.pk, stage=stages(shared)[0].pk)

    assert "Choose a pathway, and a stage of that pathway." in _text(response)
    assert not PathwayMembership.objects.exists()


def test_another_organisations_pathway_cannot_be_joined(client, personas, pathway):
    theirs = make_pathway(framework=pathway.framework, organisation=personas.other, name="Theirs")
    client.force_login(personas.coordinator)

    _join(client, personas, pathway=theirs.pk)

    assert not PathwayMembership.objects.exists()


def test_a_shared_pathway_can_be_joined(client, personas, pathway):
    shared = make_pathway(framework=pathway.framework, name="Shared", stages=("Start",))
    client.force_login(personas.coordinator)

    _join(client, personas, pathway=shared.pk)

    assert PathwayMembership.objects.get(user=personas.peer).pathway == shared


def test_the_first_move_is_decided_from_the_joined_stage(personas, pathway, ready):
    progress = person_progress(user=personas.peer)

    assert progress.membership == ready
    assert progress.next_stage.title == "Trainee"
    assert progress.ready


# --- A confirmed move asks first ---------------------------------------------------------------


def test_confirming_a_move_asks_first_naming_the_person_stages_and_pay_band(
    client, personas, pathway, ready
):
    volunteer, trainee = stages(pathway)[:2]
    volunteer.pay_band, trainee.pay_band = "Band 2", "Band 3"
    volunteer.save(update_fields=["pay_band"])
    trainee.save(update_fields=["pay_band"])
    client.force_login(personas.coordinator)
    url = reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk])

    asked = client.post(url, {"to_stage": trainee.pk, "outcome": "confirmed", "note": "Earned."})

    page = _text(asked)
    assert asked.status_code == 200
    assert f"Confirm Pat Peer's move to {trainee.title}?" in page
    assert f"Pat Peer moves from {volunteer.title} to {trainee.title}, from today." in page
    assert "Their pay band changes from Band 2 to Band 3." in page
    assert "A move cannot be undone. If it turns out to be wrong, record a new decision" in page
    assert 'name="note" value="Earned."' in page  # what was typed is carried through
    assert not StageDecision.objects.exists()
    assert PathwayMembership.objects.get(user=personas.peer).stage == volunteer
    assert not AuditEvent.objects.filter(action="pathways.stage.confirmed").exists()

    done = client.post(
        url,
        {"to_stage": trainee.pk, "outcome": "confirmed", "note": "Earned.", "confirm": "yes"},
        follow=True,
    )

    assert "Pat Peer is now at" in _text(done)
    assert PathwayMembership.objects.get(user=personas.peer).stage == trainee
    assert StageDecision.objects.get().note == "Earned."


def test_not_yet_needs_no_confirmation(client, personas, pathway, ready):
    client.force_login(personas.coordinator)

    client.post(
        reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk]),
        {"to_stage": stages(pathway)[1].pk, "outcome": "not_yet", "note": "Soon"},
    )

    assert StageDecision.objects.get().outcome == StageDecision.NOT_YET


@pytest.mark.parametrize("who", ["mentor", "peer", "other_coordinator", "editor"])
def test_nobody_else_is_asked_to_confirm_a_move(client, personas, pathway, ready, who):
    client.force_login(getattr(personas, who))

    response = client.post(
        reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk]),
        {"to_stage": stages(pathway)[1].pk, "outcome": "confirmed"},
    )

    assert response.status_code == 404
    assert not StageDecision.objects.exists()
