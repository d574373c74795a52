"""Readiness kept, not recomputed: after every kind of event that changes someone's readiness,
and as time passes, the kept rows read at that moment equal a fresh evaluation through the
requirement registry, field by field. Events go through the services, with their queued tasks
run as the transaction commits, so an event that forgets to queue a refresh fails here."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from wagtail import hooks

from courses.models import Enrolment
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from lms.models import Role
from mentoring.models import Mentorship, SessionFormat, SupervisionSession
from mentoring.services.pairing import agreement_confirm
from mentoring.services.supervision import session_confirm
from pathways.frameworks import framework_export_csv, framework_import, parse_framework_csv
from pathways.models import (
    Competence,
    Evidence,
    KeptReadiness,
    KeptRequirement,
    PathwayMembership,
    ReadinessSnapshot,
    SignOff,
)
from pathways.readiness_keeping import (
    comparable,
    kept_truths,
    places_evaluate,
    readiness_rebuild,
    readiness_refresh,
    truth_of,
)
from pathways.readiness_selectors import kept_readiness
from pathways.services import (
    evidence_review,
    evidence_submit,
    pathway_join,
    pause_end,
    pause_start,
    readiness_snapshot_take,
    sign_off,
    sign_off_withdraw,
    stage_decide,
)
from tests.courses.builders import make_course
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import add_requirement, make_framework, make_pathway, stages
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

DBS = "DBS check"


@dataclass
class World:
    personas: object
    pathway: object
    course: object
    planning: object


@pytest.fixture
def world(personas):
    """Home's pathway Volunteer → Trainee (Safe Practice, valid a year; domain 1 signed off) →
    Peer worker (a DBS check renewed yearly, a month in stage, an hour of supervision received
    and one given, a trainee mentored)."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    _, trainee, peer_worker = stages(pathway)
    course = make_course("Safe Practice", modules=2, validity_months=12)
    add_requirement(trainee, "course_completed", course=course)
    add_requirement(trainee, "competences_signed_off", domains=["1"])
    add_requirement(peer_worker, "evidence", evidence_kind=DBS, renewal_months=12)
    add_requirement(peer_worker, "time_in_stage", amount=Decimal("1"))
    add_requirement(peer_worker, "supervision_hours", amount=Decimal("1"))
    add_requirement(peer_worker, "supervision_hours_given", amount=Decimal("1"))
    add_requirement(peer_worker, "mentored_trainees", amount=Decimal("1"))
    return World(personas, pathway, course, make_course("Planning", modules=1))


def _snapshot(now):
    """Kept (read at `now`) and fresh (evaluated at `now`): truths and next steps by place."""
    ids = list(PathwayMembership.objects.values_list("pk", flat=True))
    states = places_evaluate(membership_ids=ids, now=now)
    fresh = {s.membership_id: comparable(truth_of(s)) for s in states}
    kept = {pk: comparable(truth) for pk, truth in kept_truths(membership_ids=ids, now=now).items()}
    fresh_steps = {s.membership_id: s.next_steps for s in states}
    kept_steps = dict(KeptReadiness.objects.values_list("membership_id", "next_steps"))
    return fresh, kept, fresh_steps, kept_steps


# --- The events, in the order a person meets them (each builds on the ones before) ------------


def _join_peer(w):
    pathway_join(user=w.personas.peer, pathway=w.pathway, stage=stages(w.pathway)[0])


def _join_mentor(w):
    pathway_join(user=w.personas.mentor, pathway=w.pathway, stage=stages(w.pathway)[1])


def _enrol(w):
    enrolment_create(user=w.personas.peer, course=w.course)


def _finish_module(w, number):
    enrolment = Enrolment.objects.get(user=w.personas.peer, course=w.course)
    module = list(live_modules(course=w.course))[number]
    module_finish(enrolment=enrolment, module=module)


def _competence(code):
    return Competence.objects.get(code=code)


def _sign_off(w):
    sign_off(user=w.personas.peer, competence=_competence("1.1"), by=w.personas.coordinator)


def _withdraw(w):
    signoff = SignOff.objects.get(user=w.personas.peer, withdraws__isnull=True)
    sign_off_withdraw(signoff=signoff, by=w.personas.coordinator, note="Signed off in error")


def _competence_reviewed(w):
    # Evidence sent for a competence changes nothing readiness holds until it is signed off.
    evidence_submit(user=w.personas.peer, competence=_competence("1.2"), statement="<p>I did</p>")
    _review(w, w.personas.peer)


def _review(w, user):
    evidence = Evidence.objects.get(user=user, status=Evidence.SUBMITTED)
    evidence_review(evidence=evidence, reviewer=w.personas.coordinator, outcome=Evidence.SIGNED_OFF)


def _confirm_move(w):
    membership = PathwayMembership.objects.get(user=w.personas.peer)
    stage_decide(
        membership=membership,
        to_stage=stages(w.pathway)[1],
        outcome="confirmed",
        note="",
        by=w.personas.coordinator,
    )


def _dbs_sent(w):
    evidence_submit(user=w.personas.mentor, evidence_kind=DBS, statement="<p>Attached</p>")


