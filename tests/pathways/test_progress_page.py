"""A person's pathway page: the stages and where they are, what the next stage asks with status
and next step, a progress bar, what has happened so far, and their own goals in their own words.
Also the peer's "Your next step" dashboard panel, and what these pages cost."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from courses.models import CourseCompletion, Enrolment
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from lms.models import AuditEvent
from pathways.models import (
    Aspirations,
    Competence,
    Evidence,
    EvidenceReview,
    Requirement,
    SignOff,
    StageDecision,
)
from pathways.services import aspirations_save, pathway_join
from tests.courses.builders import make_course
from tests.pathways.builders import make_framework, make_pathway, stages
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

STATEMENT_KIND = "lived-experience statement"


@pytest.fixture
def safe_practice():
    return make_course("Safe Practice", modules=4)


@pytest.fixture
def pathway(personas, safe_practice):
    """Volunteer → Trainee → Peer worker. Trainee asks for Safe Practice, domain 1 (1.1, 1.2)
    signed off, and a lived-experience statement."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    volunteer, trainee, peer_worker = stages(pathway)
    volunteer.pay_band = "V1"
    volunteer.save()
    Requirement.objects.create(
        stage=trainee, kind="course_completed", course=safe_practice, sort_order=0
    )
    competences = Requirement.objects.create(
        stage=trainee, kind="competences_signed_off", sort_order=1
    )
    Requirement.domains.through.objects.create(
        requirement=competences, competencedomain=Competence.objects.get(code="1.1").domain
    )
    Requirement.objects.create(
        stage=trainee, kind="evidence", evidence_kind=STATEMENT_KIND, sort_order=2
    )
    return pathway


@pytest.fixture
def on_pathway(pathway, personas, safe_practice):
    """Pat Peer at Volunteer: 2 of 4 Safe Practice modules, 1.1 signed off, statement waiting."""
    membership = pathway_join(user=personas.peer, pathway=pathway)
    enrolment, _ = enrolment_create(user=personas.peer, course=safe_practice)
    for module in list(live_modules(course=safe_practice))[:2]:
        module_finish(enrolment=enrolment, module=module)
    SignOff.objects.create(
        user=personas.peer,
        competence=Competence.objects.get(code="1.1"),
        signed_off_by=personas.coordinator,
    )
    Evidence.objects.create(
        user=personas.peer, evidence_kind=STATEMENT_KIND, statement="<p>My story</p>"
    )
    return membership


def _soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def _text(response):
    return html.unescape(response.content.decode())


def _requirements(response) -> list[str]:
    return [
        " ".join(li.get_text(" ", strip=True).split())
        for li in _soup(response).select("#next-stage-heading ~ ul li")
    ]


def _mine(client, personas):
    client.force_login(personas.peer)
    return client.get(reverse("pathways:mine"))


# --- Stages and where they are -----------------------------------------------------------------


def test_the_page_lists_the_stages_in_order_and_marks_where_they_are(client, personas, on_pathway):
    response = _mine(client, personas)

    items = _soup(response).select("ol.stage-list > li")
    assert [li.strong.get_text() for li in items] == ["Volunteer", "Trainee", "Peer worker"]
    current = [li for li in items if li.get("aria-current") == "step"]
    assert [li.strong.get_text() for li in current] == ["Volunteer"]
    assert "You are here" in current[0].get_text()
    assert "(band V1)" in current[0].get_text()


def test_the_next_stage_shows_each_requirement_with_status_and_next_step(
    client, personas, on_pathway
):
    response = _mine(client, personas)

    assert "Towards Trainee" in _text(response)
    assert _requirements(response) == [
        "In progress Complete Safe Practice Complete Safe Practice — 2 of 4 modules done",
        "In progress Competences signed off in domain 1 "
        "Get 1 more competence signed off — 1 of 2 done",
        f"In progress Provide: {STATEMENT_KIND} Waiting for review: {STATEMENT_KIND}",
    ]


def test_the_progress_bar_counts_requirements_met(client, personas, on_pathway):
    SignOff.objects.create(
        user=personas.peer,
        competence=Competence.objects.get(code="1.2"),
        signed_off_by=personas.coordinator,
    )

    response = _mine(client, personas)

    bar = _soup(response).select_one("#next-stage-heading ~ .progress progress")
    assert bar["value"] == "33"
    assert "1 of 3 done (33%)" in _text(response)


def test_when_everything_is_met_the_page_says_the_coordinator_will_talk_with_them(
    client, personas, on_pathway, safe_practice
):
    SignOff.objects.create(
        user=personas.peer,
        competence=Competence.objects.get(code="1.2"),
        signed_off_by=personas.coordinator,
    )
    CourseCompletion.objects.create(
        enrolment=Enrolment.objects.get(user=personas.peer, course=safe_practice)
    )
    Evidence.objects.update(status=Evidence.SIGNED_OFF)

    response = _mine(client, personas)

    text = _text(response)
    assert "Every requirement is met." in text
    assert "Your coordinator will talk with you about moving to Trainee" in text
    assert "3 of 3 done (100%)" in text
    assert on_pathway.stage.title == "Volunteer"


