"""Evidence and sign-off: a peer sends words and/or a file, files are checked by content and
kept out of public media, a reviewer signs off or asks for more with a note, the peer is told,
and a sign-off is a record of who and when that is corrected, never edited."""

import html
import io
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from lms.models import AuditEvent
from pathways.files import EVIDENCE_MAX_BYTES
from pathways.models import (
    Competence,
    CompetenceDomain,
    CompetenceFramework,
    Evidence,
    EvidenceReview,
    Requirement,
    SignOff,
)
from pathways.selectors import person_progress, timeline
from pathways.services import (
    evidence_review,
    evidence_submit,
    pathway_join,
    sign_off,
    sign_off_withdraw,
)
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

KIND = "lived-experience statement"
STATEMENT = "I supported Sam to write their own support plan."

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def _image(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "teal").save(buffer, image_format)
    return buffer.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG")


def _docx(with_document=True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def private_files(settings, tmp_path, monkeypatch):
    """Public and private media in a temporary folder; the evidence field keeps its own
    (private) storage object, only moved there."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storage = Evidence._meta.get_field("file").storage
    monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(storage.__dict__, cached, raising=False)
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def pathway(personas):
    """Home's pathway: Trainee asks for competence 1.1 and a lived-experience statement."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    trainee = stages(pathway)[1]
    competences = Requirement.objects.create(
        stage=trainee, kind="competences_signed_off", sort_order=0
    )
    Requirement.competences.through.objects.create(
        requirement=competences, competence=Competence.objects.get(code="1.1")
    )
    Requirement.objects.create(stage=trainee, kind="evidence", evidence_kind=KIND, sort_order=1)
    pathway_join(user=personas.peer, pathway=pathway)
    return pathway


def _text(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def _errors(response) -> list[str]:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return [
        li.get_text(" ", strip=True).replace("\xa0", " ")
        for li in soup.select(".error-summary__list li")
    ]


def _textarea(response, name) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return soup.find("textarea", attrs={"name": name}).get_text()


def _send(client, **data):
    return client.post(reverse("pathways:evidence-new"), data)


def _submitted(personas, *, upload=None, competence_code="1.1") -> Evidence:
    competence = Competence.objects.get(code=competence_code) if competence_code else None
    return evidence_submit(
        user=personas.peer,
        competence=competence,
        evidence_kind="" if competence else KIND,
        statement=f"<p>{STATEMENT}</p>",
        upload=upload,
    )


# --- Sending evidence --------------------------------------------------------------------------


def test_peer_sends_a_statement_for_a_competence(client, personas, pathway):
    client.force_login(personas.peer)

    response = _send(
        client,
        competence=Competence.objects.get(code="1.1").pk,
        statement=f"{STATEMENT}\n\n<script>alert(1)</script>",
    )

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.user, evidence.competence.code, evidence.status) == (
        personas.peer,
        "1.1",
        Evidence.SUBMITTED,
    )
    assert evidence.statement.startswith(f"<p>{STATEMENT}</p>")
    assert "<script" not in evidence.statement
    assert not evidence.file
    page = _text(client.get(reverse("pathways:mine")))
    assert "1.1 Competence 1.1" in page
    assert "Waiting for review" in page


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("reflection.pdf", PDF),
        ("certificate.png", PNG),
        ("photo.jpg", JPEG),
        ("photo.jpeg", JPEG),
        ("supervision notes.docx", _docx()),
    ],
)
def test_peer_sends_a_file_of_each_allowed_type(
    client, personas, pathway, private_files, name, content
):
    client.force_login(personas.peer)

    response = _send(client, evidence_kind=KIND, file=SimpleUploadedFile(name, content))

    assert response.status_code == 302, _errors(response)
    evidence = Evidence.objects.get()
    assert evidence.original_filename == name
    assert evidence.evidence_kind == KIND
    with evidence.file.open("rb") as stored:
        if name.endswith((".pdf", ".docx")):
            assert stored.read() == content
        else:  # images are re-drawn (tests/pathways/test_evidence_files.py)
            assert Image.open(stored).size == (4, 3)


