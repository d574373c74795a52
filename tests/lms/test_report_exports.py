"""Report exports (issue 12): a spreadsheet staff ask for is made in the background, its page
shows progress and then a download link; the download is for the person who asked only, while
they still hold a staff role there, until it expires; repeated clicks make one job."""

import io
import tracemalloc
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.exports import HEADINGS, learner_record_rows
from courses.models import Enrolment
from courses.selectors import learner_records, organisation_clock
from lms.models import AuditEvent, Membership, ReportExport
from lms.report_exports import (
    filters_key,
    report_export_build,
    report_export_request,
    report_kinds,
)
from lms.retention import retention_apply
from tests.courses.builders import make_course
from tests.reports import body, private_files, report_page_link  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_files")]


@pytest.fixture
def planning(personas):
    """Pat Peer and Mo Mentor learning Planning; Oz Peer (other organisation) too."""
    course = make_course("Planning", modules=1)
    for person in (personas.peer, personas.mentor, personas.other_peer):
        Enrolment.objects.create(user=person, course=course)
    return course


def _records_url(personas):
    return reverse("courses:learner-records", args=[personas.home.slug])


def _ask(client, personas, **params):
    """A coordinator clicks "Download XLSX"; the job is queued but not run yet."""
    client.force_login(personas.coordinator)
    return client.post(_records_url(personas), {**params, "export": "xlsx"})


def _page_url(export, slug=None):
    return reverse("lms:report-export", args=[slug or export.organisation.slug, export.pk])


def _download_url(export, slug=None):
    return reverse("lms:report-export-download", args=[slug or export.organisation.slug, export.pk])


def _made(personas, user=None, **filters) -> ReportExport:
    export, _ = report_export_request(
        user=user or personas.coordinator,
        organisation=personas.home,
        kind="learner_records",
        filters={"course": None, "status": "", **filters},
    )
    return report_export_build(export_id=export.pk)


# --- The job's life ---------------------------------------------------------------------------


def test_asking_queues_a_job_and_sends_the_person_to_a_page_that_refreshes_itself(
    client, personas, planning
):
    response = _ask(client, personas, course=planning.pk)

    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response.url == _page_url(export)
    assert (export.requested_by, export.organisation, export.kind, export.status) == (
        personas.coordinator,
        personas.home,
        "learner_records",
        ReportExport.QUEUED,
    )
    assert export.filters == {"course": planning.pk, "status": ""}
    page = client.get(response.url)
    assert page["Refresh"] == "3"  # asks again by itself, with no script
    text = page.content.decode()
    assert "Waiting to start" in text
    assert report_page_link(page) is None


def test_the_page_shows_how_far_the_job_has_got(client, personas, planning):
    _ask(client, personas)
    export = ReportExport.objects.get()
    ReportExport.objects.filter(pk=export.pk).update(
        status=ReportExport.RUNNING, rows_done=3000, rows_total=12000
    )

    page = client.get(_page_url(export))

    text = page.content.decode()
    assert "Being made" in text
    assert "3000 of 12000 rows written" in text
    assert 'value="25"' in text
    assert page["Refresh"] == "3"


