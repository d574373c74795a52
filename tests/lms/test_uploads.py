"""Uploads: a request body over the limit for its view is refused (413, a clear page) before
anything reads it; Wagtail image uploads take no SVG and lose their EXIF (location); Wagtail
documents are served so that nothing in them runs."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.utils import get_allowed_image_extensions

from pathways.models import Evidence

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


class ExplodingStream:
    """A request body that fails the test if anything reads it."""

    def __init__(self):
        self.read_from = False

    def read(self, *args):
        self.read_from = True
        raise AssertionError("the body was read")

    readline = read


def _declared_post(client, path, length):
    stream = ExplodingStream()
    response = client.post(
        path,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": stream},
    )
    return response, stream


# --- Request-body limits ----------------------------------------------------------------------


def test_an_evidence_upload_declared_over_the_limit_is_refused_unread(client, personas):
    client.force_login(personas.peer)
    limit = django_settings.EVIDENCE_MAX_BYTES + django_settings.REQUEST_BODY_MAX_BYTES

    response, stream = _declared_post(client, reverse("pathways:evidence-new"), limit + 1)

    assert response.status_code == 413
    assert not stream.read_from
    page = response.content.decode()
    assert "The file is too large" in page
    assert f"up to {limit // (1024 * 1024)} MB" in page
    assert not Evidence.objects.exists()


def test_a_real_oversized_upload_is_refused_and_nothing_is_stored(client, personas, settings):
    settings.EVIDENCE_MAX_BYTES = 2_000
    settings.REQUEST_BODY_MAX_BYTES = 1_000
    client.force_login(personas.peer)
    too_big = SimpleUploadedFile("story.pdf", b"%PDF-1.4\n" + b"0" * 5_000)

    response = client.post(reverse("pathways:evidence-new"), {"file": too_big})

    assert response.status_code == 413
    assert not Evidence.objects.exists()


def test_an_upload_within_the_limit_reaches_the_form(client, personas, settings):
    settings.EVIDENCE_MAX_BYTES = 20_000
    settings.REQUEST_BODY_MAX_BYTES = 5_000
    client.force_login(personas.peer)
    fits = SimpleUploadedFile("story.pdf", b"%PDF-1.4\n" + b"0" * 15_000)

    response = client.post(reverse("pathways:evidence-new"), {"file": fits})

    assert response.status_code == 200  # the form answers (no pathway chosen), not a 413


def test_an_ordinary_form_gets_only_the_ordinary_limit(client, personas):
    client.force_login(personas.peer)
    limit = django_settings.REQUEST_BODY_MAX_BYTES

    refused, stream = _declared_post(client, reverse("pathways:aspirations"), limit + 1)

    assert refused.status_code == 413
    assert not stream.read_from
    assert f"up to {limit // (1024 * 1024)} MB" in refused.content.decode()


def test_anonymous_requests_are_limited_too(client):
    response, stream = _declared_post(
        client, reverse("lms:login"), django_settings.REQUEST_BODY_MAX_BYTES + 1
    )

    assert response.status_code == 413
    assert not stream.read_from


def test_the_wagtail_admin_takes_files_up_to_its_own_limit(client, personas, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1_000
    settings.ADMIN_UPLOAD_MAX_BYTES = 10_000
    client.force_login(personas.editor)
    add = reverse("wagtailimages:add")

    def upload(size):
        return client.post(add, {"title": "x", "file": SimpleUploadedFile("x.png", b"0" * size)})

    assert upload(5_000).status_code == 200  # over the ordinary limit: the form answers
    assert upload(12_000).status_code == 413
    refused, stream = _declared_post(client, add, 11_001)
    assert refused.status_code == 413
    assert not stream.read_from


def test_limits_are_read_from_the_environment():
    source = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='lms.settings'; django.setup(); "
        "from django.conf import settings as s; "
        "print(s.EVIDENCE_MAX_BYTES, s.ADMIN_UPLOAD_MAX_BYTES, s.REQUEST_BODY_MAX_BYTES, "
        "s.DATA_UPLOAD_MAX_MEMORY_SIZE, s.WAGTAILIMAGES_MAX_UPLOAD_SIZE)"
    )
    env = {**os.environ, "EVIDENCE_MAX_MB": "3", "ADMIN_UPLOAD_MAX_MB": "7"}
    env["REQUEST_BODY_MAX_MB"] = "1"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", source], env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    megabyte = 1024 * 1024
    assert result.stdout.split() == [str(n * megabyte) for n in (3, 7, 1, 1, 7)]


# --- Wagtail images ---------------------------------------------------------------------------


def _photo_with_location(image_format="JPEG") -> bytes:
    exif = Image.Exif()
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (52.0, 57.0, 1.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "green").save(buffer, image_format, exif=exif)
    return buffer.getvalue()


def test_svg_is_not_an_allowed_image_extension():
    assert "svg" not in get_allowed_image_extensions()


def test_an_editor_cannot_upload_an_svg_image(client, personas):
    client.force_login(personas.editor)

    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Logo", "file": SimpleUploadedFile("logo.svg", SVG, "image/svg+xml")},
    )

    assert response.status_code == 200  # the form again, with its error
    assert not get_image_model().objects.exists()


@pytest.mark.parametrize(("name", "image_format"), [("photo.jpg", "JPEG"), ("photo.png", "PNG")])
def test_an_editors_image_loses_its_location_and_trailing_markup(
    client, personas, settings, tmp_path, name, image_format
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(personas.editor)
    uploaded = _photo_with_location(image_format) + b"<script>alert(1)</script>"

    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Group photo", "file": SimpleUploadedFile(name, uploaded)},
    )

    assert response.status_code == 302
    image = get_image_model().objects.get()
    with image.file.open("rb") as stored:
        data = stored.read()
    assert b"<script" not in data
    with Image.open(io.BytesIO(data)) as stored_image:
        assert not stored_image.getexif().get_ifd(GPS_TAG)
        assert stored_image.size == (8, 6)
    assert (image.width, image.height, image.file_size) == (8, 6, len(data))


# --- Wagtail documents ------------------------------------------------------------------------


def test_a_wagtail_document_is_served_so_that_nothing_in_it_runs(
    client, personas, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(personas.editor)  # editors may fetch any document, published or not
    document = get_document_model().objects.create(
        title="Handbook", file=SimpleUploadedFile("handbook.docx", b"PK\x03\x04not really")
    )

    response = client.get(document.url)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Disposition"].startswith("attachment")