def test_someone_not_on_a_pathway_is_told_plainly(client, personas):
    response = _mine(client, personas)

    assert response.status_code == 200
    assert "You are not on a career pathway yet." in _text(response)


def test_at_the_last_stage_there_is_no_next_stage(client, personas, pathway):
    pathway_join(user=personas.peer, pathway=pathway, stage=stages(pathway)[2])

    response = _mine(client, personas)

    assert "This is the last stage of the pathway." in _text(response)
    assert "Towards" not in _text(response)


def test_renewals_of_the_current_stage_are_listed(client, personas, pathway, safe_practice):
    pathway_join(user=personas.peer, pathway=pathway, stage=stages(pathway)[1])
    enrolment = Enrolment.objects.create(user=personas.peer, course=safe_practice)
    completed = timezone.now() - timedelta(days=20)
    CourseCompletion.objects.create(enrolment=enrolment, completed_at=completed)
    Requirement.objects.filter(kind="course_completed").update(renewal_months=1)

    response = _mine(client, personas)

    summary = _soup(response).select_one("details.details")
    assert "What keeps you at Trainee" in summary.get_text()
    assert "Complete Safe Practice: Done, renewal due soon, renew by" in " ".join(
        summary.get_text(" ", strip=True).split()
    )


# --- Timeline ----------------------------------------------------------------------------------


def test_the_timeline_shows_stages_sign_offs_and_courses_newest_first(
    client, personas, pathway, on_pathway, safe_practice
):
    now = timezone.now()
    CourseCompletion.objects.create(
        enrolment=Enrolment.objects.get(user=personas.peer, course=safe_practice),
        completed_at=now - timedelta(days=3),
    )
    # Test setup only: sign-offs are append-only, so clear the fixture's with the plain
    # QuerySet.delete that the model's own queryset refuses.
    QuerySet.delete(SignOff.objects.filter(user=personas.peer))
    SignOff.objects.create(
        user=personas.peer,
        competence=Competence.objects.get(code="1.1"),
        signed_off_by=personas.coordinator,
        signed_off_at=now - timedelta(days=2),
    )
    StageDecision.objects.create(
        membership=on_pathway,
        from_stage=stages(pathway)[0],
        to_stage=stages(pathway)[1],
        outcome="confirmed",
        decided_by=personas.coordinator,
        decided_at=now - timedelta(days=1),
    )

    response = _mine(client, personas)

    events = [
        " ".join(li.get_text(" ", strip=True).split()[3:])
        for li in _soup(response).select("ol.timeline li")
    ]
    assert events == [
        "Reached Trainee",
        "1.1 Competence 1.1 signed off by Cam Coordinator",
        "Completed Safe Practice",
    ]


def test_an_empty_timeline_says_what_will_appear(client, personas, pathway):
    pathway_join(user=personas.peer, pathway=pathway)

    response = _mine(client, personas)

    assert "Nothing yet." in _text(response)


# --- Goals in their own words ------------------------------------------------------------------


def test_peer_writes_their_goals_and_sees_them_again(client, personas, on_pathway):
    client.force_login(personas.peer)

    response = client.post(
        reverse("pathways:aspirations"),
        {"body": "I want to become a peer broker.\n\nAnd to train others."},
        follow=True,
    )

    assert "Your goals and aspirations are saved." in _text(response)
    stored = Aspirations.objects.get(user=personas.peer)
    assert stored.body == "<p>I want to become a peer broker.</p><p>And to train others.</p>"
    textarea = _soup(response).find("textarea", attrs={"name": "body"}).get_text()
    assert "I want to become a peer broker." in textarea
    assert "And to train others." in textarea


def test_goals_are_editable_and_the_latest_words_are_kept(client, personas, on_pathway):
    client.force_login(personas.peer)
    client.post(reverse("pathways:aspirations"), {"body": "First thoughts"})

    client.post(reverse("pathways:aspirations"), {"body": "Second thoughts"})

    assert Aspirations.objects.get(user=personas.peer).body == "<p>Second thoughts</p>"


def test_script_in_goals_never_reaches_a_page(client, personas, on_pathway):
    client.force_login(personas.peer)

    client.post(reverse("pathways:aspirations"), {"body": "My goal<script>alert('x')</script>"})
    client.force_login(personas.coordinator)
    response = client.get(reverse("pathways:person", args=[personas.home.slug, personas.peer.pk]))

    body = Aspirations.objects.get(user=personas.peer).body
    assert "<script" not in body
    goals = _soup(response).select_one("#aspirations-heading ~ .rich-text")
    assert "My goal" in goals.get_text()
    assert goals.find("script") is None


