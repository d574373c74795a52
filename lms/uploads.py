"""Request-body limits and private file downloads, shared by every app.

Uploads are refused by their declared size before Django reads the body, and private files
(evidence, certificates) leave only through `private_file_response`, which makes the browser
save them rather than show them, and keep no copy.
"""

import io
import re
import unicodedata
import warnings
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin
from PIL import Image, ImageOps

ADMIN_PREFIX = "/admin/"
MEGABYTE = 1024 * 1024
# Nothing from a private file may run, load or be framed, even if a browser ignores the
# attachment disposition and renders it.
DOWNLOAD_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


# --- Request-body limits ----------------------------------------------------------------------


def accepts_upload(max_bytes_setting: str):
    """Mark a view as taking a file of up to `settings.<max_bytes_setting>` bytes; its request
    body may be that much larger than the ordinary form limit."""

    def mark(view):
        view.upload_max_bytes_setting = max_bytes_setting
        return view

    return mark


def request_body_limit(request, view_func) -> int:
    """The largest body this request may carry: the ordinary form limit, plus the file limit for
    upload views (ours by marking, the Wagtail admin's by path)."""
    limit = settings.REQUEST_BODY_MAX_BYTES
    setting = getattr(view_func, "upload_max_bytes_setting", None)
    if setting:
        return limit + getattr(settings, setting)
    if request.path_info.startswith(ADMIN_PREFIX):
        return limit + settings.ADMIN_UPLOAD_MAX_BYTES
    return limit


def declared_length(request) -> int:
    # Django reads no more than Content-Length under WSGI, and reads nothing when it is absent or
    # malformed, so the declared length bounds what will ever be read.
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestBodyLimitMiddleware(MiddlewareMixin):
    """Refuse a body over the limit with 413 before anything reads it.

    Runs as `process_view`, so it knows which view is asked for; it must sit before
    CsrfViewMiddleware, whose `process_view` reads the form.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = request_body_limit(request, view_func)
        if declared_length(request) <= limit:
            return None
        return render(
            request,
            "413.html",
            {"limit_megabytes": max(limit // MEGABYTE, 1)},
            status=413,
        )


# --- Private downloads ------------------------------------------------------------------------


def ascii_filename(name: str, fallback: str = "download") -> str:
    """A filename any browser and any header parser accepts: ASCII letters, digits, dot, dash,
    underscore; no path; never starting with a dot."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._")
    return plain[:150] or fallback


def display_filename(name: str) -> str:
    """The uploader's name for their file, kept only to show and to offer on download: no path,
    no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:255]


def attachment_disposition(filename: str) -> str:
    """`attachment` with a safe ASCII `filename` and the real name as RFC 5987 `filename*`."""
    fallback = ascii_filename(filename)
    encoded = quote(display_filename(filename) or fallback, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def mark_private_download(response, filename: str):
    """Headers for any file that carries personal data, whatever made it."""
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    add_never_cache_headers(response)
    return response


def private_file_response(file, *, filename: str, content_type: str) -> FileResponse:
    """Serve a stored private file as a download, after the caller has checked permission."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    return mark_private_download(response, filename)


# --- Images -----------------------------------------------------------------------------------


class UnreadableImage(ValueError):
    """Not an image of the expected format, or too many pixels to be one we should open."""


def redraw_image(file, image_format: str, *, max_pixels: int) -> bytes:
    """Draw the picture again from its pixels, in `image_format` ("JPEG", "PNG", "WEBP").

    Whatever followed the image data (markup, a second file) and all metadata (EXIF, including
    where a photo was taken, XMP, comments) are left behind; the orientation EXIF recorded is
    applied first so the picture still looks the right way up.
    """
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=[image_format]) as image:
                if image.width * image.height > max_pixels:
                    raise UnreadableImage("too many pixels")
                image.load()
                return _pixels_only(ImageOps.exif_transpose(image), image_format)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise UnreadableImage(str(error)) from None
    finally:
        file.seek(0)


def _pixels_only(image, image_format: str) -> bytes:
    if image_format == "JPEG" and image.mode not in {"RGB", "L", "CMYK"}:
        image = image.convert("RGB")
    # Keep only what drawing the pixels needs; everything else in `info` (EXIF, XMP, text
    # chunks, comments) is dropped, and Pillow writes no metadata it is not given.
    image.info = {key: image.info[key] for key in ("transparency",) if key in image.info}
    output = io.BytesIO()
    options = {"quality": 90} if image_format in {"JPEG", "WEBP"} else {}
    image.save(output, image_format, **options)
    return output.getvalue()
