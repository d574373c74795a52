"""Evidence files: checked by what they contain, not by their name; images re-drawn so nothing
rides along; stored under a random name in private storage."""

import uuid
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from lms.uploads import UnreadableImage, redraw_image

EVIDENCE_MAX_BYTES = settings.EVIDENCE_MAX_BYTES
ALLOWED = {"pdf": "PDF", "docx": "Word document (.docx)", "png": "PNG image", "jpg": "JPEG image"}
ALLOWED_DESCRIPTION = "a PDF, a Word document (.docx), or a PNG or JPEG image"
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpg": "image/jpeg",
}
IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG"}
# A photo of a certificate needs far fewer; more is a decompression bomb, not evidence.
MAX_IMAGE_PIXELS = 40_000_000


def detect_type(upload) -> str | None:
    """What the file really is, from its first bytes (and, for .docx, its zip contents)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        return _docx_or_none(upload)
    return None


def _docx_or_none(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    # A document with macros is a .docm whatever its name says.
    if "word/document.xml" not in names or "word/vbaProject.bin" in names:
        return None
    return "docx"


def _extension(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return "jpg" if extension == "jpeg" else extension


def evidence_max_bytes() -> int:
    return settings.EVIDENCE_MAX_BYTES


def check_evidence_file(upload) -> str:
    """Refuse empty, oversized and disguised files with a message that says what to do; return
    the file's type."""
    if not upload.size:
        raise ValidationError({"file": "The file is empty. Choose the file again."})
    if upload.size > evidence_max_bytes():
        raise ValidationError(
            {
                "file": f"The file is larger than {filesizeformat(evidence_max_bytes())}. Choose "
                "a smaller file, or write about it as a statement instead."
            }
        )
    detected = detect_type(upload)
    if detected is None or detected != _extension(upload.name):
        raise ValidationError({"file": f"The file must be {ALLOWED_DESCRIPTION}."})
    return detected


def reencode_image(upload, kind: str) -> bytes:
    """The picture re-drawn from its pixels: no trailing markup, no EXIF (so no location)."""
    try:
        return redraw_image(upload, IMAGE_FORMATS[kind], max_pixels=MAX_IMAGE_PIXELS)
    except UnreadableImage:
        raise ValidationError({"file": "The image could not be read. Choose it again."}) from None


def evidence_file_to_store(upload):
    """The checked file as it will be stored: images re-drawn, other files as they came."""
    kind = check_evidence_file(upload)
    if kind in IMAGE_FORMATS:
        return ContentFile(reencode_image(upload, kind), name=f"evidence.{kind}")
    upload.seek(0)
    return upload


def evidence_upload_to(instance, filename: str) -> str:
    """A random name: the uploader's name can reveal who or what the file is about, and must
    never decide where it lands. Only the (already checked) type is kept."""
    kind = _extension(filename)
    suffix = f".{kind}" if kind in ALLOWED else ""
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def evidence_content_type(stored_name: str) -> str:
    return CONTENT_TYPES.get(_extension(stored_name), "application/octet-stream")