def test_a_file_is_stored_in_private_media_not_public_media(
    client, personas, pathway, private_files
):
    client.force_login(personas.peer)

    _send(client, evidence_kind=KIND, file=SimpleUploadedFile("story.pdf", PDF))

    path = Path(Evidence.objects.get().file.path).resolve()
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.read_bytes() == PDF


def test_the_evidence_storage_lives_outside_media_root():
    storage = Evidence._meta.get_field("file").storage
    location = Path(storage.location).resolve()

    assert location == Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    assert not location.is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def test_the_peer_downloads_their_file_only_through_the_checked_view(
    client, personas, pathway, private_files
):
    evidence = _submitted(personas, upload=SimpleUploadedFile("story.pdf", PDF))
    client.force_login(personas.peer)

    page = client.get(reverse("pathways:mine")).content.decode()
    response = client.get(reverse("pathways:evidence-file", args=[evidence.pk]))

    assert reverse("pathways:evidence-file", args=[evidence.pk]) in page
    assert evidence.file.name not in page
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename=\"story.pdf\"; filename*=UTF-8''story.pdf"
    )
    assert b"".join(response.streaming_content) == PDF
    assert not AuditEvent.objects.exists()  # their own file


def test_coordinator_download_is_audited(client, personas, pathway, private_files):
    evidence = _submitted(personas, upload=SimpleUploadedFile("story.pdf", PDF))
    client.force_login(personas.coordinator)

    response = client.get(reverse("pathways:evidence-file", args=[evidence.pk]))

    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.subject_user) == (
        "pathways.evidence.read",
        personas.coordinator,
        personas.peer,
    )
    assert event.subject_id == str(evidence.pk)


@pytest.mark.parametrize("who", ["other_coordinator", "other_org_admin", "mentor", "editor"])
def test_nobody_else_can_download_the_file(client, personas, pathway, private_files, who):
    evidence = _submitted(personas, upload=SimpleUploadedFile("story.pdf", PDF))
    client.force_login(getattr(personas, who))

    response = client.get(reverse("pathways:evidence-file", args=[evidence.pk]))

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


# --- Files that are refused --------------------------------------------------------------------

TOO_BIG = b"%PDF-1.4\n" + b"0" * (EVIDENCE_MAX_BYTES + 1 - len(b"%PDF-1.4\n"))