def test_once_made_the_page_links_to_the_file_and_stops_refreshing(
    client, personas, planning, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_records_url(personas), {"export": "xlsx"})

    export = ReportExport.objects.get()
    assert export.status == ReportExport.READY
    assert (export.rows_done, export.rows_total) == (2, 2)
    assert export.expires_at == export.finished_at + timedelta(hours=24)
    page = client.get(response.url)
    assert "Refresh" not in page
    assert report_page_link(page) == _download_url(export)
    download = client.get(report_page_link(page))
    assert download["Content-Disposition"].startswith('attachment; filename="learner-records-')
    assert download["Cache-Control"].startswith("max-age=0")  # a private download
    sheet = load_workbook(io.BytesIO(body(download))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADINGS
    assert [row[0] for row in rows[1:]] == ["Mo Mentor", "Pat Peer"]  # not Oz Peer


def test_each_download_is_audited(client, personas, planning):
    export = _made(personas)
    client.force_login(personas.coordinator)

    client.get(_download_url(export))
    client.get(_download_url(export))

    events = AuditEvent.objects.filter(action="lms.report_export.downloaded")
    assert events.count() == 2
    event = events.first()
    assert (event.actor, event.organisation, event.subject_id) == (
        personas.coordinator,
        personas.home,
        str(export.pk),
    )
    assert event.detail == {"kind": "learner_records", "filters": export.filters}


def test_a_job_that_fails_says_so_and_can_be_asked_for_again(client, personas, planning):
    export, _ = report_export_request(
        user=personas.coordinator, organisation=personas.home, kind="learner_records", filters={}
    )
    with (
        mock.patch("lms.report_exports.xlsx_write", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        report_export_build(export_id=export.pk)
    client.force_login(personas.coordinator)

    page = client.get(_page_url(export))

    assert "Could not be made" in page.content.decode()
    assert "Refresh" not in page
    assert client.get(_download_url(export)).status_code == 404
    again, created = report_export_request(
        user=personas.coordinator, organisation=personas.home, kind="learner_records", filters={}
    )
    assert created and again.pk != export.pk


def test_a_second_run_of_the_task_leaves_one_file(personas, planning, settings):
    export = _made(personas)

    assert report_export_build(export_id=export.pk).file == export.file
    assert len(list((settings.PRIVATE_MEDIA_ROOT / "report-exports").iterdir())) == 1


def test_nothing_is_made_for_someone_who_lost_the_role_before_it_ran(personas, planning):
    export, _ = report_export_request(
        user=personas.coordinator, organisation=personas.home, kind="learner_records", filters={}
    )
    Membership.objects.filter(user=personas.coordinator).update(active_to=timezone.localdate())

    made = report_export_build(export_id=export.pk)

    assert made.status == ReportExport.FAILED
    assert not made.file


# --- Repeated clicks --------------------------------------------------------------------------


def test_repeated_clicks_while_it_is_being_made_make_one_job(client, personas, planning):
    answers = [_ask(client, personas, course=planning.pk) for _ in range(3)]

    export = ReportExport.objects.get()
    assert {answer.url for answer in answers} == {_page_url(export)}
    ReportExport.objects.filter(pk=export.pk).update(status=ReportExport.RUNNING)
    assert _ask(client, personas, course=planning.pk).url == _page_url(export)
    assert ReportExport.objects.count() == 1


def test_other_filters_or_a_finished_job_make_a_new_one(client, personas, planning):
    _ask(client, personas)
    _ask(client, personas, status="completed")
    assert ReportExport.objects.count() == 2

    ReportExport.objects.update(status=ReportExport.READY)
    _ask(client, personas)
    assert ReportExport.objects.count() == 3


def test_a_job_whose_task_was_given_up_does_not_block_asking_again(client, personas, planning):
    _ask(client, personas, course=planning.pk)
    stuck = ReportExport.objects.get()
    ReportExport.objects.filter(pk=stuck.pk).update(
        status=ReportExport.RUNNING, created_at=timezone.now() - timedelta(hours=2)
    )

    response = _ask(client, personas, course=planning.pk)

    fresh = ReportExport.objects.exclude(pk=stuck.pk).get()
    assert response.url == _page_url(fresh)
    stuck.refresh_from_db()
    assert (stuck.status, fresh.status) == (ReportExport.FAILED, ReportExport.QUEUED)


def test_the_database_refuses_a_second_job_in_progress_for_the_same_filters(personas):
    """What keeps two web processes answering the same click at once to one job."""
    from django.db import IntegrityError, transaction

    fields = {
        "requested_by": personas.coordinator,
        "organisation": personas.home,
        "kind": "learner_records",
        "filters_key": filters_key("learner_records", {"status": "", "course": None}),
    }
    ReportExport.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportExport.objects.create(**fields, status=ReportExport.RUNNING)
    # Filters in another order are the same filters.
    assert fields["filters_key"] == filters_key("learner_records", {"course": None, "status": ""})


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["peer", "mentor", "editor", "org_admin", "other_coordinator"])
@pytest.mark.parametrize("url", [_page_url, _download_url])
def test_anyone_but_the_person_who_asked_gets_404(client, personas, planning, who, url):
    export = _made(personas)
    client.force_login(getattr(personas, who))

    response = client.get(url(export))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="lms.report_export.downloaded").exists()


@pytest.mark.parametrize("url", [_page_url, _download_url])
def test_another_organisations_address_is_404_even_for_its_staff(client, personas, planning, url):
    export = _made(personas)
    client.force_login(personas.other_coordinator)

    assert client.get(url(export, slug=personas.other.slug)).status_code == 404
    client.force_login(personas.coordinator)
    assert client.get(url(export, slug=personas.other.slug)).status_code == 404


@pytest.mark.parametrize("url", [_page_url, _download_url])
def test_the_person_who_asked_gets_404_once_their_staff_role_ended(client, personas, planning, url):
    export = _made(personas)
    Membership.objects.filter(user=personas.coordinator).update(active_to=timezone.localdate())
    client.force_login(personas.coordinator)

    assert client.get(url(export)).status_code == 404
    assert not AuditEvent.objects.filter(action="lms.report_export.downloaded").exists()


def test_signed_out_people_are_sent_to_sign_in(client, personas, planning):
    export = _made(personas)

    response = client.get(_download_url(export))

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login"))


def test_a_peer_cannot_ask_for_one(client, personas, planning):
    client.force_login(personas.peer)

    response = client.post(_records_url(personas), {"export": "xlsx"})

    assert response.status_code == 404
    assert not ReportExport.objects.exists()


# --- Expiry -----------------------------------------------------------------------------------


def test_after_it_expires_the_download_is_gone_and_the_page_says_so(client, personas, planning):
    export = _made(personas)
    ReportExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(personas.coordinator)

    download = client.get(_download_url(export))
    page = client.get(_page_url(export))

    assert download.status_code == 410
    assert "This download has expired" in download.content.decode()
    assert "Expired" in page.content.decode()
    assert report_page_link(page) is None
    assert not AuditEvent.objects.filter(action="lms.report_export.downloaded").exists()


def test_the_retention_sweep_removes_expired_files_and_keeps_the_record(
    personas, planning, settings
):
    expired, kept = _made(personas), _made(personas, status="completed")
    ReportExport.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    removed = retention_apply()

    assert removed["expired report export files"] == 1
    expired.refresh_from_db()
    assert expired.file == "" and expired.status == ReportExport.READY
    assert [path.name for path in (settings.PRIVATE_MEDIA_ROOT / "report-exports").iterdir()] == [
        kept.file.name.split("/")[-1]
    ]
    assert retention_apply()["expired report export files"] == 0


def test_erasing_someone_removes_the_files_that_may_list_them_at_once(personas, planning):
    from lms.report_exports import report_export_files_remove_listing

    home, other = _made(personas), _made(personas, status="completed")
    elsewhere, _ = report_export_request(
        user=personas.other_coordinator,
        organisation=personas.other,
        kind="learner_records",
        filters={},
    )
    elsewhere = report_export_build(export_id=elsewhere.pk)

    report_export_files_remove_listing(personas.peer)  # the data_erase hook's part

    for export in (home, other):
        export.refresh_from_db()
        assert export.file == "" and export.is_expired
    elsewhere.refresh_from_db()
    assert elsewhere.can_download  # Pat was never in Other Org


def test_an_export_being_made_when_someone_is_erased_never_keeps_its_file(
    personas,
    planning,
    private_files,  # noqa: F811 - the fixture, for its folder
):
    from lms.report_exports import report_export_files_remove_listing

    export, _ = report_export_request(
        user=personas.coordinator,
        organisation=personas.home,
        kind="learner_records",
        filters={"course": None, "status": ""},
    )
    ReportExport.objects.filter(pk=export.pk).update(status=ReportExport.RUNNING)
    erase_while_writing = report_export_files_remove_listing

    def write_then_erase(*args, **kwargs):
        # The file is being written (with Pat's name) when Pat's erasure runs.
        result = real_write(*args, **kwargs)
        erase_while_writing(personas.peer)
        return result

    from lms import report_exports

    real_write = report_exports._write_file
    with mock.patch.object(report_exports, "_write_file", write_then_erase):
        report_export_build(export_id=export.pk)

    export.refresh_from_db()
    assert (export.status, export.file) == (ReportExport.FAILED, "")
    assert [path for path in private_files.rglob("*") if path.is_file()] == []


# --- The seam ---------------------------------------------------------------------------------


def test_courses_and_pathways_register_their_reports_through_the_hook():
    assert {"learner_records", "readiness"} <= set(report_kinds())


def test_an_unknown_kind_is_refused_when_asked_for(personas):
    with pytest.raises(ValueError, match="no_such_report"):
        report_export_request(
            user=personas.coordinator, organisation=personas.home, kind="no_such_report", filters={}
        )
    assert not ReportExport.objects.exists()


# --- Flat memory at 100,000 rows ---------------------------------------------------------------

SCALE_PEOPLE, SCALE_COURSES = 25_000, 4  # 100,000 learner records
# Peak Python memory allowed while 100,000 rows are streamed. Streaming holds one chunk of
# database rows (courses.exports.CHUNK_SIZE) and one piece of CSV at a time, under 2 MB in all;
# holding the rows needs 100,000 tuples of nine values (about 420 bytes each with their new
# strings: over 40 MB), which the last assertion measures, so the bound is one it would fail.
FLAT_MEMORY_BYTES = 12 * 1024 * 1024


def _bulk_learners(organisation, courses, people: int, start: int = 0) -> None:
    """`people` members of the organisation each enrolled on every course: plain rows, written
    with bulk_create (no services, no signals), so the data costs seconds."""
    from lms.models import Role, User

    users = User.objects.bulk_create(
        User(email=f"learner{n:06d}@example.org", display_name=f"Learner {n:06d}", password="!")
        for n in range(start, start + people)
    )
    joined = timezone.localdate() - timedelta(days=30)
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, role=Role.PEER, active_from=joined)
        for user in users
    )
    Enrolment.objects.bulk_create(
        (Enrolment(user=user, course=course) for user in users for course in courses),
        batch_size=5000,
    )


