"""Evidence files: checked by what they contain, not only by their name."""

import zipfile

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {"pdf": "PDF", "docx": "Word document (.docx)", "png": "PNG image", "jpg": "JPEG image"}
ALLOWED_DESCRIPTION = "a PDF, a Word document (.docx), or a PNG or JPEG image"


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
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        return "docx" if "word/document.xml" in names else None
    return None


def _extension(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return "jpg" if extension == "jpeg" else extension


def check_evidence_file(upload) -> None:
    """Refuse empty, oversized and disguised files with a message that says what to do."""
    if not upload.size:
        raise ValidationError({"file": "The file is empty. Choose the file again."})
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            {
                "file": f"The file is larger than {filesizeformat(EVIDENCE_MAX_BYTES)}. Choose a "
                "smaller file, or write about it as a statement instead."
            }
        )
    detected = detect_type(upload)
    if detected is None or detected != _extension(upload.name):
        raise ValidationError({"file": f"The file must be {ALLOWED_DESCRIPTION}."})