REFUSED = {
    "too big": ("big.pdf", TOO_BIG, "larger than 10.0 MB"),
    "text called .pdf": ("notes.pdf", b"Just some text, not a PDF.", "The file must be a PDF"),
    "JPEG called .png": ("photo.png", JPEG, "The file must be a PDF"),
    "zip called .docx": ("notes.docx", _docx(with_document=False), "The file must be a PDF"),
    "program": ("setup.exe", b"MZ\x90\x00", "The file must be a PDF"),
    "empty": ("empty.pdf", b"", "empty"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_file_gets_a_clear_error_and_the_statement_is_kept(
    client, personas, pathway, private_files, case
):
    name, content, message = REFUSED[case]
    client.force_login(personas.peer)

    response = _send(
        client, evidence_kind=KIND, statement=STATEMENT, file=SimpleUploadedFile(name, content)
    )

    assert response.status_code == 200
    errors = _errors(response)
    assert len(errors) == 1
    assert message in errors[0]
    assert STATEMENT in _textarea(response, "statement")
    assert not Evidence.objects.exists()
    assert not any(Path(private_files).rglob("*.*"))


def test_the_file_size_limit_is_exactly_10_mb(client, personas, pathway, private_files):
    client.force_login(personas.peer)
    just_fits = b"%PDF-1.4\n" + b"0" * (EVIDENCE_MAX_BYTES - len(b"%PDF-1.4\n"))

    response = _send(client, evidence_kind=KIND, file=SimpleUploadedFile("fits.pdf", just_fits))

    assert response.status_code == 302
    assert Evidence.objects.get().file.size == EVIDENCE_MAX_BYTES


def test_the_too_big_message_does_not_contradict_itself(client, personas, pathway, private_files):
    client.force_login(personas.peer)

    response = _send(client, evidence_kind=KIND, file=SimpleUploadedFile("big.pdf", TOO_BIG))

    [error] = _errors(response)
    assert "The file is 10.0 MB. Files can be up to 10.0 MB." not in error


def test_nothing_to_send_is_refused_with_what_to_do(client, personas, pathway):
    client.force_login(personas.peer)

    response = _send(client, evidence_kind=KIND, statement="   \n  ")

    assert _errors(response) == ["Write a statement or attach a file (or both)."]
    assert not Evidence.objects.exists()


def test_evidence_for_nothing_in_particular_is_refused(client, personas, pathway):
    client.force_login(personas.peer)

    response = _send(client, statement=STATEMENT)

    assert _errors(response) == ["Choose the competence or the kind of evidence this is for."]
    assert STATEMENT in _textarea(response, "statement")
    assert not Evidence.objects.exists()


def test_a_competence_from_another_framework_cannot_be_chosen(client, personas, pathway):
    elsewhere = CompetenceFramework.objects.create(slug="elsewhere", name="Elsewhere")
    domain = CompetenceDomain.objects.create(framework=elsewhere, code="X", name="X")
    foreign = Competence.objects.create(
        framework=elsewhere, domain=domain, code="X.1", name="Elsewhere"
    )
    client.force_login(personas.peer)

    response = _send(client, competence=foreign.pk, statement=STATEMENT)

    assert response.status_code == 200
    assert len(_errors(response)) == 1
    assert not Evidence.objects.exists()


# --- Review ------------------------------------------------------------------------------------


def _review(client, evidence, **data):
    return client.post(reverse("pathways:evidence-review", args=[evidence.pk]), data)


def test_coordinator_signs_off_and_the_peer_is_told(
    client, personas, pathway, django_capture_on_commit_callbacks, mailoutbox
):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = _review(client, evidence, outcome="signed_off", note="Clear and honest.")

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == Evidence.SIGNED_OFF
    review = EvidenceReview.objects.get()
    assert (review.reviewer, review.outcome, review.note) == (
        personas.coordinator,
        Evidence.SIGNED_OFF,
        "Clear and honest.",
    )
    signoff = SignOff.objects.get()
    assert (signoff.user, signoff.competence.code, signoff.signed_off_by, signoff.evidence) == (
        personas.peer,
        "1.1",
        personas.coordinator,
        evidence,
    )
    assert signoff.signed_off_at is not None
    [email] = mailoutbox
    assert email.to == ["peer@example.org"]
    assert email.subject == "Your evidence has been signed off"
    assert "Clear and honest." not in email.body  # the note is read on the site
    assert AuditEvent.objects.filter(
        action="pathways.evidence.signed_off", subject_user=personas.peer
    ).exists()


def test_a_signed_off_competence_counts_and_shows_on_the_timeline(client, personas, pathway):
    evidence = _submitted(personas)
    evidence_review(evidence=evidence, reviewer=personas.coordinator, outcome="signed_off")
    client.force_login(personas.peer)

    page = _text(client.get(reverse("pathways:mine")))

    progress = person_progress(user=personas.peer)
    assert progress.next_requirements[0].status.met
    assert "1.1 Competence 1.1 signed off by Cam Coordinator" in page
    assert "Signed off by Cam Coordinator" in page


def test_signing_off_evidence_of_a_kind_meets_that_requirement(personas, pathway):
    evidence = _submitted(personas, competence_code=None)

    evidence_review(evidence=evidence, reviewer=personas.coordinator, outcome="signed_off")

    statuses = {
        r.description: r.status for r in person_progress(user=personas.peer).next_requirements
    }
    assert statuses[f"Provide: {KIND}"].met
    assert not SignOff.objects.exists()


def test_coordinator_asks_for_more_with_a_note_and_the_peer_is_told(
    client, personas, pathway, django_capture_on_commit_callbacks, mailoutbox
):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        _review(client, evidence, outcome="more_needed", note="Say what you did next.")

    evidence.refresh_from_db()
    assert evidence.status == Evidence.MORE_NEEDED
    assert not SignOff.objects.exists()
    [email] = mailoutbox
    assert email.to == ["peer@example.org"]
    assert email.subject == "Your evidence: a little more is needed"
    assert "Say what you did next." not in email.body  # the note is read on the site
    client.force_login(personas.peer)
    page = _text(client.get(reverse("pathways:mine")))
    assert "More needed by Cam Coordinator" in page
    assert "Say what you did next." in page


def test_asking_for_more_without_a_note_is_refused(
    client, personas, pathway, django_capture_on_commit_callbacks, mailoutbox
):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = _review(client, evidence, outcome="more_needed", note="   ")

    assert response.status_code == 200
    assert _errors(response) == ["Say what more is needed, so they know what to add."]
    evidence.refresh_from_db()
    assert evidence.status == Evidence.SUBMITTED
    assert not EvidenceReview.objects.exists()
    assert mailoutbox == []


def test_a_review_without_a_decision_is_refused(client, personas, pathway):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    response = _review(client, evidence, note="Hmm")

    assert _errors(response) == ["Choose whether to sign it off or ask for more."]
    assert not EvidenceReview.objects.exists()


def test_evidence_is_reviewed_once(
    client, personas, pathway, mailoutbox, django_capture_on_commit_callbacks
):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        _review(client, evidence, outcome="signed_off", note="")
        response = _review(client, evidence, outcome="more_needed", note="Changed my mind")

    assert "This evidence has already been reviewed." in _text(response)
    assert EvidenceReview.objects.count() == 1
    assert SignOff.objects.count() == 1
    assert len(mailoutbox) == 1


def test_nobody_reviews_their_own_evidence(personas, pathway):
    evidence = evidence_submit(user=personas.coordinator, evidence_kind=KIND, statement="Mine")

    with pytest.raises(ValidationError):
        evidence_review(evidence=evidence, reviewer=personas.coordinator, outcome="signed_off")

    assert not EvidenceReview.objects.exists()


def test_the_owner_opening_the_review_page_goes_back_to_their_pathway(client, personas, pathway):
    evidence = _submitted(personas)
    client.force_login(personas.peer)

    response = _review(client, evidence, outcome="signed_off")

    assert response.status_code == 302
    assert response.url == reverse("pathways:mine")
    assert not EvidenceReview.objects.exists()


def test_the_review_page_shows_the_statement_and_is_audited(client, personas, pathway):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    page = _text(client.get(reverse("pathways:evidence-review", args=[evidence.pk])))

    assert "Review evidence from Pat Peer" in page
    assert STATEMENT in page
    assert (
        AuditEvent.objects.filter(
            action="pathways.evidence.read", actor=personas.coordinator, subject_user=personas.peer
        ).count()
        == 1
    )


def test_after_a_review_the_reviewer_stays_on_this_site(client, personas, pathway):
    evidence = _submitted(personas)
    client.force_login(personas.coordinator)

    response = _review(client, evidence, outcome="signed_off", next="https://evil.example/")

    assert response.status_code == 302
    assert not response.url.startswith("https://evil.example")


def test_the_queue_lists_waiting_evidence_of_this_organisation_only(client, personas, pathway):
    waiting = _submitted(personas)
    reviewed = _submitted(personas, competence_code=None)
    evidence_review(evidence=reviewed, reviewer=personas.coordinator, outcome="signed_off")
    evidence_submit(user=personas.other_peer, evidence_kind=KIND, statement="Elsewhere")
    client.force_login(personas.coordinator)

    response = client.get(reverse("pathways:evidence-queue", args=[personas.home.slug]))

    soup = BeautifulSoup(response.content.decode(), "html.parser")
    rows = [
        [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])][:2]
        for row in soup.select("tbody tr")
    ]
    assert rows == [["Pat Peer", "1.1 Competence 1.1"]]
    assert reverse("pathways:evidence-review", args=[waiting.pk]) in response.content.decode()