def _mentorship(w):
    return Mentorship.objects.get(trainee=w.personas.peer)


def _mentorship_starts(w):
    mentorship = Mentorship.objects.create(
        organisation=w.personas.home,
        trainee=w.personas.peer,
        mentor=w.personas.mentor,
        status=Mentorship.PROPOSED,
        goals="<p>Confidence</p>",
        meeting_frequency="Monthly",
    )
    agreement_confirm(mentorship=mentorship, by=w.personas.peer)
    agreement_confirm(mentorship=mentorship, by=w.personas.mentor)


def _session_confirmed(w):
    session = SupervisionSession.objects.create(
        mentorship=_mentorship(w),
        held_on=timezone.localdate(),
        duration_minutes=60,
        format=SessionFormat.IN_PERSON,
    )
    session_confirm(session=session, by=w.personas.peer)


def _pathway_edited(w):
    add_requirement(stages(w.pathway)[2], "course_started", course=w.planning)
    request = RequestFactory().post("/admin/")
    request.user = w.personas.editor
    for hook in hooks.get_hooks("after_edit_snippet"):
        hook(request, w.pathway)


def _competence_imported(w):
    """A framework file brings a third competence into domain 1, which a requirement asks for."""
    framework = w.pathway.framework
    data = framework_export_csv(framework=framework) + "1,Domain 1,1.3,Competence 1.3,\n"
    framework_import(
        framework_name=framework.name,
        framework_slug=framework.slug,
        parsed=parse_framework_csv(data.encode()),
    )


def _competence_removed_in_the_admin(w):
    """An administrator deletes the competence no one has signed off yet, in Wagtail."""
    client = Client()
    client.force_login(UserFactory(email="root@example.org", is_superuser=True, is_staff=True))
    competence = _competence("1.3")
    response = client.post(reverse("competences:delete", args=[competence.pk]))
    assert response.status_code == 302, response.status_code
    assert not Competence.objects.filter(pk=competence.pk).exists()


EVENTS = [
    ("joining a pathway", _join_peer),
    ("joining at a later stage", _join_mentor),
    ("starting a course", _enrol),
    ("completing a module", lambda w: _finish_module(w, 0)),
    ("completing a course, with its certificate", lambda w: _finish_module(w, 1)),
    ("a sign-off", _sign_off),
    ("a sign-off withdrawn", _withdraw),
    ("a sign-off again", _sign_off),
    ("evidence reviewed, signing off its competence", lambda w: _competence_reviewed(w)),
    ("a competence added to a required domain by a framework import", _competence_imported),
    ("that competence removed in the Wagtail admin", _competence_removed_in_the_admin),
    ("a pause starting", lambda w: pause_start(user=w.personas.peer)),
    ("a pause ending", lambda w: pause_end(user=w.personas.peer)),
    ("a stage move confirmed", _confirm_move),
    ("evidence sent", _dbs_sent),
    ("evidence reviewed", lambda w: _review(w, w.personas.mentor)),
    ("a mentorship starting", _mentorship_starts),
    ("a supervision session confirmed", _session_confirmed),
    ("the pathway's requirements edited in Wagtail", _pathway_edited),
]


LATER = [
    ("time in stage passing", timedelta(days=40)),
    ("a renewal expiring", timedelta(days=400)),
]


