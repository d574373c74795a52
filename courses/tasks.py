"""Background tasks for courses. Queue them with `lms.queue.enqueue`."""

from courses.models import Certificate
from courses.services import certificate_ensure_pdf


def render_certificate_pdf(certificate_id: int) -> None:
    """Draw and store a certificate's PDF; does nothing if it already exists."""
    certificate = (
        Certificate.objects.select_related("user", "course").filter(pk=certificate_id).first()
    )
    if certificate is not None:
        certificate_ensure_pdf(certificate=certificate)
