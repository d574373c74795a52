"""Certificates: issued once on completion, an unguessable code, a PDF only the holder and their
organisation's staff can download, and a public check page that shows the minimum."""

import html
import string
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import dateformat, timezone

from courses.models import Certificate, CourseCompletion
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from courses.tasks import render_certificate_pdf
from lms.dates import add_months
from lms.models import AuditEvent, OutboxTask
from tests.courses.builders import make_course

pytestmark = pytest.mark.django_db

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    """Certificate PDFs go to a temporary folder, not the project's private_media."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Certificate._meta.get_field("pdf"), "storage", storage)
    return storage


def _text(response):
    return html.unescape(response.content.decode())


def _complete(user, course):
    enrolment, _ = enrolment_create(user=user, course=course)
    for module in live_modules(course=course):
        module_finish(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    return enrolment


@pytest.fixture
def certificate(personas):
    course = make_course("Safe Practice", modules=1, validity_months=12)
    _complete(personas.peer, course)
    return Certificate.objects.get()


def _day(moment):
    return dateformat.format(timezone.localtime(moment), "j F Y")


# --- Issue -------------------------------------------------------------------------------------


def test_certificate_is_issued_on_completion_when_the_course_offers_one(personas):
    course = make_course("Safe Practice", modules=2, validity_months=12)

    enrolment = _complete(personas.peer, course)

    certificate = Certificate.objects.get()
    completion = CourseCompletion.objects.get()
    assert certificate.user == personas.peer
    assert certificate.course == course
    assert certificate.completion == completion
    assert certificate.issued_at == enrolment.completed_at
    assert certificate.expires_at == add_months(completion.completed_at, 12)
    assert certificate.show_name is False


def test_no_certificate_when_the_course_does_not_offer_one(personas):
    course = make_course("Safe Practice", modules=1, certificate=False)

    _complete(personas.peer, course)

    assert CourseCompletion.objects.count() == 1
    assert not Certificate.objects.exists()


def test_certificate_for_a_course_without_validity_never_expires(personas):
    _complete(personas.peer, make_course("Safe Practice", modules=1, validity_months=None))

    certificate = Certificate.objects.get()
    assert certificate.expires_at is None
    assert certificate.is_valid


def test_certificate_codes_are_long_url_safe_and_unique(personas):
    for title in ("Safe Practice", "Boundaries", "Listening Well"):
        course = make_course(title, modules=1)
        _complete(personas.peer, course)
        _complete(personas.other_peer, course)

    codes = list(Certificate.objects.values_list("code", flat=True))
    assert len(codes) == 6
    assert len(set(codes)) == 6
    for code in codes:
        assert len(code) >= 20
        assert set(code) <= URL_SAFE


def test_pdf_is_drawn_once_the_completion_is_committed(
    personas, django_capture_on_commit_callbacks
):
    course = make_course("Safe Practice", modules=1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _complete(personas.peer, course)
    assert not Certificate.objects.get().pdf.name  # nothing drawn before the commit
    for callback in callbacks:
        callback()

    # Once: one PDF task queued (the other hand-overs refresh the person's readiness).
    pdf_tasks = OutboxTask.objects.filter(task="courses.tasks.render_certificate_pdf")
    assert pdf_tasks.count() == 1
    certificate = Certificate.objects.get()
    assert certificate.pdf.name
    with certificate.pdf.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_pdf_task_is_idempotent(personas, private_storage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _complete(personas.peer, make_course("Safe Practice", modules=1))
    first_name = Certificate.objects.get().pdf.name

    render_certificate_pdf(Certificate.objects.get().pk)
    render_certificate_pdf(Certificate.objects.get().pk)

    assert Certificate.objects.get().pdf.name == first_name
    assert private_storage.listdir("certificates")[1] == [first_name.split("/")[-1]]


def test_pdf_task_for_a_certificate_that_no_longer_exists_does_nothing(personas, private_storage):
    render_certificate_pdf(999_999)

    assert not (
        private_storage.exists("certificates") and private_storage.listdir("certificates")[1]
    )


# --- Download ----------------------------------------------------------------------------------


def _download(client, certificate):
    return client.get(reverse("courses:certificate-download", args=[certificate.code]))


def test_holder_downloads_their_certificate_as_a_pdf(client, personas, certificate):
    client.force_login(personas.peer)

    response = _download(client, certificate)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="certificate-safe-practice.pdf"; '
        "filename*=UTF-8''certificate-safe-practice.pdf"
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_staff_of_the_holders_organisation_may_download_and_it_is_audited(
    client, personas, certificate, who
):
    reader = getattr(personas, who)
    client.force_login(reader)

    response = _download(client, certificate)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get()
    assert event.action == "courses.certificate.read"
    assert event.actor == reader
    assert event.subject_user == personas.peer
    assert event.subject_id == str(certificate.pk)


@pytest.mark.parametrize(
    "who", ["other_coordinator", "other_org_admin", "other_peer", "mentor", "editor"]
)
def test_nobody_else_may_download_a_certificate(client, personas, certificate, who):
    client.force_login(getattr(personas, who))

    response = _download(client, certificate)

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


def test_download_needs_sign_in(client, personas, certificate):
    response = _download(client, certificate)

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")


def test_download_of_an_unknown_code_is_404(client, personas, certificate):
    client.force_login(personas.peer)

    response = client.get(reverse("courses:certificate-download", args=["not-a-real-code"]))

    assert response.status_code == 404


def test_certificate_list_shows_the_holders_certificates_only(client, personas, certificate):
    _complete(personas.other_peer, make_course("Boundaries", modules=1))
    client.force_login(personas.peer)

    page = _text(client.get(reverse("courses:certificates")))

    assert "Safe Practice" in page
    assert reverse("courses:certificate-download", args=[certificate.code]) in page
    assert "Boundaries" not in page


# --- Public verification -----------------------------------------------------------------------


def _verify(client, code):
    return client.get(reverse("courses:certificate-verify", args=[code]))


def test_verification_page_shows_course_date_and_validity_but_not_who(client, certificate):
    response = _verify(client, certificate.code)

    page = _text(response)
    assert response.status_code == 200
    assert "Safe Practice" in page
    assert _day(certificate.issued_at) in page
    assert "Valid" in page
    assert "Expired" not in page
    assert "Pat Peer" not in page
    assert "peer@example.org" not in page


def test_verification_page_shows_the_name_when_the_holder_chooses(client, personas, certificate):
    client.force_login(personas.peer)
    response = client.post(
        reverse("courses:certificate-show-name", args=[certificate.code]),
        {"show_name": "yes"},
        follow=True,
    )
    assert "Your name now shows on the verification page." in _text(response)
    client.logout()

    page = _text(_verify(client, certificate.code))

    assert "Pat Peer" in page
    assert "peer@example.org" not in page


def test_holder_can_hide_their_name_again(client, personas, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(show_name=True)
    client.force_login(personas.peer)

    client.post(
        reverse("courses:certificate-show-name", args=[certificate.code]), {"show_name": "no"}
    )
    client.logout()

    assert "Pat Peer" not in _text(_verify(client, certificate.code))


@pytest.mark.parametrize("who", ["other_peer", "coordinator", "editor"])
def test_only_the_holder_may_choose_to_show_their_name(client, personas, certificate, who):
    client.force_login(getattr(personas, who))

    response = client.post(
        reverse("courses:certificate-show-name", args=[certificate.code]), {"show_name": "yes"}
    )

    assert response.status_code == 404
    certificate.refresh_from_db()
    assert certificate.show_name is False


def test_expired_certificate_shows_as_expired(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )

    page = _text(_verify(client, certificate.code))

    assert "Expired" in page
    assert "Valid" not in page


def test_unknown_code_is_404_with_a_helpful_message(client, personas, certificate):
    response = _verify(
        client, certificate.code[:-1] + ("A" if certificate.code[-1] != "A" else "B")
    )

    assert response.status_code == 404
    page = _text(response)
    assert "No certificate has this code." in page
    assert "Safe Practice" not in page
