"""The base form for every Wagtail image upload (`WAGTAILIMAGES_IMAGE_FORM_BASE`).

Wagtail keeps an image's EXIF in every rendition it makes, so a photo's location would reach
every visitor. Editors' JPEG, PNG and WebP images are re-drawn at upload, keeping only their
pixels; animated images, GIF and AVIF are stored as they come (see docs/security.md).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.images.forms import BaseImageForm

from lms.uploads import UnreadableImage, redraw_image

REDRAWN_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


def _is_animated(upload) -> bool:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            return getattr(image, "is_animated", False)
    finally:
        upload.seek(0)


class MetadataFreeImageForm(BaseImageForm):
    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if "file" not in self.changed_data or upload is None or not hasattr(upload, "image"):
            return upload
        image_format = REDRAWN_FORMATS.get(upload.image.format_name)
        if image_format is None or _is_animated(upload):
            return upload
        try:
            pixels = redraw_image(
                upload, image_format, max_pixels=settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
            )
        except UnreadableImage:
            raise ValidationError("This image could not be read. Choose it again.") from None
        return SimpleUploadedFile(upload.name, pixels, content_type=upload.content_type)