def _peak_memory(action) -> tuple[int, object]:
    tracemalloc.start()
    try:
        result = action()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def _stream_lines(response) -> int:
    return sum(chunk.count(b"\r\n") for chunk in response.streaming_content)


@pytest.mark.long
def test_100000_rows_stream_as_csv_in_flat_memory(client, personas):
    courses = [make_course(f"Course {n}", modules=1) for n in range(SCALE_COURSES)]
    _bulk_learners(personas.home, courses, SCALE_PEOPLE)
    client.force_login(personas.coordinator)
    url = _records_url(personas)
    # Warm the per-process caches (urls, templates, content types) outside the measurement.
    assert _stream_lines(client.get(url, {"export": "csv", "status": "completed"})) == 1

    csv_peak, lines = _peak_memory(lambda: _stream_lines(client.get(url, {"export": "csv"})))

    assert lines == 1 + 100_000
    assert csv_peak < FLAT_MEMORY_BYTES, csv_peak
    # The same rows held in a list, as a build that is not streamed would: the bound fails it.
    records = learner_records(organisation=personas.home)
    clock = organisation_clock(personas.home)
    held_peak, held = _peak_memory(lambda: list(learner_record_rows(records, clock)))
    assert len(held) == 100_000
    assert held_peak > FLAT_MEMORY_BYTES, held_peak