# --- Sign-offs are records ---------------------------------------------------------------------


def test_a_sign_off_records_who_and_when_and_cannot_be_saved_again(personas, pathway):
    signoff = sign_off(
        user=personas.peer,
        competence=Competence.objects.get(code="1.1"),
        by=personas.coordinator,
        note="Observed in practice",
    )
    signoff.signed_off_by = personas.org_admin
    signoff.note = "Quietly changed"

    with pytest.raises(TypeError):
        signoff.save()

    stored = SignOff.objects.get()
    assert (stored.signed_off_by, stored.note) == (personas.coordinator, "Observed in practice")
    assert (
        AuditEvent.objects.filter(
            action="pathways.sign_off", actor=personas.coordinator, subject_user=personas.peer
        ).count()
        == 1
    )


def test_a_sign_off_cannot_be_rewritten_through_a_queryset_either(personas, pathway):
    sign_off(
        user=personas.peer, competence=Competence.objects.get(code="1.1"), by=personas.coordinator
    )

    with pytest.raises(TypeError):
        SignOff.objects.update(signed_off_by=personas.org_admin)


def test_nobody_signs_off_their_own_competence(personas, pathway):
    with pytest.raises(ValidationError):
        sign_off(
            user=personas.coordinator,
            competence=Competence.objects.get(code="1.1"),
            by=personas.coordinator,
        )

    assert not SignOff.objects.exists()


