"""Workforce readiness for an organisation's coordinators and admins: headcount by stage (chart
and table), who is ready to progress, gaps per requirement, what expires in 30/60/90 days,
filters, CSV and XLSX exports, the nightly snapshot, the dashboard panel, and the cost."""

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from openpyxl import load_workbook

from courses.models import CourseCompletion, Enrolment
from lms.models import AuditEvent, Membership, Role, User
from pathways.exports import PEOPLE_HEADINGS
from pathways.models import (
    Competence,
    Evidence,
    KeptRequirement,
    PathwayMembership,
    ReadinessSnapshot,
    Requirement,
    SignOff,
    Stage,
    StageDecision,
    WellbeingPause,
)
from pathways.readiness_keeping import readiness_fill
from pathways.readiness_selectors import readiness_export_rows
from pathways.selectors import readiness_for_organisation
from pathways.services import pathway_join, readiness_snapshot_take
from pathways.tasks import take_readiness_snapshots
from tests.courses.builders import make_course
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages
from tests.querycount import assert_queries_do_not_grow
from tests.reports import body, private_files, xlsx_download  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_files")]

DBS = "DBS check"


def _require(stage, kind, *, domains=(), **fields) -> Requirement:
    requirement = Requirement.objects.create(
        stage=stage, kind=kind, sort_order=stage.requirements.count(), **fields
    )
    for competence in Competence.objects.filter(domain__code__in=domains):
        Requirement.competences.through.objects.create(
            requirement=requirement, competence=competence
        )
    return requirement