def test_the_xlsx_job_builds_in_the_same_memory_for_1000_and_5000_rows(personas, monkeypatch):
    """openpyxl's write-only mode spills each row to a temporary file: five times the rows, the
    same peak. Holding the 4,000 extra rows would add about 1.7 MB (420 bytes each); the
    allowance is a small part of that. Rows are read 250 at a time here, so both sizes are past
    one chunk (below it, a chunk grows with the rows)."""
    monkeypatch.setattr("courses.exports.CHUNK_SIZE", 250)
    courses = [make_course(f"Course {n}", modules=1) for n in range(SCALE_COURSES)]
    report_export_build(export_id=_asked(personas).pk)  # warm openpyxl and the templates

    def build():
        return report_export_build(export_id=_asked(personas).pk)

    _bulk_learners(personas.home, courses, 250)
    small_peak, small = _peak_memory(build)
    _bulk_learners(personas.home, courses, 1000, start=250)
    large_peak, large = _peak_memory(build)

    assert (small.rows_done, large.rows_done) == (1000, 5000)
    assert large_peak - small_peak < 400 * 1024, (small_peak, large_peak)


def _asked(personas) -> ReportExport:
    ReportExport.objects.filter(status__in=ReportExport.IN_PROGRESS).delete()
    export, _ = report_export_request(
        user=personas.coordinator, organisation=personas.home, kind="learner_records", filters={}
    )
    return export


@pytest.mark.parametrize("page", ["courses:learner-records", "pathways:readiness"])
def test_asking_for_the_spreadsheet_is_a_post_carrying_the_filters_and_a_get_starts_nothing(
    client, personas, page
):
    client.force_login(personas.coordinator)
    url = reverse(page, args=[personas.home.slug])

    # A link followed (a prefetch, an old bookmark) shows the page and makes no job.
    shown = client.get(url, {"export": "xlsx", "role": "peer"})
    assert shown.status_code == 200
    assert not ReportExport.objects.exists()
    html = shown.content.decode()
    assert '<form method="post" class="inline-form">' in html
    assert '<button type="submit" name="export" value="xlsx"' in html
    assert '<input type="hidden" name="role" value="peer">' in html

    asked = client.post(url, {"export": "xlsx"})
    assert asked.status_code == 302
    assert ReportExport.objects.filter(requested_by=personas.coordinator).count() == 1
