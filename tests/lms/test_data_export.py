"""Download my data: a peer asks from "Your account", a task builds a zip (a JSON file per app
and their files), they are emailed a link to the account page and download it until it
expires. The request and each download are audited; nobody else can download it; nothing
private to someone else goes in."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import lms.queue
from courses.data_export import courses_export_part
from courses.models import Certificate, ModulePage, Reflection
from courses.services import (
    certificate_ensure_pdf,
    enrolment_create,
    module_finish,
    reflection_delete,
    reflection_save,
)
from lms.data_export import account_part
from lms.models import AuditEvent, DataExport, OutboxTask
from lms.services import data_export_build, data_export_request, history_share_start
from lms.tasks import build_data_export
from mentoring.data_export import mentoring_export_part
from mentoring.models import Mentorship
from mentoring.services.care import wellness_plan_save
from mentoring.services.supervision import feedback_give, session_confirm, session_log
from pathways.data_export import pathways_export_part
from pathways.models import Evidence
from pathways.services import evidence_review, evidence_submit, pause_end, pause_start
from tests.courses.builders import make_course, reflection_prompt, text
from tests.factories import MembershipFactory
from tests.privacy import world as w
from tests.privacy.world import (
    COORDINATOR,
    MO,
    ORG_ADMIN,
    SAME_ORG_MENTOR,
    SAME_ORG_PEER,
    SUPERUSER,
    build_world,
)
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

MY_PAUSE_NOTE = "Walrus-pause-note: I needed time after the funeral."
OTHER_REFLECTION = "Walrus-other-reflection: Sky's words, not Pat's."


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path, monkeypatch):
    """Private files (evidence, certificates, exports) in a temporary folder: the one private
    storage object every file field shares, moved there."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storage = storages["private"]
    monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(storage.__dict__, cached, raising=False)
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def world():
    """Pat with data in every app (tests/privacy/world.py), her own pause, her certificate's
    PDF drawn, and another peer's reflection on the same module."""
    world = build_world()
    pause_start(user=world.pat, private_note=MY_PAUSE_NOTE)
    certificate_ensure_pdf(certificate=world.certificate)
    reflection_save(
        user=world.people[SAME_ORG_PEER],
        module=world.reflection_module,
        prompt_id=world.prompt_id,
        body=f"<p>{OTHER_REFLECTION}</p>",
    )
    return world


def _ask(client, user, django_capture_on_commit_callbacks):
    """Ask through the account page; the task runs inline after commit."""
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("lms:data-export"))
    assert response.status_code == 302
    return DataExport.objects.filter(user=user).latest("pk")


def _download(client, export):
    response = client.get(reverse("lms:data-export-download", args=[export.pk]))
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _records(archive, filename) -> list[dict]:
    return json.loads(archive.read(filename))["records"]


def _everything(archive) -> str:
    """Every JSON file and every other file in the zip, as one text to search."""
    return "\n".join(
        archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist()
    )


# --- The journey ------------------------------------------------------------------------------


