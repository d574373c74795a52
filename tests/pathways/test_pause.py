"""Wellbeing pauses: while a person is paused their expiry clocks and time in stage stop, and
nobody but them ever learns why they paused."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import CourseCompletion, Enrolment
from lms.dates import add_months
from pathways.models import Evidence, PathwayMembership, Requirement, WellbeingPause
from pathways.requirements import EXPIRED, EXPIRING_SOON, MET, clock_for, registry
from pathways.selectors import person_progress, readiness_for_organisation
from pathways.services import pathway_join, pause_end, pause_start
from tests.courses.builders import make_course
from tests.pathways.builders import make_framework, make_pathway, stages
from tests.reports import body, private_files, xlsx_download  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
PRIVATE_NOTE = "Back in hospital after my mum died"


@pytest.fixture
def pathway(personas):
    return make_pathway(framework=make_framework(), organisation=personas.home)


@pytest.fixture
def course():
    return make_course("Safe Practice", modules=1)


def _require(stage, kind, **fields) -> Requirement:
    return Requirement.objects.create(
        stage=stage, kind=kind, sort_order=stage.requirements.count(), **fields
    )


def _complete(user, course, at) -> CourseCompletion:
    enrolment, _ = Enrolment.objects.get_or_create(user=user, course=course)
    return CourseCompletion.objects.create(enrolment=enrolment, completed_at=at)


def _pause(user, start, end=None, note="") -> WellbeingPause:
    return WellbeingPause.objects.create(
        user=user, started_at=start, ended_at=end, private_note=note
    )


def _status(requirement, user, now=NOW):
    return registry.evaluate(requirement, [user.pk], clock_for([user.pk], now))[user.pk]


# --- Expiry clocks stop ------------------------------------------------------------------------


def test_a_12_month_renewal_started_12_months_ago_has_expired_without_a_pause(
    pathway, course, personas
):
    requirement = _require(stages(pathway)[1], "course_completed", course=course, renewal_months=12)
    _complete(personas.peer, course, add_months(NOW, -12))

    assert _status(requirement, personas.peer).state == EXPIRED


def test_a_two_month_pause_in_between_keeps_a_12_month_renewal_from_expiring(
    pathway, course, personas
):
    requirement = _require(stages(pathway)[1], "course_completed", course=course, renewal_months=12)
    started = add_months(NOW, -12)
    _complete(personas.peer, course, started)
    _pause(personas.peer, add_months(started, 3), add_months(started, 5))

    status = _status(requirement, personas.peer)

    assert status.state == MET
    assert status.met
    assert status.expires_at == add_months(started, 12) + (
        add_months(started, 5) - add_months(started, 3)
    )


def test_a_pause_still_running_stops_the_clock_up_to_now(pathway, course, personas):
    requirement = _require(stages(pathway)[1], "course_completed", course=course, renewal_months=12)
    _complete(personas.peer, course, add_months(NOW, -12))
    _pause(personas.peer, NOW - timedelta(days=61))

    status = _status(requirement, personas.peer)

    assert status.state == MET
    assert status.expires_at == NOW + timedelta(days=61)


def test_a_pause_before_the_renewal_started_does_not_push_it_back(pathway, course, personas):
    requirement = _require(stages(pathway)[1], "course_completed", course=course, renewal_months=12)
    started = add_months(NOW, -13)
    _complete(personas.peer, course, started)
    _pause(personas.peer, add_months(started, -4), add_months(started, -1))

    assert _status(requirement, personas.peer).state == EXPIRED


def test_someone_elses_pause_does_not_stop_my_clock(pathway, course, personas):
    requirement = _require(stages(pathway)[1], "course_completed", course=course, renewal_months=12)
    started = add_months(NOW, -12)
    _complete(personas.peer, course, started)
    _pause(personas.mentor, add_months(started, 3), add_months(started, 5))

    assert _status(requirement, personas.peer).state == EXPIRED


def test_a_renewal_never_expires_while_its_person_is_still_paused(pathway, course, personas):
    requirement = _require(stages(pathway)[1], "course_completed", course=course, renewal_months=12)
    started = add_months(NOW, -14)
    _complete(personas.peer, course, started)  # due at NOW - 2 months without a pause
    _pause(personas.peer, add_months(started, 11))  # paused 1 month before due, still paused

    status = _status(requirement, personas.peer)

    # 11 of the 12 months have been used; the last month starts when they come back.
    assert status.state != EXPIRED
    assert status.expires_at > NOW


def test_evidence_renewal_also_stops_during_a_pause(pathway, personas):
    requirement = _require(
        stages(pathway)[1], "evidence", evidence_kind="DBS check", renewal_months=12
    )
    started = add_months(NOW, -12) + timedelta(days=10)
    Evidence.objects.create(
        user=personas.peer,
        evidence_kind="DBS check",
        status=Evidence.SIGNED_OFF,
        submitted_at=started,
    )

    before = _status(requirement, personas.peer)
    _pause(personas.peer, started + timedelta(days=30), started + timedelta(days=90))
    after = _status(requirement, personas.peer)

    assert before.state == EXPIRING_SOON
    assert after.state == MET
    assert after.expires_at - before.expires_at == timedelta(days=60)


def test_a_course_refresher_date_moves_back_by_the_pause(pathway, course, personas):
    requirement = _require(stages(pathway)[1], "course_completed", course=course)
    started = add_months(NOW, -12)
    enrolment = Enrolment.objects.create(user=personas.peer, course=course)
    CourseCompletion.objects.create(
        enrolment=enrolment, completed_at=started, refresher_due_at=NOW - timedelta(days=1)
    )
    _pause(personas.peer, started + timedelta(days=10), started + timedelta(days=70))

    status = _status(requirement, personas.peer)

    assert status.state == MET
    assert status.expires_at == NOW + timedelta(days=59)


# --- Time in stage stops -----------------------------------------------------------------------


def _in_stage_since(person, pathway, stage, reached):
    return PathwayMembership.objects.create(
        user=person, pathway=pathway, stage=stage, stage_reached_at=reached
    )


def test_time_in_stage_leaves_out_the_pause(pathway, personas):
    volunteer, trainee, _ = stages(pathway)
    requirement = _require(trainee, "time_in_stage", amount=Decimal("6"))
    _in_stage_since(personas.peer, pathway, volunteer, NOW - timedelta(days=213))
    _in_stage_since(personas.mentor, pathway, volunteer, NOW - timedelta(days=213))
    _pause(personas.peer, NOW - timedelta(days=150), NOW - timedelta(days=89))

    ids = [personas.peer.pk, personas.mentor.pk]
    statuses = registry.evaluate(requirement, ids, clock_for(ids, NOW))

    paused, not_paused = statuses[personas.peer.pk], statuses[personas.mentor.pk]
    assert not_paused.state == MET
    assert not paused.met
    assert paused.done == Decimal("5")  # 213 - 61 days = 152 days, about 5 months
    assert paused.next_step.startswith("Keep going — 5")


def test_time_in_stage_does_not_grow_while_paused_now(pathway, personas):
    volunteer, trainee, _ = stages(pathway)
    requirement = _require(trainee, "time_in_stage", amount=Decimal("6"))
    _in_stage_since(personas.peer, pathway, volunteer, NOW - timedelta(days=120))
    _pause(personas.peer, NOW - timedelta(days=30))

    today = _status(requirement, personas.peer)
    in_two_months = _status(requirement, personas.peer, now=NOW + timedelta(days=61))

    assert today.done == in_two_months.done


# --- Starting and ending a pause ---------------------------------------------------------------


def test_peer_starts_a_pause_with_a_private_note_and_sees_it_is_running(client, pathway, personas):
    pathway_join(user=personas.peer, pathway=pathway)
    client.force_login(personas.peer)

    response = client.post(reverse("pathways:pause"), {"private_note": PRIVATE_NOTE}, follow=True)

    pause = WellbeingPause.objects.get(user=personas.peer)
    assert pause.ended_at is None
    assert pause.private_note == PRIVATE_NOTE
    page = response.content.decode()
    assert "Your pause has started" in page
    assert "You are on a wellbeing pause" in page
    assert "Start a pause" not in page


def test_starting_a_pause_twice_keeps_one_pause(client, personas):
    client.force_login(personas.peer)

    client.post(reverse("pathways:pause"), {"private_note": "first"})
    client.post(reverse("pathways:pause"), {"private_note": "second"})

    assert list(WellbeingPause.objects.values_list("private_note", flat=True)) == ["first"]


def test_peer_ends_their_pause_and_the_clocks_start_again(client, pathway, personas):
    pathway_join(user=personas.peer, pathway=pathway)
    pause_start(user=personas.peer, private_note=PRIVATE_NOTE)
    client.force_login(personas.peer)

    response = client.post(reverse("pathways:pause"), {"action": "end"}, follow=True)

    pause = WellbeingPause.objects.get(user=personas.peer)
    assert pause.ended_at is not None
    assert "Welcome back" in response.content.decode()
    assert "You are on a wellbeing pause" not in response.content.decode()
    assert not person_progress(user=personas.peer).paused


def test_the_peer_sees_their_own_pause_on_their_pathway_page(client, pathway, personas):
    pathway_join(user=personas.peer, pathway=pathway)
    pause_start(user=personas.peer, private_note=PRIVATE_NOTE)
    client.force_login(personas.peer)

    page = client.get(reverse("pathways:mine")).content.decode()

    assert "You are on a wellbeing pause" in page
    assert "I am ready to come back" in page


def test_the_pause_page_cannot_be_reached_by_get(client, personas):
    client.force_login(personas.peer)

    assert client.get(reverse("pathways:pause")).status_code == 405
    assert not WellbeingPause.objects.exists()


# --- Nobody else learns why --------------------------------------------------------------------


@pytest.fixture
def paused_peer(pathway, personas):
    pathway_join(user=personas.peer, pathway=pathway)
    return pause_start(user=personas.peer, private_note=PRIVATE_NOTE)


def test_coordinator_sees_only_paused_on_the_person_page(client, personas, paused_peer):
    client.force_login(personas.coordinator)

    page = client.get(
        reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])
    ).content.decode()

    assert "Paused" in page
    assert PRIVATE_NOTE not in page
    assert "hospital" not in page


def test_coordinator_sees_only_paused_on_the_readiness_page(client, personas, paused_peer):
    client.force_login(personas.coordinator)

    page = client.get(reverse("pathways:readiness", args=[personas.home.slug])).content.decode()

    assert "Paused" in page
    assert PRIVATE_NOTE not in page


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_say_paused_and_nothing_more(
    client, personas, paused_peer, export, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    url = reverse("pathways:readiness", args=[personas.home.slug])

    if export == "csv":
        response = client.get(url, {"export": export})
        rows = list(csv.reader(io.StringIO(body(response).decode())))
        cells = [cell for row in rows for cell in row]
    else:
        response = xlsx_download(client, url, {}, django_capture_on_commit_callbacks)
        workbook = load_workbook(io.BytesIO(body(response)))
        cells = [
            str(cell)
            for sheet in workbook
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
        rows = [list(row) for row in workbook["People"].iter_rows(values_only=True)]
    peer_row = next(row for row in rows if row[0] == "Pat Peer")
    assert peer_row[rows[0].index("Paused")] == "Paused"
    assert not any("hospital" in cell for cell in cells)


def test_coordinator_dashboard_never_shows_the_note(client, personas, paused_peer):
    client.force_login(personas.coordinator)

    page = client.get("/").content.decode()

    assert "Workforce readiness" in page
    assert PRIVATE_NOTE not in page


def test_a_paused_person_is_not_listed_as_ready_to_progress(pathway, personas, paused_peer):
    # The next stage asks nothing, so without the pause they would be ready.
    readiness = readiness_for_organisation(organisation=personas.home)

    peer = next(p for p in readiness.people if p.user.pk == personas.peer.pk)
    assert peer.paused
    assert not peer.ready
    assert personas.peer.pk not in [p.user.pk for p in readiness.ready]
    pause_end(user=personas.peer)
    assert personas.peer.pk in [
        p.user.pk for p in readiness_for_organisation(organisation=personas.home).ready
    ]


def test_a_pause_that_ended_shows_nothing_to_the_coordinator(client, personas, paused_peer):
    WellbeingPause.objects.filter(pk=paused_peer.pk).update(ended_at=timezone.now())
    client.force_login(personas.coordinator)

    page = client.get(
        reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])
    ).content.decode()

    assert "Paused" not in page
