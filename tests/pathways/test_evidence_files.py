"""Evidence files as stored and served: a random stored name (the uploader's name only shown),
images re-drawn so trailing markup and EXIF (location) are gone, SVG and macro documents
refused, and downloads that a browser saves rather than shows and never keeps."""

import io
import re
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from lms.uploads import attachment_disposition
from pathways.models import Evidence
from pathways.services import evidence_submit
from tests.pathways.test_evidence import KIND, PDF, _errors, _send, pathway, private_files

pytestmark = pytest.mark.django_db
__all__ = ["pathway", "private_files"]  # fixtures shared with test_evidence

MARKUP = b"<html><script>alert(document.cookie)</script></html>"
GPS_TAG = 0x8825
ORIENTATION_TAG = 0x0112
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def _photo_with_location(image_format="JPEG", size=(6, 4), orientation=None) -> bytes:
    image = Image.new("RGB", size, "orange")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (52.0, 57.0, 1.0), 3: "W", 4: (1.0, 9.0, 2.0)})
    if orientation:
        exif[ORIENTATION_TAG] = orientation
    buffer = io.BytesIO()
    image.save(buffer, image_format, exif=exif)
    return buffer.getvalue()


def _stored_bytes(evidence) -> bytes:
    with evidence.file.open("rb") as stored:
        return stored.read()


def _submit(personas, name, content) -> Evidence:
    return evidence_submit(
        user=personas.peer, evidence_kind=KIND, upload=SimpleUploadedFile(name, content)
    )


# --- Stored names -----------------------------------------------------------------------------


def test_the_stored_name_is_random_and_the_uploaders_name_is_only_kept_to_show(
    personas, pathway, private_files
):
    name = "Pat Peer - discharge letter from the crisis team.pdf"

    first = _submit(personas, name, PDF)
    second = _submit(personas, name, PDF)

    for evidence in (first, second):
        assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", evidence.file.name)
        assert "discharge" not in evidence.file.name
        assert evidence.original_filename == name
    assert first.file.name != second.file.name
    stored = sorted(path.name for path in Path(private_files).rglob("*.pdf"))
    assert stored == sorted(Path(e.file.name).name for e in (first, second))


def test_a_path_in_the_uploaders_name_is_dropped(personas, pathway, private_files):
    evidence = _submit(personas, "../../etc/passwd.pdf", PDF)

    assert evidence.original_filename == "passwd.pdf"
    path = Path(evidence.file.path).resolve()
    assert path.is_relative_to(Path(private_files).resolve())


def test_stored_files_are_readable_by_the_app_alone(personas, pathway, private_files):
    evidence = _submit(personas, "story.pdf", PDF)

    mode = stat.S_IMODE(Path(evidence.file.path).stat().st_mode)
    assert mode & 0o077 == 0


# --- Images are re-drawn ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "image_format"), [("photo.jpg", "JPEG"), ("scan.png", "PNG")])
def test_an_image_loses_its_location_and_any_trailing_markup(
    personas, pathway, private_files, name, image_format
):
    uploaded = _photo_with_location(image_format) + MARKUP
    assert b"<script" in uploaded and b"PhoneMaker" in uploaded  # what the peer's phone sent

    stored = _stored_bytes(_submit(personas, name, uploaded))

    assert b"<script" not in stored
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == image_format
        assert image.size == (6, 4)
        assert GPS_TAG not in image.getexif()
        assert not image.getexif().get_ifd(GPS_TAG)


def test_a_sideways_photo_is_stored_the_right_way_up(personas, pathway, private_files):
    sideways = _photo_with_location(size=(6, 4), orientation=6)  # "rotate 90° to view"

    stored = _stored_bytes(_submit(personas, "photo.jpg", sideways))

    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (4, 6)
        assert ORIENTATION_TAG not in image.getexif()


def test_a_file_that_only_starts_like_an_image_is_refused(client, personas, pathway, private_files):
    client.force_login(personas.peer)
    fake = b"\x89PNG\r\n\x1a\n" + MARKUP

    response = _send(client, evidence_kind=KIND, file=SimpleUploadedFile("x.png", fake))

    assert _errors(response) == ["The image could not be read. Choose it again."]
    assert not Evidence.objects.exists()
    assert not any(Path(private_files).rglob("*.*"))


def test_an_image_with_too_many_pixels_is_refused(
    client, personas, pathway, private_files, monkeypatch
):
    monkeypatch.setattr("pathways.files.MAX_IMAGE_PIXELS", 10)
    client.force_login(personas.peer)

    response = _send(
        client, evidence_kind=KIND, file=SimpleUploadedFile("big.jpg", _photo_with_location())
    )

    assert _errors(response) == ["The image could not be read. Choose it again."]
    assert not Evidence.objects.exists()


# --- Never accepted ---------------------------------------------------------------------------


def _docm() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/vbaProject.bin", b"macro")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.svg", SVG),
        ("drawing.png", SVG),
        ("page.html", MARKUP),
        ("page.pdf", MARKUP),
        ("macros.docx", _docm()),
    ],
)
def test_svg_markup_and_macro_documents_are_never_accepted(
    client, personas, pathway, private_files, name, content
):
    client.force_login(personas.peer)

    response = _send(client, evidence_kind=KIND, file=SimpleUploadedFile(name, content))

    assert response.status_code == 200
    assert len(_errors(response)) == 1
    assert not Evidence.objects.exists()
    assert not any(Path(private_files).rglob("*.*"))


# --- Serving ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"), [("story.pdf", "application/pdf"), ("photo.jpg", "image/jpeg")]
)
def test_a_download_is_an_attachment_that_is_not_sniffed_or_kept(
    client, personas, pathway, private_files, name, content_type
):
    content = PDF if name.endswith(".pdf") else _photo_with_location()
    evidence = _submit(personas, name, content)
    client.force_login(personas.coordinator)

    response = client.get(reverse("pathways:evidence-file", args=[evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_a_download_offers_a_safe_ascii_name_and_the_real_name_in_utf8(
    client, personas, pathway, private_files
):
    evidence = _submit(personas, "Réflexion – été.pdf", PDF)
    client.force_login(personas.peer)

    response = client.get(reverse("pathways:evidence-file", args=[evidence.pk]))

    assert response["Content-Disposition"] == (
        'attachment; filename="Reflexion_ete.pdf"; '
        "filename*=UTF-8''R%C3%A9flexion%20%E2%80%93%20%C3%A9t%C3%A9.pdf"
    )


@pytest.mark.parametrize(
    "name",
    ['a"; filename="evil.html', "line\r\nSet-Cookie: x=1.pdf", "..\\..\\win.pdf", "\x00.pdf"],
)
def test_no_uploaders_name_can_break_out_of_the_disposition_header(name):
    header = attachment_disposition(name)

    fallback = re.fullmatch(r'attachment; filename="([A-Za-z0-9._-]+)"; filename\*=(\S+)', header)
    assert fallback, header
    assert "\r" not in header and "\n" not in header
    assert not fallback.group(1).startswith(".")
    assert fallback.group(2).startswith("UTF-8''")