def test_a_peer_downloads_a_zip_with_all_their_data(
    client, world, django_capture_on_commit_callbacks
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    archive = _download(client, export)

    names = set(archive.namelist())
    assert {"README.txt", "account.json", "courses.json", "pathways.json", "mentoring.json"} <= (
        names
    )
    account = _records(archive, "account.json")
    assert account[0]["Email address"] == "peer@example.org"
    assert {"Organisation": "Home Org", "Role": "Peer"}.items() <= next(
        record for record in account if record["Record"] == "Role"
    ).items()

    courses = json.dumps(_records(archive, "courses.json"))
    assert w.SHARED_REFLECTION in courses and w.UNSHARED_REFLECTION in courses
    assert "Mo Mentor" in courses  # whom the shared reflection is shared with
    certificate = Certificate.objects.get(pk=world.certificate.pk)
    with certificate.pdf.open("rb") as pdf:
        assert archive.read(f"files/courses/certificates/{certificate.code}.pdf") == pdf.read()

    pathways = _records(archive, "pathways.json")
    evidence = [record for record in pathways if record["Record"] == "Evidence"]
    assert {record["Your statement"] for record in evidence} == {w.EVIDENCE}
    with_file = next(record for record in evidence if record["File"])
    assert archive.read(with_file["File"]) == w.PDF
    assert with_file["File name when you sent it"] == "notes.pdf"
    assert MY_PAUSE_NOTE in json.dumps(pathways)
    assert w.SIGN_OFF in json.dumps(pathways)  # the review of her evidence
    assert w.ASPIRATIONS in json.dumps(pathways)

    mentoring = json.dumps(_records(archive, "mentoring.json"))
    for words in (w.SUMMARY, w.ACTION, w.PLAN, w.FEEDBACK, w.AGREEMENT, w.REQUEST_MESSAGE):
        assert words in mentoring
    assert w.CHECKIN_LABEL in mentoring


def test_the_zip_holds_nobody_elses_private_words_nor_concerns_about_her(
    client, world, django_capture_on_commit_callbacks
):
    archive = _download(client, _ask(client, world.pat, django_capture_on_commit_callbacks))
    everything = _everything(archive)
    assert w.SUMMARY in everything  # the search would find a marker that is there
    for private in (
        w.PRIVATE_NOTE,  # Mo's private note about her session
        OTHER_REFLECTION,  # another peer's reflection on the same prompt
        w.CONCERN,
        w.CONCERN_RESPONSE,
        w.PAUSE_NOTE,  # another peer's pause
        w.PREFERENCES_NOTE,
        w.LIVED_EXPERIENCE_FOR_STAFF,  # her mentor's profile
    ):
        assert private not in everything, private
    actions = {record.get("What") for record in _records(archive, "account.json")}
    assert "Raised a concern" not in actions
    assert not {action for action in actions if action and "concern" in action.lower()}


def test_the_mentor_gets_his_own_private_notes_but_not_his_mentees_words(
    client, world, django_capture_on_commit_callbacks
):
    archive = _download(client, _ask(client, world.mo, django_capture_on_commit_callbacks))
    mentoring = json.dumps(_records(archive, "mentoring.json"))
    assert w.PRIVATE_NOTE in mentoring and w.SUMMARY in mentoring
    assert w.LIVED_EXPERIENCE_FOR_STAFF in mentoring  # his own profile
    everything = _everything(archive)
    for theirs in (w.FEEDBACK, w.REQUEST_MESSAGE, w.PLAN, w.SHARED_REFLECTION, w.CONCERN):
        assert theirs not in everything, theirs
    assert w.CHECKIN_LABEL not in mentoring


def test_events_about_her_say_what_was_done_and_by_which_role_not_by_whom(
    client, world, django_capture_on_commit_callbacks
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    events = [
        record
        for record in _records(_download(client, export), "account.json")
        if record["Record"] == "Activity log"
    ]
    decided = next(
        event for event in events if event["What"] == "Decided not yet for the next stage"
    )
    assert decided["Who"] == "A coordinator" and decided["About"] == "You"
    assert decided["Organisation"] == "Home Org"
    assert any(event["What"] == "Asked for a copy of all their data" for event in events)
    assert "Cam Coordinator" not in json.dumps(events)


# --- Expiry and who may download ---------------------------------------------------------------


def test_an_expired_link_answers_410_and_writes_no_download_event(
    client, world, django_capture_on_commit_callbacks
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    response = client.get(reverse("lms:data-export-download", args=[export.pk]))
    assert response.status_code == 410
    assert "This download has expired" in response.content.decode()
    assert "ask for a new one" in response.content.decode()
    assert not AuditEvent.objects.filter(action="lms.data_export.downloaded").exists()
    assert "Expired" in client.get(reverse("lms:account")).content.decode()


@pytest.mark.parametrize(
    "who", [SAME_ORG_PEER, MO, SAME_ORG_MENTOR, COORDINATOR, ORG_ADMIN, SUPERUSER]
)
def test_nobody_else_can_download_it(client, world, who, django_capture_on_commit_callbacks):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    client.force_login(world.people[who])
    response = client.get(reverse("lms:data-export-download", args=[export.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="lms.data_export.downloaded").exists()


def test_a_download_is_an_attachment_that_is_not_sniffed_or_kept(
    client, world, django_capture_on_commit_callbacks
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    response = client.get(reverse("lms:data-export-download", args=[export.pk]))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    response.close()


def test_a_download_before_the_zip_is_made_is_404(client, world):
    export, _ = data_export_request(user=world.pat)  # the task waits for a commit never made
    client.force_login(world.pat)
    response = client.get(reverse("lms:data-export-download", args=[export.pk]))
    assert response.status_code == 404


# --- Audit, duplicates, the task ---------------------------------------------------------------


def test_the_request_and_the_download_are_each_audited_exactly_once(
    client, world, django_capture_on_commit_callbacks
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    _download(client, export)
    for action in ("lms.data_export.requested", "lms.data_export.downloaded"):
        event = AuditEvent.objects.get(action=action)
        assert (event.actor, event.subject_user) == (world.pat, world.pat)
        assert (event.subject_type, event.subject_id) == ("lms.dataexport", str(export.pk))
        assert event.organisation == world.home
        assert event.detail == {}
    assert DataExport.objects.get(pk=export.pk).downloaded_at is not None


def test_two_quick_requests_make_one_export_and_one_task(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        lms.queue,
        "async_task",
        # The broker carries the outbox row's id; the row names the task and its args.
        lambda path, outbox_id: queued.append(
            (
                OutboxTask.objects.get(pk=outbox_id).task,
                tuple(OutboxTask.objects.get(pk=outbox_id).args),
            )
        ),
    )
    client.force_login(world.pat)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("lms:data-export"))
        second = client.post(reverse("lms:data-export"), follow=True)
    export = DataExport.objects.get(user=world.pat)
    assert queued == [("lms.tasks.build_data_export", (export.pk,))]
    assert AuditEvent.objects.filter(action="lms.data_export.requested").count() == 1
    page = second.content.decode()
    assert "still gathering it" in page
    assert "Being prepared" in page


def test_a_second_run_of_the_task_changes_nothing(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    build_data_export(export.pk)
    again = DataExport.objects.get(pk=export.pk)
    assert (again.file.name, again.ready_at) == (export.file.name, export.ready_at)
    assert len(mailoutbox) == 1
    assert len(list(again.file.storage.listdir("data-exports")[1])) == 1


def test_once_it_is_made_she_may_ask_again(client, world, django_capture_on_commit_callbacks):
    first = _ask(client, world.pat, django_capture_on_commit_callbacks)
    second = _ask(client, world.pat, django_capture_on_commit_callbacks)
    assert first.pk != second.pk
    assert second.status == DataExport.READY


def test_a_part_that_fails_marks_the_request_failed_so_she_can_ask_again(world, monkeypatch):
    export, _ = data_export_request(user=world.pat)

    def broken(user):
        raise RuntimeError("a part could not be read")

    monkeypatch.setattr("lms.data_export.account_part", broken)
    with pytest.raises(RuntimeError):
        data_export_build(export_id=export.pk)
    assert DataExport.objects.get(pk=export.pk).status == DataExport.FAILED
    again, created = data_export_request(user=world.pat)
    assert created and again.pk != export.pk


def test_the_email_links_to_the_account_page_and_carries_no_personal_text(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    _ask(client, world.pat, django_capture_on_commit_callbacks)
    [email] = mailoutbox
    assert email.to == ["peer@example.org"]
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "http://testserver/accounts/#your-data" in body or "/accounts/#your-data" in body
    sent = "\n".join([email.subject, email.body, html])
    for personal in (
        "Pat Peer",
        "Home Org",
        w.SUMMARY,
        w.EVIDENCE,
        w.PLAN,
        MY_PAUSE_NOTE,
        w.SHARED_REFLECTION,
    ):
        assert personal not in sent


# --- The account page ---------------------------------------------------------------------------


def test_the_account_page_offers_the_download_while_it_is_valid(
    client, world, django_capture_on_commit_callbacks
):
    export = _ask(client, world.pat, django_capture_on_commit_callbacks)
    page = client.get(reverse("lms:account")).content.decode()
    assert "Ready to download" in page
    assert reverse("lms:data-export-download", args=[export.pk]) in page
    assert "does not include a mentor" in page


def test_asking_needs_a_post(client, world):
    client.force_login(world.pat)
    assert client.get(reverse("lms:data-export")).status_code == 405
    assert not DataExport.objects.exists()


def test_a_reflection_deleted_but_still_held_for_undo_is_in_the_zip_marked_deleted(
    client, world, django_capture_on_commit_callbacks
):
    reflection = Reflection.objects.get(user=world.pat, body__contains="Marker-unshared-reflection")
    reflection_delete(reflection=reflection)

    archive = _download(client, _ask(client, world.pat, django_capture_on_commit_callbacks))

    [record] = [
        record
        for record in _records(archive, "courses.json")
        if record["Record"] == "Reflection" and w.UNSHARED_REFLECTION in record["Your words"]
    ]
    assert record["Deleted"] is not None


# --- Query counts -------------------------------------------------------------------------------


def _more_of_everything(world):
    """A second of every kind of record Pat has, in every app."""
    pat, mo = world.pat, world.mo
    prompt = reflection_prompt("Again?")
    course = make_course("Another Course", modules=1, bodies=[[text(), prompt]])
    module = ModulePage.objects.child_of(course).get()
    enrolment, _ = enrolment_create(user=pat, course=course)
    module_finish(enrolment=enrolment, module=module)
    reflection_save(user=pat, module=module, prompt_id=prompt["id"], body="<p>More words.</p>")
    for certificate in Certificate.objects.filter(user=pat):
        certificate_ensure_pdf(certificate=certificate)
    competence = world.pathway.framework.competences.order_by("order").last()
    more = evidence_submit(
        user=pat, competence=competence, statement="More", upload=SimpleUploadedFile("b.pdf", w.PDF)
    )
    evidence_review(
        evidence=more,
        reviewer=mo,
        outcome=Evidence.MORE_NEEDED,
        note="More",
        organisation=world.home,
    )
    pause_end(user=pat)
    pause_start(user=pat, private_note="Again")
    session = session_log(
        mentorship=world.mentorship,
        by=mo,
        held_on=timezone.localdate() - timedelta(days=2),
        duration_minutes=30,
        format="phone",
        topics=["boundaries"],
        summary="<p>Short one.</p>",
        private_notes="<p>A note.</p>",
        actions=[{"description": "Read the leaflet", "owner": pat}],
    )
    session = session_confirm(session=session, by=pat, wellbeing_checkin=4)
    feedback_give(session=session, by=pat, rating=3, comment="Fine")
    wellness_plan_save(
        user=pat, sections={"triggers": "<p>Noise</p>", "early_warning_signs": "<p>x</p>"}
    )
    Mentorship.objects.create(
        organisation=world.other, trainee=pat, mentor=world.people[SAME_ORG_MENTOR], status="ended"
    )
    MembershipFactory(user=pat, organisation=world.other)
    history_share_start(user=pat, organisation=world.other)


@pytest.mark.parametrize(
    "part",
    [account_part, courses_export_part, pathways_export_part, mentoring_export_part],
    ids=["account", "courses", "pathways", "mentoring"],
)
def test_building_a_part_takes_the_same_queries_however_much_data(
    world, part, django_assert_num_queries
):
    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: part(world.pat),
        lambda: _more_of_everything(world),
    )