def test_script_written_into_goals_directly_is_removed_when_stored(personas):
    aspirations = aspirations_save(
        user=personas.peer, body="<p>Train others</p><script>steal()</script>"
    )

    aspirations.refresh_from_db()
    assert aspirations.body == "<p>Train others</p>"


def test_too_long_goals_are_refused_and_the_words_kept(client, personas, on_pathway):
    client.force_login(personas.peer)

    response = client.post(reverse("pathways:aspirations"), {"body": "a" * 10_001})

    assert response.status_code == 200
    assert _soup(response).select(".error-summary__list li")
    assert not Aspirations.objects.exists()


def test_nobody_else_can_change_a_persons_goals(client, personas, on_pathway):
    aspirations_save(user=personas.peer, body="<p>Mine</p>")
    client.force_login(personas.coordinator)

    client.post(reverse("pathways:aspirations"), {"body": "Changed by coordinator"})

    assert Aspirations.objects.get(user=personas.peer).body == "<p>Mine</p>"
    assert Aspirations.objects.get(user=personas.coordinator).body == (
        "<p>Changed by coordinator</p>"
    )


def test_the_coordinator_reads_the_goals_and_the_read_is_audited(client, personas, on_pathway):
    aspirations_save(user=personas.peer, body="Become a peer lead")
    client.force_login(personas.coordinator)

    response = client.get(reverse("pathways:person", args=[personas.home.slug, personas.peer.pk]))

    text = _text(response)
    assert "Their goals and aspirations" in text
    assert "Become a peer lead" in text
    assert "Current stage" in text
    event = AuditEvent.objects.get(action="pathways.progress.read")
    assert (event.actor, event.subject_user, event.organisation) == (
        personas.coordinator,
        personas.peer,
        personas.home,
    )


def test_the_peer_reading_their_own_page_is_not_audited(client, personas, on_pathway):
    _mine(client, personas)

    assert not AuditEvent.objects.exists()


# --- Dashboard panel ---------------------------------------------------------------------------


def test_the_dashboard_shows_the_peer_their_next_step_with_a_progress_bar(
    client, personas, on_pathway
):
    client.force_login(personas.peer)

    response = client.get("/")

    panel = _soup(response).find(id="panel-your-next-step").find_parent("section")
    text = " ".join(panel.get_text(" ", strip=True).split())
    assert "You are at Volunteer" in text
    assert panel.find("progress") is not None
    assert "0 of 3 done (0%)" in text
    assert "Next: Complete Safe Practice — 2 of 4 modules done" in text


def test_no_next_step_panel_for_someone_not_on_a_pathway(client, personas):
    client.force_login(personas.peer)

    response = client.get("/")

    assert response.status_code == 200
    assert "Your next step" not in _text(response)


# --- What the pages cost -----------------------------------------------------------------------


def _grow_history(personas, on_pathway, safe_practice, items):
    """`items` pieces of evidence (each reviewed), sign-offs and stage decisions."""
    competence = Competence.objects.get(code="2.1")
    for number in range(items):
        evidence = Evidence.objects.create(
            user=personas.peer,
            competence=competence,
            statement=f"<p>Story {number}</p>",
            status=Evidence.MORE_NEEDED,
        )
        EvidenceReview.objects.create(
            evidence=evidence,
            reviewer=personas.coordinator,
            outcome=Evidence.MORE_NEEDED,
            note="More please",
        )
        SignOff.objects.create(
            user=personas.peer, competence=competence, signed_off_by=personas.mentor
        )
        StageDecision.objects.create(
            membership=on_pathway,
            from_stage=on_pathway.stage,
            to_stage=on_pathway.stage,
            outcome="not_yet",
            decided_by=personas.coordinator,
        )
    enrolment = Enrolment.objects.get(user=personas.peer, course=safe_practice)
    CourseCompletion.objects.bulk_create(
        CourseCompletion(enrolment=enrolment) for _ in range(items)
    )


def test_my_pathway_page_costs_the_same_however_long_the_history(
    client, personas, on_pathway, safe_practice, django_assert_num_queries
):
    _grow_history(personas, on_pathway, safe_practice, 1)
    client.force_login(personas.peer)
    url = reverse("pathways:mine")

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(url),
        lambda: _grow_history(personas, on_pathway, safe_practice, 7),
    )

    assert len(_soup(client.get(url)).select("#evidence-heading ~ ul > li")) == 9


def test_the_person_page_costs_the_same_however_long_the_history(
    client, personas, on_pathway, safe_practice, django_assert_num_queries
):
    _grow_history(personas, on_pathway, safe_practice, 1)
    client.force_login(personas.coordinator)
    url = reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(url),
        lambda: _grow_history(personas, on_pathway, safe_practice, 7),
    )

    assert len(_soup(client.get(url)).select("#evidence-heading ~ ul > li")) == 9
