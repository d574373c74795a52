"""Learner records for coordinators and org admins of the same organisation: who may see them,
filters, CSV and XLSX exports, the audit trail and what the page costs."""

import csv
import html
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.exports import HEADINGS
from courses.models import Certificate, CourseCompletion, Enrolment
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from lms.models import AuditEvent, Membership, Role
from tests.courses.builders import make_course
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow
from tests.reports import body, private_files, xlsx_download  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_files")]


def _text(response):
    return html.unescape(response.content.decode())


def _records_url(personas, slug=None):
    return reverse("courses:learner-records", args=[slug or personas.home.slug])


def _enrol(user, course, *, modules_done=0):
    enrolment, _ = enrolment_create(user=user, course=course)
    for module in list(live_modules(course=course))[:modules_done]:
        module_finish(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    return enrolment


def _day(moment):
    return timezone.localtime(moment).date().isoformat() if moment else ""


@pytest.fixture
def records(personas):
    """Pat Peer half way through Planning and done with Safe Practice; Mo Mentor just started
    Planning; Oz Peer (other organisation) done with Planning."""
    planning = make_course("Planning", modules=2)
    safe = make_course("Safe Practice", modules=1, validity_months=12)
    peer_planning = _enrol(personas.peer, planning, modules_done=1)
    peer_safe = _enrol(personas.peer, safe, modules_done=1)
    mentor_planning = _enrol(personas.mentor, planning)
    _enrol(personas.other_peer, planning, modules_done=2)
    return {
        "planning": planning,
        "safe": safe,
        "peer_planning": peer_planning,
        "peer_safe": peer_safe,
        "mentor_planning": mentor_planning,
    }


def _table(response):
    """(person, course) for each row on screen."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    rows = []
    for row in soup.select("tbody tr"):
        cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        rows.append((cells[0], cells[1]))
    return rows


def _csv(response):
    return list(csv.reader(io.StringIO(body(response).decode())))


def _xlsx(response):
    sheet = load_workbook(io.BytesIO(body(response))).active
    return [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


# --- Who may see them --------------------------------------------------------------------------

VIEWS = {
    "list": ("courses:learner-records", {}),
    "csv": ("courses:learner-records", {"export": "csv"}),
    "xlsx": ("courses:learner-records", {"export": "xlsx"}),
    "assign": ("courses:assign", {}),
}


def _get(client, personas, view, slug=None):
    name, params = VIEWS[view]
    url = reverse(name, args=[slug or personas.home.slug])
    # Asking for the spreadsheet starts a job, so the page's button posts (a GET shows the page).
    if params.get("export") == "xlsx":
        return client.post(url, params)
    return client.get(url, params)


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_is_sent_to_sign_in(client, personas, records, view):
    response = _get(client, personas, view)

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("who", ["peer", "mentor", "editor"])
def test_people_without_a_staff_role_get_404(client, personas, records, view, who):
    client.force_login(getattr(personas, who))

    response = _get(client, personas, view)

    assert response.status_code == 404
    assert "Pat Peer" not in _text(response)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("who", ["other_coordinator", "other_org_admin"])
def test_other_organisations_staff_get_404_never_403(client, personas, records, view, who):
    client.force_login(getattr(personas, who))

    response = _get(client, personas, view)

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinator_and_org_admin_of_the_organisation_may_see_them(
    client, personas, records, view, who
):
    client.force_login(getattr(personas, who))

    response = _get(client, personas, view)

    # The XLSX is made in the background: the person is sent to the page showing its progress.
    assert response.status_code == (302 if view == "xlsx" else 200)


@pytest.mark.parametrize(
    "who", ["peer", "mentor", "editor", "other_coordinator", "other_org_admin"]
)
def test_assigning_is_404_for_anyone_but_the_organisations_staff(client, personas, who):
    course = make_course("Boundaries", modules=1)
    client.force_login(getattr(personas, who))

    response = client.post(
        reverse("courses:assign", args=[personas.home.slug]),
        {"course": course.pk, "person": personas.peer.pk},
    )

    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_unknown_organisation_is_404(client, personas):
    client.force_login(personas.coordinator)

    assert client.get(_records_url(personas, slug="no-such-org")).status_code == 404


def test_coordinator_whose_role_ended_no_longer_sees_them(client, personas, records):
    Membership.objects.filter(user=personas.coordinator).update(active_to=timezone.localdate())
    client.force_login(personas.coordinator)

    assert client.get(_records_url(personas)).status_code == 404


# --- What is shown -----------------------------------------------------------------------------


def test_records_list_this_organisations_people_only(client, personas, records):
    client.force_login(personas.coordinator)

    response = client.get(_records_url(personas))

    assert _table(response) == [
        ("Mo Mentor", "Planning"),
        ("Pat Peer", "Planning"),
        ("Pat Peer", "Safe Practice"),
    ]
    page = _text(response)
    assert "Records (3)" in page
    assert "Oz Peer" not in page


def test_records_show_progress_status_and_refresher(client, personas, records):
    client.force_login(personas.coordinator)
    due = CourseCompletion.objects.get(enrolment=records["peer_safe"]).refresher_due_at

    soup = BeautifulSoup(client.get(_records_url(personas)).content.decode(), "html.parser")

    rows = [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in soup.select("tbody tr")
    ]
    mentor, peer_planning, peer_safe = rows
    assert mentor[2:4] == ["0", "In progress"]
    assert peer_planning[2:4] == ["1", "In progress"]
    assert peer_safe[2] == "1"
    assert peer_safe[3].startswith("Completed")
    assert peer_safe[4] == timezone.localtime(due).strftime("%-d %b %Y")


def test_person_whose_role_ended_is_not_in_the_records(client, personas, records):
    leaver = UserFactory(display_name="Left Last Week")
    MembershipFactory(
        user=leaver,
        organisation=personas.home,
        active_from=timezone.localdate() - timedelta(days=90),
        active_to=timezone.localdate() - timedelta(days=7),
    )
    _enrol(leaver, records["planning"])
    client.force_login(personas.coordinator)

    assert "Left Last Week" not in _text(client.get(_records_url(personas)))


def test_person_in_both_organisations_appears_once_per_course(client, personas, records):
    MembershipFactory(user=personas.peer, organisation=personas.home, role=Role.MENTOR)
    client.force_login(personas.coordinator)

    assert _table(client.get(_records_url(personas))).count(("Pat Peer", "Planning")) == 1


# --- Filters -----------------------------------------------------------------------------------


def test_course_filter_shows_that_course_only(client, personas, records):
    client.force_login(personas.coordinator)

    response = client.get(_records_url(personas), {"course": records["planning"].pk})

    assert _table(response) == [("Mo Mentor", "Planning"), ("Pat Peer", "Planning")]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("in_progress", [("Mo Mentor", "Planning"), ("Pat Peer", "Planning")]),
        ("completed", [("Pat Peer", "Safe Practice")]),
        ("refresher_due", []),
        ("", [("Mo Mentor", "Planning"), ("Pat Peer", "Planning"), ("Pat Peer", "Safe Practice")]),
    ],
)
def test_status_filter(client, personas, records, status, expected):
    client.force_login(personas.coordinator)

    assert _table(client.get(_records_url(personas), {"status": status})) == expected


def test_refresher_due_filter_shows_refreshers_due_within_30_days(client, personas, records):
    CourseCompletion.objects.filter(enrolment=records["peer_safe"]).update(
        refresher_due_at=timezone.now() + timedelta(days=20)
    )
    client.force_login(personas.coordinator)

    response = client.get(_records_url(personas), {"status": "refresher_due"})

    assert _table(response) == [("Pat Peer", "Safe Practice")]


def test_filters_combine_and_apply_to_the_export(client, personas, records):
    client.force_login(personas.coordinator)

    response = client.get(
        _records_url(personas),
        {"course": records["planning"].pk, "status": "in_progress", "export": "csv"},
    )

    assert [row[0] for row in _csv(response)[1:]] == ["Mo Mentor", "Pat Peer"]


def test_unknown_filter_values_show_all_records_rather_than_an_error(client, personas, records):
    client.force_login(personas.coordinator)

    response = client.get(_records_url(personas), {"course": "999999", "status": "lost"})

    assert response.status_code == 200
    assert len(_table(response)) == 3


# --- Exports -----------------------------------------------------------------------------------


def _expected_rows(personas, records):
    peer_safe = records["peer_safe"]
    completion = CourseCompletion.objects.get(enrolment=peer_safe)
    certificate = Certificate.objects.get(completion=completion)
    return [
        HEADINGS,
        [
            "Mo Mentor",
            "mentor@example.org",
            "Planning",
            "0",
            "In progress",
            _day(records["mentor_planning"].enrolled_at),
            "",
            "",
            "",
        ],
        [
            "Pat Peer",
            "peer@example.org",
            "Planning",
            "1",
            "In progress",
            _day(records["peer_planning"].enrolled_at),
            "",
            "",
            "",
        ],
        [
            "Pat Peer",
            "peer@example.org",
            "Safe Practice",
            "1",
            "Completed",
            _day(peer_safe.enrolled_at),
            _day(completion.completed_at),
            _day(completion.refresher_due_at),
            certificate.code,
        ],
    ]


def _export(client, personas, export, capture, params=None):
    if export == "xlsx":
        return xlsx_download(client, _records_url(personas), params or {}, capture)
    return client.get(_records_url(personas), {**(params or {}), "export": export})


def test_csv_export_has_a_row_per_record(client, personas, records):
    client.force_login(personas.coordinator)

    response = client.get(_records_url(personas), {"export": "csv"})

    assert response.streaming  # written while it is sent, never held whole
    assert response["Content-Type"].startswith("text/csv")
    name = f"learner-records-home-org-{timezone.localdate().isoformat()}.csv"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    rows, expected = _csv(response), _expected_rows(personas, records)
    assert rows[0] == HEADINGS
    assert [row[:6] for row in rows[1:]] == [row[:6] for row in expected[1:]]
    assert rows[3] == expected[3]  # the completed record, every column filled


def test_xlsx_export_opens_and_has_the_same_rows_as_the_csv(
    client, personas, records, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)

    response = _export(client, personas, "xlsx", django_capture_on_commit_callbacks)
    as_csv = _csv(client.get(_records_url(personas), {"export": "csv"}))

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith(".xlsx")
    rows = _xlsx(response)
    assert rows == as_csv
    assert rows[3] == _expected_rows(personas, records)[3]


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_leave_empty_cells_empty(
    client, personas, records, export, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)

    response = _export(client, personas, export, django_capture_on_commit_callbacks)

    rows = _csv(response) if export == "csv" else _xlsx(response)
    assert rows == _expected_rows(personas, records)


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("https://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1)"]
)
@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_stop_a_name_being_read_as_a_spreadsheet_formula(
    client, personas, records, name, export, django_capture_on_commit_callbacks
):
    sneaky = MembershipFactory(
        user=UserFactory(display_name=name, email="sneaky@example.org"),
        organisation=personas.home,
    ).user
    _enrol(sneaky, records["planning"])
    client.force_login(personas.coordinator)

    response = _export(client, personas, export, django_capture_on_commit_callbacks)

    if export == "csv":
        names = [row[0] for row in _csv(response)[1:]]
        assert f"'{name}" in names
        assert name not in names
    else:
        # XLSX has types: the name is a text cell, never a formula, and shows no apostrophe.
        sheet = load_workbook(io.BytesIO(body(response))).active
        cells = [row[0] for row in sheet.iter_rows(min_row=2) if row[0].value == name]
        assert len(cells) == 1
        assert (cells[0].data_type, cells[0].quotePrefix) == ("s", True)
        assert f"'{name}" not in [row[0].value for row in sheet.iter_rows()]


def test_exports_leave_other_organisations_out(client, personas, records):
    client.force_login(personas.coordinator)

    exported = body(client.get(_records_url(personas), {"export": "csv"})).decode()

    assert "Oz Peer" not in exported
    assert "other.peer@example.org" not in exported


# --- Audit -------------------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_each_read_or_export_is_audited(client, personas, records, export):
    client.force_login(personas.coordinator)
    params = {"export": export, "course": records["planning"].pk} if export else {}

    client.get(_records_url(personas), params)
    client.get(_records_url(personas), params)

    events = list(AuditEvent.objects.all())
    assert len(events) == 2
    for event in events:
        assert event.action == "courses.learner_records.read"
        assert event.actor == personas.coordinator
        assert event.organisation == personas.home
        assert event.detail["export"] == export
    if export:
        assert events[0].detail["course"] == records["planning"].pk


# --- Cost --------------------------------------------------------------------------------------


def _learners(organisation, planning, safe, people, start=0):
    for number, person in enumerate(people, start=start):
        _enrol(person, planning, modules_done=number % 3)
        _enrol(person, safe, modules_done=number % 2)


def _first_learners(personas):
    return [
        personas.peer,
        personas.mentor,
        personas.coordinator,
        personas.org_admin,
        MembershipFactory(organisation=personas.home).user,
    ]


@pytest.mark.parametrize("status", ["", "refresher_due"])
def test_streamed_csv_runs_the_same_number_of_queries_for_5_and_60_people(
    client, personas, django_assert_num_queries, status
):
    planning = make_course("Planning", modules=2)
    safe = make_course("Safe Practice", modules=1, validity_months=12)
    _learners(personas.home, planning, safe, _first_learners(personas))
    client.force_login(personas.coordinator)
    url = _records_url(personas)

    def export():
        return _csv(client.get(url, {"export": "csv", "status": status}))

    def grow():
        more = [MembershipFactory(organisation=personas.home).user for _ in range(55)]
        _learners(personas.home, planning, safe, more, start=5)

    assert_queries_do_not_grow(django_assert_num_queries, export, grow)

    if not status:
        assert len(export()) == 1 + 120  # headings, then every record


def test_records_page_runs_the_same_number_of_queries_for_5_and_60_people(
    client, personas, django_assert_num_queries
):
    planning = make_course("Planning", modules=2)
    safe = make_course("Safe Practice", modules=1, validity_months=12)
    first = [
        personas.peer,
        personas.mentor,
        personas.coordinator,
        personas.org_admin,
        MembershipFactory(organisation=personas.home).user,
    ]
    _learners(personas.home, planning, safe, first)
    client.force_login(personas.coordinator)
    url = _records_url(personas)

    def grow():
        more = [MembershipFactory(organisation=personas.home).user for _ in range(55)]
        _learners(personas.home, planning, safe, more, start=5)

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(url), grow)

    assert "Records (120)" in _text(client.get(url))