def test_kept_rows_equal_a_fresh_evaluation_after_every_event(
    world, django_capture_on_commit_callbacks
):
    for name, event in EVENTS:
        before, _, before_steps, _ = _snapshot(timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            event(world)

        fresh, kept, fresh_steps, kept_steps = _snapshot(timezone.now())
        assert (fresh, fresh_steps) != (before, before_steps), f"{name} changed nothing"
        assert kept == fresh, f"after {name}"
        assert kept_steps == fresh_steps, f"next steps after {name}"

    for name, wait in LATER:
        later = timezone.now() + wait
        fresh, kept, _, _ = _snapshot(later)
        assert fresh != _snapshot(timezone.now())[0], f"{name} changed nothing"
        assert kept == fresh, f"{name}"


# --- Time between refreshes ------------------------------------------------------------------


def _ready_when_time_passes(world):
    """Pat at Trainee with everything for Peer worker but a month in stage."""
    personas = world.personas
    peer_worker = stages(world.pathway)[2]
    PathwayMembership.objects.create(
        user=personas.peer, pathway=world.pathway, stage=stages(world.pathway)[1]
    )
    for requirement in peer_worker.requirements.exclude(kind="time_in_stage"):
        requirement.delete()
    readiness_refresh(user_ids=[personas.peer.pk])


def test_someone_is_ready_once_their_time_in_stage_has_passed_without_a_refresh(world):
    _ready_when_time_passes(world)

    today = kept_readiness(organisation=world.personas.home)
    next_month = kept_readiness(
        organisation=world.personas.home, now=timezone.now() + timedelta(days=32)
    )

    assert today.ready_count == 0
    assert [person.user.display_name for person in next_month.ready] == ["Pat Peer"]
    assert next_month.gaps[-1].not_met == 0


def test_a_pause_stops_the_time_in_stage_from_making_someone_ready(
    world, django_capture_on_commit_callbacks
):
    _ready_when_time_passes(world)
    with django_capture_on_commit_callbacks(execute=True):
        pause_start(user=world.personas.peer)

    later = kept_readiness(
        organisation=world.personas.home, now=timezone.now() + timedelta(days=60)
    )

    assert later.ready_count == 0


def test_a_completion_counts_until_it_expires_and_then_is_overdue(world):
    peer = world.personas.peer
    PathwayMembership.objects.create(
        user=peer, pathway=world.pathway, stage=stages(world.pathway)[1]
    )
    enrolment = Enrolment.objects.create(user=peer, course=world.course)
    for module in live_modules(course=world.course):
        module_finish(enrolment=enrolment, module=module)  # not captured: refreshed below
    readiness_refresh(user_ids=[peer.pk])

    soon = kept_readiness(
        organisation=world.personas.home, now=timezone.now() + timedelta(days=300)
    )
    lapsed = kept_readiness(
        organisation=world.personas.home, now=timezone.now() + timedelta(days=400)
    )

    assert (soon.expiry_counts[-1], soon.overdue_count) == ((90, 1), 0)
    assert (lapsed.expiring_count, lapsed.overdue_count) == (0, 1)
    assert lapsed.overdue[0].user.display_name == "Pat Peer"


# --- The nightly rebuild ---------------------------------------------------------------------


def _two_people_kept(world):
    for person in (world.personas.peer, world.personas.mentor):
        PathwayMembership.objects.create(
            user=person, pathway=world.pathway, stage=stages(world.pathway)[0]
        )
    readiness_refresh(user_ids=[world.personas.peer.pk, world.personas.mentor.pk])


def test_the_nightly_rebuild_corrects_a_corrupted_row_and_says_so(world, caplog):
    _two_people_kept(world)
    assert readiness_rebuild() == 0
    KeptRequirement.objects.filter(readiness__user=world.personas.peer).update(met=True)

    corrected = readiness_rebuild()

    assert corrected == 1
    assert "corrected 1 kept rows" in caplog.text
    assert not KeptRequirement.objects.filter(met=True).exists()


def test_the_nightly_rebuild_fills_a_missing_row(world):
    _two_people_kept(world)
    KeptReadiness.objects.filter(user=world.personas.mentor).delete()

    assert readiness_rebuild() == 1
    assert KeptReadiness.objects.count() == 2


def test_the_nightly_rebuild_is_scheduled():
    schedule = Schedule.objects.get(name="Nightly readiness rebuild")

    assert schedule.func == "pathways.tasks.rebuild_readiness"
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.DAILY, -1)


def test_operators_can_rebuild_by_hand(world, capsys):
    _two_people_kept(world)
    KeptReadiness.objects.filter(user=world.personas.peer).update(paused=True)

    call_command("rebuild_readiness")

    assert "1 kept row corrected" in capsys.readouterr().out
    assert not KeptReadiness.objects.filter(paused=True).exists()


# --- Cost --------------------------------------------------------------------------------------


def _people(world, how_many, start):
    people = []
    for n in range(start, start + how_many):
        person = UserFactory(display_name=f"Person {n:03}")
        MembershipFactory(user=person, organisation=world.personas.home, role=Role.PEER)
        stage = stages(world.pathway)[n % 3]
        PathwayMembership.objects.create(user=person, pathway=world.pathway, stage=stage)
        people.append(person.pk)
    return people


def _statements(action) -> list[str]:
    """The statements an action runs, but for the inserts of kept rows: SQLite takes at most
    999 values a statement, so Django splits a long insert (PostgreSQL runs one)."""
    with CaptureQueriesContext(connection) as context:
        action()
    splits = connection.vendor == "sqlite"
    return [
        query["sql"]
        for query in context.captured_queries
        if not (splits and query["sql"].startswith('INSERT INTO "pathways_kept'))
    ]


def test_a_refresh_costs_the_same_for_6_and_60_people(world):
    few, many = _people(world, 6, 0), _people(world, 60, 6)

    assert len(_statements(lambda: readiness_refresh(user_ids=few))) == len(
        _statements(lambda: readiness_refresh(user_ids=many))
    )
    assert KeptReadiness.objects.count() == 66
    assert KeptRequirement.objects.filter(readiness__user_id__in=many).count() == 180


def test_the_dashboard_panel_costs_the_same_for_6_and_60_people(
    client, world, django_assert_num_queries
):
    readiness_refresh(user_ids=_people(world, 6, 0))
    client.force_login(world.personas.coordinator)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get("/"),
        lambda: readiness_refresh(user_ids=_people(world, 60, 6)),
    )

    assert "0 people are ready to progress." in client.get("/").content.decode()


def test_a_snapshot_costs_the_same_for_6_and_60_people(world, django_assert_num_queries):
    readiness_refresh(user_ids=_people(world, 6, 0))
    home = world.personas.home

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: readiness_snapshot_take(organisation=home),
        lambda: readiness_refresh(user_ids=_people(world, 60, 6)),
    )

    assert ReadinessSnapshot.objects.get(organisation=home).people == 68  # and Pat and Mo