@pytest.fixture
def career(personas):
    """Home's "Career pathway": Volunteer → Trainee (Safe Practice, refreshed yearly; 1.1 and
    1.2 signed off) → Peer worker (a DBS check)."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    _, trainee, peer_worker = stages(pathway)
    _require(
        trainee,
        "course_completed",
        course=make_course("Safe Practice", modules=1, validity_months=12),
    )
    _require(trainee, "competences_signed_off", domains=["1"], title="Domain 1 signed off")
    _require(peer_worker, "evidence", evidence_kind=DBS)
    return pathway


def _peer(name, role=Role.PEER, organisation=None):
    user = UserFactory(display_name=name, email=f"{name.split()[0].lower()}@example.org")
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def _completed(user, due_in_days):
    course = Requirement.objects.get(kind="course_completed").course
    enrolment, _ = Enrolment.objects.get_or_create(user=user, course=course)
    return CourseCompletion.objects.create(
        enrolment=enrolment, refresher_due_at=timezone.now() + timedelta(days=due_in_days)
    )


def _signed(user, *codes):
    for code in codes:
        SignOff.objects.create(user=user, competence=Competence.objects.get(code=code))


def _dbs(user):
    Evidence.objects.create(user=user, evidence_kind=DBS, status=Evidence.SIGNED_OFF)


@pytest.fixture
def workforce(personas, career):
    """Home's peer workforce, by name:

    Ali Peer    Volunteer    nothing done
    Bea Peer    not on a pathway
    Cy Peer     Trainee      DBS signed off (ready for Peer worker); Safe Practice due in 80 days
    Dee Peer    Trainee      Safe Practice due in 120 days
    Eve Peer    on the shared pathway, at Start (Finish asks for a reference)
    Mo Mentor   Trainee      (a mentor) Safe Practice due in 20 days
    Pat Peer    Volunteer    ready for Trainee; Safe Practice due in 50 days
    Oz Peer, in Other Org, is on Other Org's pathway.
    """
    volunteer, trainee, _ = stages(career)
    shared = make_pathway(
        framework=career.framework, name="Shared pathway", stages=("Start", "Finish")
    )
    _require(stages(shared)[1], "evidence", evidence_kind="Reference")
    theirs = make_pathway(
        framework=career.framework,
        organisation=personas.other,
        name="Their pathway",
        stages=("Theirs",),
    )
    people = {
        "pat": personas.peer,
        "mo": personas.mentor,
        "ali": _peer("Ali Peer", organisation=personas.home),
        "bea": _peer("Bea Peer", organisation=personas.home),
        "cy": _peer("Cy Peer", organisation=personas.home),
        "dee": _peer("Dee Peer", organisation=personas.home),
        "eve": _peer("Eve Peer", organisation=personas.home),
    }
    for key in ("pat", "ali"):
        pathway_join(user=people[key], pathway=career, stage=volunteer)
    for key in ("mo", "cy", "dee"):
        pathway_join(user=people[key], pathway=career, stage=trainee)
    pathway_join(user=people["eve"], pathway=shared)
    pathway_join(user=personas.other_peer, pathway=theirs)
    _completed(people["pat"], 50)
    _signed(people["pat"], "1.1", "1.2")
    _completed(people["mo"], 20)
    _completed(people["cy"], 80)
    _dbs(people["cy"])
    _completed(people["dee"], 120)
    _completed(personas.other_peer, 10)
    readiness_fill()  # made with factories, not through the services that queue a refresh
    return people


def _url(personas, slug=None):
    return reverse("pathways:readiness", args=[slug or personas.home.slug])


def _page(client, personas, **params):
    client.force_login(personas.coordinator)
    return client.get(_url(personas), params)


def _xlsx(client, personas, capture, **params):
    """The XLSX as a coordinator gets it: asked for, made in the background, downloaded."""
    client.force_login(personas.coordinator)
    return xlsx_download(client, _url(personas), params, capture)


def _soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def _text(response):
    return html.unescape(response.content.decode())


def _section(response, heading_id):
    return _soup(response).find(id=heading_id).find_parent("section")


def _table(section) -> list[list[str]]:
    return [
        [" ".join(cell.get_text(" ", strip=True).split()) for cell in row.find_all(["th", "td"])]
        for row in section.select("tbody tr")
    ]


def _csv(response):
    return list(csv.reader(io.StringIO(body(response).decode())))


def _workbook(response):
    return load_workbook(io.BytesIO(body(response)))


def _rows(sheet):
    return [
        ["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)
    ]


# --- Headcount ---------------------------------------------------------------------------------

HEADCOUNT = [
    ("Volunteer", 2),
    ("Trainee", 3),
    ("Peer worker", 0),
    ("Start", 1),
    ("Finish", 0),
    ("Not on a pathway yet", 1),
]


def test_headcount_by_stage_as_a_chart_and_the_same_numbers_as_a_table(client, personas, workforce):
    response = _page(client, personas)

    section = _section(response, "headcount-heading")
    assert "People at each stage (7 in all)" in section.get_text()
    chart = [
        (row.select_one(".bar-chart__label").get_text(), int(row.select_one("meter")["value"]))
        for row in section.select(".bar-chart__row")
    ]
    table = [(title, int(count)) for title, count in _table(section)]
    assert chart == HEADCOUNT
    assert table == HEADCOUNT
    assert section.select_one(".bar-chart")["aria-hidden"] == "true"


def test_only_this_organisations_peers_and_mentors_are_counted(client, personas, workforce):
    response = _page(client, personas)

    names = [row[0] for row in _table(_section(response, "people-heading"))]
    assert names == [
        "Ali Peer",
        "Bea Peer",
        "Cy Peer",
        "Dee Peer",
        "Eve Peer",
        "Mo Mentor",
        "Pat Peer",
    ]
    text = _text(response)
    assert "Oz Peer" not in text
    assert "Their pathway" not in text
    assert "Theirs" not in text


def test_someone_whose_role_ended_is_not_counted(client, personas, workforce):
    Membership.objects.filter(user=workforce["ali"]).update(active_to=timezone.localdate())

    response = _page(client, personas)

    assert "Ali Peer" not in _text(response)


# --- Ready to progress, gaps, expiring ---------------------------------------------------------


def test_ready_to_progress_lists_only_those_who_met_everything(client, personas, workforce):
    response = _page(client, personas)

    section = _section(response, "ready-heading")
    assert "Ready to progress (2)" in section.get_text()
    assert _table(section) == [
        ["Cy Peer", "Trainee", "Peer worker", "—"],
        ["Pat Peer", "Volunteer", "Trainee", "—"],
    ]
    link = section.find("a", string="Pat Peer")["href"]
    assert link == reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])


def test_gaps_count_who_has_not_met_each_requirement(client, personas, workforce):
    response = _page(client, personas)

    assert _table(_section(response, "gaps-heading")) == [
        ["Trainee", "Complete Safe Practice", "1 of 2"],
        ["Trainee", "Domain 1 signed off", "1 of 2"],
        ["Peer worker", f"Provide: {DBS}", "2 of 3"],
        ["Finish", "Provide: Reference", "1 of 1"],
    ]


def test_expiring_counts_for_30_60_and_90_days(client, personas, workforce):
    response = _page(client, personas)

    section = _section(response, "expiring-heading")
    counts = [li.get_text(" ", strip=True) for li in section.select("ul.plain-list li")]
    assert counts == ["Within 30 days: 1", "Within 60 days: 2", "Within 90 days: 3"]
    rows = _table(section)
    assert [(row[0], row[1], row[3]) for row in rows] == [
        ("Mo Mentor", "Complete Safe Practice", "30 days"),
        ("Pat Peer", "Complete Safe Practice", "60 days"),
        ("Cy Peer", "Complete Safe Practice", "90 days"),
    ]


def test_the_people_table_shows_stage_progress_and_status(client, personas, workforce):
    response = _page(client, personas)

    rows = {row[0]: row[1:] for row in _table(_section(response, "people-heading"))}
    assert rows["Pat Peer"] == ["Volunteer", "Trainee", "2 of 2", "Ready to progress"]
    assert rows["Ali Peer"] == ["Volunteer", "Trainee", "0 of 2", ""]
    assert rows["Bea Peer"] == ["Not on a pathway yet", "—", "—", ""]


NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_something_due_in_exactly_30_days_counts_within_30_days(personas, career):
    pathway_join(user=personas.mentor, pathway=career, stage=stages(career)[1])
    course = Requirement.objects.get(kind="course_completed").course
    enrolment = Enrolment.objects.create(user=personas.mentor, course=course)
    CourseCompletion.objects.create(
        enrolment=enrolment,
        completed_at=NOW - timedelta(days=300),
        refresher_due_at=NOW + timedelta(days=30),
    )

    readiness = readiness_for_organisation(organisation=personas.home, now=NOW)

    [item] = readiness.expiring
    assert readiness.people[0].current_requirements[0].status.state == "expiring_soon"
    assert item.within_days == 30
    assert readiness.expiry_counts[0] == (30, 1)


# --- Filters -----------------------------------------------------------------------------------


def _names(response):
    return [row[0] for row in _table(_section(response, "people-heading"))]


def test_filter_by_stage(client, personas, workforce):
    trainee = Stage.objects.get(title="Trainee")

    response = _page(client, personas, stage=trainee.pk)

    assert _names(response) == ["Cy Peer", "Dee Peer", "Mo Mentor"]
    assert "People at each stage (3 in all)" in _text(response)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("mentor", ["Mo Mentor"]),
        ("peer", ["Ali Peer", "Bea Peer", "Cy Peer", "Dee Peer", "Eve Peer", "Pat Peer"]),
    ],
)
def test_filter_by_role(client, personas, workforce, role, expected):
    response = _page(client, personas, role=role)

    assert _names(response) == expected


def test_filter_by_pathway_shows_only_people_on_it(client, personas, workforce, career):
    response = _page(client, personas, pathway=career.pk)

    names = _names(response)
    assert {"Ali Peer", "Cy Peer", "Dee Peer", "Mo Mentor", "Pat Peer"} <= set(names)
    assert "Eve Peer" not in names  # she is on the shared pathway, not on no pathway
    headcount = dict(_table(_section(response, "headcount-heading")))
    assert headcount.get("Not on a pathway yet", "1") == "1"  # Bea only, if shown at all


def test_filter_by_pathway_keeps_its_stages_and_drops_the_others(
    client, personas, workforce, career
):
    response = _page(client, personas, pathway=career.pk)

    titles = [row[0] for row in _table(_section(response, "headcount-heading"))]
    assert titles[:3] == ["Volunteer", "Trainee", "Peer worker"]
    assert "Start" not in titles


def test_another_organisations_pathway_is_not_a_filter_choice(client, personas, workforce):
    theirs = PathwayMembership.objects.get(user=personas.other_peer).pathway

    response = _page(client, personas, pathway=theirs.pk)

    options = [o.get_text() for o in _soup(response).select("select[name=pathway] option")]
    assert "Their pathway" not in options
    assert "Oz Peer" not in _text(response)


def test_filters_combine(client, personas, workforce):
    trainee = Stage.objects.get(title="Trainee")

    response = _page(client, personas, stage=trainee.pk, role="peer")

    assert _names(response) == ["Cy Peer", "Dee Peer"]


# --- Exports -----------------------------------------------------------------------------------


def test_csv_export_is_the_people_table(client, personas, workforce):
    response = _page(client, personas, export="csv")

    assert response.streaming  # written while it is sent, never held whole
    assert response["Content-Type"].startswith("text/csv")
    name = f"readiness-home-org-{timezone.localdate().isoformat()}.csv"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    rows = _csv(response)
    assert rows[0] == PEOPLE_HEADINGS
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == [
        "Ali Peer",
        "Bea Peer",
        "Cy Peer",
        "Dee Peer",
        "Eve Peer",
        "Mo Mentor",
        "Pat Peer",
    ]
    assert by_name["Pat Peer"] == [
        "Pat Peer",
        "peer@example.org",
        "peer",
        "Career pathway",
        "Volunteer",
        "Trainee",
        "2 of 2",
        "Yes",
        "",
        "",
    ]
    assert by_name["Ali Peer"] == [
        "Ali Peer",
        "ali@example.org",
        "peer",
        "Career pathway",
        "Volunteer",
        "Trainee",
        "0 of 2",
        "No",
        "",
        "Start Safe Practice; Get 2 more competences signed off — 0 of 2 done",
    ]
    assert by_name["Bea Peer"] == [
        "Bea Peer",
        "bea@example.org",
        "peer",
        "",
        "Not on a pathway yet",
        "",
        "",
        "No",
        "",
        "",
    ]


@pytest.mark.parametrize(
    "filters", [{}, {"role": "peer"}, {"stage": "Trainee"}, {"pathway": "Career pathway"}]
)
def test_export_rows_from_the_kept_rows_match_the_csv_export(client, personas, workforce, filters):
    ids = {
        "stage_id": Stage.objects.get(title=filters["stage"]).pk if "stage" in filters else None,
        "pathway_id": (
            PathwayMembership.objects.filter(pathway__name=filters["pathway"]).first().pathway_id
            if "pathway" in filters
            else None
        ),
        "role": filters.get("role"),
    }
    params = {k.removesuffix("_id"): v for k, v in ids.items() if v}

    rows = list(readiness_export_rows(organisation=personas.home, **ids))

    csv_rows = _csv(_page(client, personas, export="csv", **params))[1:]
    assert [list(row) for row in rows] == csv_rows
    fresh = readiness_for_organisation(organisation=personas.home, **ids)
    assert csv_rows == [list(row) for row in _fresh_rows(fresh)]


def _fresh_rows(readiness):
    """The people table worked out afresh through the requirement registry, as the exports
    showed it before readiness was kept: what the kept rows must still say."""
    for person in readiness.people:
        met = sum(1 for r in person.next_requirements if r.status.met)
        yield (
            person.user.display_name,
            person.user.email,
            ", ".join(sorted(person.roles)),
            person.membership.pathway.name if person.membership else "",
            person.stage.title if person.stage else "Not on a pathway yet",
            person.next_stage.title if person.next_stage else "",
            f"{met} of {len(person.next_requirements)}" if person.next_stage else "",
            "Yes" if person.ready else "No",
            "Paused" if person.paused else "",
            "; ".join(
                r.status.next_step
                for r in person.next_requirements
                if not r.status.met and r.status.next_step
            ),
        )


def test_exports_follow_the_filters_on_screen(client, personas, workforce):
    trainee = Stage.objects.get(title="Trainee")

    rows = _csv(_page(client, personas, export="csv", stage=trainee.pk, role="peer"))

    assert [row[0] for row in rows[1:]] == ["Cy Peer", "Dee Peer"]


def test_xlsx_export_has_a_sheet_for_everything_on_the_page(
    client, personas, workforce, django_capture_on_commit_callbacks
):
    response = _xlsx(client, personas, django_capture_on_commit_callbacks)

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith(".xlsx")
    workbook = _workbook(response)
    assert workbook.sheetnames == [
        "Headcount by stage",
        "Ready to progress",
        "Gaps",
        "Expiring",
        "People",
    ]
    assert _rows(workbook["Headcount by stage"]) == [
        ["Stage", "People"],
        *[list(row) for row in HEADCOUNT],
    ]
    assert _rows(workbook["Ready to progress"]) == [
        ["Name", "From", "To"],
        ["Cy Peer", "Trainee", "Peer worker"],
        ["Pat Peer", "Volunteer", "Trainee"],
    ]
    assert _rows(workbook["Gaps"]) == [
        ["Working towards", "Requirement", "Not met", "Of"],
        ["Trainee", "Complete Safe Practice", 1, 2],
        ["Trainee", "Domain 1 signed off", 1, 2],
        ["Peer worker", f"Provide: {DBS}", 2, 3],
        ["Finish", "Provide: Reference", 1, 1],
    ]
    expiring = _rows(workbook["Expiring"])
    assert [(row[0], row[3]) for row in expiring[1:]] == [
        ("Mo Mentor", 30),
        ("Pat Peer", 60),
        ("Cy Peer", 90),
    ]
    assert _rows(workbook["People"]) == [
        [str(cell) for cell in row] for row in _csv(_page(client, personas, export="csv"))
    ]


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("https://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1)"]
)
@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_stop_a_name_being_read_as_a_formula(
    client, personas, workforce, career, name, export, django_capture_on_commit_callbacks
):
    sneaky = _peer(name, organisation=personas.home)
    sneaky.email = "sneaky@example.org"
    sneaky.save()
    pathway_join(user=sneaky, pathway=career)
    _completed(sneaky, 10)
    _signed(sneaky, "1.1", "1.2")  # ready, and expiring: on every sheet with names
    readiness_fill()  # a test never commits, so the refreshes these queued have not run

    if export == "csv":
        response = _page(client, personas, export=export)
    else:
        response = _xlsx(client, personas, django_capture_on_commit_callbacks)

    if export == "csv":
        names = [row[0] for row in _csv(response)]
        assert f"'{name}" in names
        assert name not in names
    else:
        # XLSX has types: the name is a text cell, never a formula, and shows no apostrophe.
        workbook = _workbook(response)
        cells = [
            row[0]
            for title in ("Ready to progress", "Expiring", "People")
            for row in workbook[title].iter_rows()
            if row[0].value in (name, f"'{name}")
        ]
        assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [(name, "s", True)] * 3


def test_xlsx_headcount_sheet_stops_a_stage_title_being_read_as_a_formula(
    client, personas, workforce, django_capture_on_commit_callbacks
):
    Stage.objects.filter(title="Peer worker").update(title="=1+1")

    workbook = _workbook(_xlsx(client, personas, django_capture_on_commit_callbacks))

    cells = [row[0] for row in workbook["Headcount by stage"].iter_rows()]
    stage = next(cell for cell in cells if cell.value in ("=1+1", "'=1+1"))
    assert (stage.value, stage.data_type, stage.quotePrefix) == ("=1+1", "s", True)


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_every_read_and_export_is_audited(client, personas, workforce, export):
    params = {"export": export} if export else {}

    _page(client, personas, **params)

    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.organisation) == (
        "pathways.readiness.read",
        personas.coordinator,
        personas.home,
    )
    assert event.detail == {"export": export}


def test_org_admin_sees_readiness_too(client, personas, workforce):
    client.force_login(personas.org_admin)

    response = client.get(_url(personas))

    assert response.status_code == 200
    assert "Ready to progress (2)" in _text(response)


def test_the_people_table_is_paged_by_100_and_keeps_the_filters(client, personas, career):
    _bulk_workforce(personas, career, 150)  # and Pat Peer and Mo Mentor: 152

    first = _page(client, personas)
    second = _page(client, personas, page=2)
    filtered = _page(client, personas, page=2, role="peer")

    assert len(_table(_section(first, "people-heading"))) == 100
    assert "Page 1 of 2" in _text(first)
    assert len(_table(_section(second, "people-heading"))) == 52
    assert "?role=peer&amp;page=1#people-heading" in filtered.content.decode()


# --- Snapshots ---------------------------------------------------------------------------------


def test_the_nightly_snapshot_is_scheduled():
    schedule = Schedule.objects.get(name="Nightly readiness snapshots")

    assert schedule.func == "pathways.tasks.take_readiness_snapshots"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1


def test_the_snapshot_records_todays_figures_once_a_day(personas, workforce):
    take_readiness_snapshots()
    take_readiness_snapshots()

    snapshots = ReadinessSnapshot.objects.filter(organisation=personas.home)
    assert snapshots.count() == 1
    snapshot = snapshots.get()
    assert snapshot.taken_on == timezone.localdate()
    assert (snapshot.people, snapshot.ready_to_progress) == (7, 2)
    assert snapshot.headcount_by_stage == dict(HEADCOUNT)
    assert ReadinessSnapshot.objects.filter(organisation=personas.other).count() == 1


def test_a_second_run_the_same_day_updates_the_figures(personas, workforce):
    take_readiness_snapshots()
    Membership.objects.filter(user=workforce["ali"]).update(active_to=timezone.localdate())

    take_readiness_snapshots()

    snapshot = ReadinessSnapshot.objects.get(organisation=personas.home)
    assert snapshot.people == 6


def test_each_day_gets_its_own_snapshot_and_the_page_shows_the_trend(client, personas, workforce):
    yesterday = timezone.localdate() - timedelta(days=1)
    readiness_snapshot_take(organisation=personas.home, day=yesterday)
    take_readiness_snapshots()

    response = _page(client, personas)

    assert ReadinessSnapshot.objects.filter(organisation=personas.home).count() == 2
    rows = _table(_section(response, "trend-heading"))
    assert rows == [
        [f"{yesterday:%-d %b %Y}", "7", "2"],
        [f"{timezone.localdate():%-d %b %Y}", "7", "2"],
    ]


# --- Dashboard panel ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_the_dashboard_shows_staff_who_is_ready_and_what_expires(client, personas, workforce, who):
    client.force_login(getattr(personas, who))

    response = client.get("/")

    panel = _soup(response).find(id="panel-workforce-readiness").find_parent("section")
    text = " ".join(panel.get_text().split())
    assert "Home Org" in text
    assert "2 people are ready to progress." in text
    assert "Cy Peer: Trainee → Peer worker" in text
    assert "Pat Peer: Volunteer → Trainee" in text
    assert "3 things expiring in the next 90 days." in text
    assert panel.find("a", string="Readiness at Home Org")["href"] == _url(personas)


@pytest.mark.parametrize("who", ["peer", "mentor", "editor"])
def test_the_readiness_panel_is_for_staff_only(client, personas, workforce, who):
    client.force_login(getattr(personas, who))

    response = client.get("/")

    assert "Workforce readiness" not in _text(response)


# --- Cost --------------------------------------------------------------------------------------


def _bulk_workforce(personas, pathway, size, start=0):
    """`size` more people in Home Org, fast: peers and mentors at mixed stages (a quarter not on
    a pathway), with sign-offs, course completions, evidence, pauses and decisions, so that every
    requirement kind does real work."""
    volunteer, trainee, peer_worker = stages(pathway)
    users = User.objects.bulk_create(
        User(email=f"worker{n}@example.org", display_name=f"Worker {n:03}", password="!")
        for n in range(start, start + size)
    )
    started = timezone.localdate() - timedelta(days=30)
    Membership.objects.bulk_create(
        Membership(
            user=user,
            organisation=personas.home,
            active_from=started,
            role=Role.MENTOR if n % 7 == 0 else Role.PEER,
        )
        for n, user in enumerate(users, start=start)
    )
    at = {0: volunteer, 1: trainee, 2: peer_worker}
    memberships = PathwayMembership.objects.bulk_create(
        PathwayMembership(
            user=user,
            pathway=pathway,
            stage=at[n % 4],
            stage_reached_at=timezone.now() - timedelta(days=10 * n),
        )
        for n, user in enumerate(users, start=start)
        if n % 4 in at
    )
    competences = list(Competence.objects.filter(domain__code="1"))
    SignOff.objects.bulk_create(
        SignOff(user=user, competence=competences[n % 2])
        for n, user in enumerate(users, start=start)
        if n % 2 == 0
    )
    course = Requirement.objects.get(kind="course_completed").course
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(user=user, course=course)
        for n, user in enumerate(users, start=start)
        if n % 3 == 0
    )
    CourseCompletion.objects.bulk_create(
        CourseCompletion(
            enrolment=enrolment, refresher_due_at=timezone.now() + timedelta(days=n % 120)
        )
        for n, enrolment in enumerate(enrolments)
    )
    Evidence.objects.bulk_create(
        Evidence(
            user=user,
            evidence_kind=DBS,
            status=Evidence.SIGNED_OFF if n % 2 else Evidence.SUBMITTED,
        )
        for n, user in enumerate(users, start=start)
        if n % 5 == 0
    )
    WellbeingPause.objects.bulk_create(
        WellbeingPause(user=user, started_at=timezone.now() - timedelta(days=5))
        for n, user in enumerate(users, start=start)
        if n % 11 == 0
    )
    StageDecision.objects.bulk_create(
        StageDecision(
            membership=membership,
            from_stage=volunteer,
            to_stage=trainee,
            outcome=StageDecision.NOT_YET,
            decided_by=personas.coordinator,
        )
        for n, membership in enumerate(memberships)
        if n % 6 == 0
    )
    readiness_fill()
    return users


@pytest.fixture
def every_kind(career):
    """Peer worker also asks for time in stage and for Planning to be started."""
    peer_worker = stages(career)[2]
    _require(peer_worker, "time_in_stage", amount=Decimal("6"))
    _require(peer_worker, "course_started", course=make_course("Planning", modules=1))
    Requirement.objects.filter(kind="evidence").update(renewal_months=12)
    return career


def test_the_readiness_page_costs_the_same_for_20_and_400_people(
    client, personas, every_kind, django_assert_num_queries
):
    _bulk_workforce(personas, every_kind, 18)  # and Pat Peer and Mo Mentor
    pathway_join(user=personas.peer, pathway=every_kind)
    client.force_login(personas.coordinator)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(_url(personas)),
        lambda: _bulk_workforce(personas, every_kind, 380, start=18),
    )

    assert "People at each stage (400 in all)" in _text(client.get(_url(personas)))


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_the_readiness_export_costs_the_same_for_20_and_400_people(
    client,
    personas,
    every_kind,
    django_assert_num_queries,
    export,
    django_capture_on_commit_callbacks,
):
    """The streamed CSV as it is read; the XLSX from asking for it, through the background job
    that makes it, to its download."""
    _bulk_workforce(personas, every_kind, 18)
    pathway_join(user=personas.peer, pathway=every_kind)
    client.force_login(personas.coordinator)

    def exported():
        if export == "csv":
            return _csv(client.get(_url(personas), {"export": export}))
        response = xlsx_download(client, _url(personas), {}, django_capture_on_commit_callbacks)
        return _rows(_workbook(response)["People"])

    assert_queries_do_not_grow(
        django_assert_num_queries,
        exported,
        lambda: _bulk_workforce(personas, every_kind, 380, start=18),
    )

    assert len(exported()) == 401


def _plan(sql: str) -> list[tuple[int, str]]:
    """SQLite's plan for a captured query: (parent, detail) for each step."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return [(row[1], row[3]) for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_the_readiness_page_reads_kept_requirements_along_an_index_without_sorting_them(
    client, personas, every_kind
):
    """What grows with the organisation is read along an index, in the order the page needs:
    the gaps counted along `pathways_keptreq_gaps` (no table, no sort to group), and the
    renewals due and overdue along the index on `expires_at`, which the lists of 50 stop
    walking at 50, each checked against its own kept row, rather than every kept requirement
    of the organisation looked up and sorted. SQLite without statistics (as in the bench and
    a fresh install) chose the latter before."""
    _bulk_workforce(personas, every_kind, 60)
    client.force_login(personas.coordinator)
    (expires,) = [i.name for i in KeptRequirement._meta.indexes if i.fields == ["expires_at"]]

    with CaptureQueriesContext(connection) as captured:
        response = client.get(_url(personas))

    assert response.status_code == 200
    reads = [q["sql"] for q in captured if q["sql"].startswith("SELECT")]
    # Reading the kept requirements themselves (not in a subquery, where they are aliased).
    from_kept = [
        sql for sql in reads if re.search(r'FROM "pathways_keptrequirement"(?! [UV]\d)', sql)
    ]
    assert len(from_kept) == 4  # gaps; renewals due and overdue counted; each list of 50
    for sql in from_kept:
        plan = _plan(sql)
        outer = [detail for _, detail in plan if " pathways_keptrequirement " in f"{detail} "]
        assert len(outer) == 1, plan
        if "GROUP BY" in sql:
            assert outer[0].startswith("SEARCH pathways_keptrequirement USING COVERING INDEX")
            assert "pathways_keptreq_gaps" in outer[0]
        else:
            assert outer[0].startswith("SEARCH pathways_keptrequirement USING"), plan
            assert f"INDEX {expires} " in outer[0], plan
        top_level_sorts = [d for parent, d in plan if parent == 0 and d.startswith("USE TEMP")]
        assert top_level_sorts == [], plan
    assert sum(" LIMIT 50" in sql for sql in from_kept) == 2


def test_the_latest_decision_is_looked_up_only_for_the_people_listed_as_ready(
    client, personas, every_kind
):
    """The ready list picks the 50 it shows first, then finds their latest decisions."""
    _bulk_workforce(personas, every_kind, 60)
    client.force_login(personas.coordinator)

    with CaptureQueriesContext(connection) as captured:
        client.get(_url(personas))

    (listed,) = [q["sql"] for q in captured if '"pathways_stagedecision"' in q["sql"]]
    outer, _, chosen = listed.partition(' WHERE "pathways_keptreadiness"."membership_id" IN (')
    assert '"pathways_stagedecision"' in outer
    assert '"pathways_stagedecision"' not in chosen
    assert " LIMIT 50)" in chosen