def test_withdrawing_a_sign_off_adds_a_record_and_the_competence_stops_counting(personas, pathway):
    original = sign_off(
        user=personas.peer, competence=Competence.objects.get(code="1.1"), by=personas.coordinator
    )
    assert person_progress(user=personas.peer).next_requirements[0].status.met

    correction = sign_off_withdraw(
        signoff=original, by=personas.org_admin, note="Signed off for the wrong person"
    )

    assert SignOff.objects.count() == 2
    original.refresh_from_db()
    assert original.signed_off_by == personas.coordinator  # the original is kept as it was
    assert original.withdrawn_by == correction
    assert (correction.withdraws, correction.signed_off_by, correction.note) == (
        original,
        personas.org_admin,
        "Signed off for the wrong person",
    )
    assert not person_progress(user=personas.peer).next_requirements[0].status.met
    assert not [e for e in timeline(user=personas.peer) if e.kind == "sign_off"]
    assert AuditEvent.objects.filter(
        action="pathways.sign_off.withdrawn", subject_user=personas.peer
    ).exists()


def test_a_withdrawal_needs_a_reason_and_happens_once(personas, pathway):
    original = sign_off(
        user=personas.peer, competence=Competence.objects.get(code="1.1"), by=personas.coordinator
    )

    with pytest.raises(ValidationError):
        sign_off_withdraw(signoff=original, by=personas.coordinator, note="  ")
    sign_off_withdraw(signoff=original, by=personas.coordinator, note="Wrong person")
    with pytest.raises(ValidationError):
        sign_off_withdraw(signoff=original, by=personas.coordinator, note="Again")

    assert SignOff.objects.count() == 2


def test_a_competence_signed_off_again_after_a_withdrawal_counts(personas, pathway):
    competence = Competence.objects.get(code="1.1")
    original = sign_off(user=personas.peer, competence=competence, by=personas.coordinator)
    sign_off_withdraw(signoff=original, by=personas.coordinator, note="Too early")

    sign_off(user=personas.peer, competence=competence, by=personas.coordinator)

    assert person_progress(user=personas.peer).next_requirements[0].status.met
