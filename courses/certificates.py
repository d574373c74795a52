"""The certificate PDF, drawn with reportlab (pure Python: no system libraries needed)."""

from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

TEAL = colors.HexColor("#005a70")


def render_certificate_pdf(certificate) -> ContentFile:
    """A one-page landscape A4 certificate with the code and where to check it."""
    buffer = BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"Certificate: {certificate.title}")
    pdf.setAuthor("Peer Pathways")
    _frame(pdf, width, height)
    _lines(pdf, width, height, certificate)
    pdf.showPage()
    pdf.save()
    return ContentFile(buffer.getvalue())


def _frame(pdf, width, height):
    pdf.setStrokeColor(TEAL)
    pdf.setLineWidth(6)
    pdf.rect(30, 30, width - 60, height - 60)


def _lines(pdf, width, height, certificate):
    issued = _day(certificate.issued_at)
    verify_url = settings.SITE_URL + reverse("courses:certificate-verify", args=[certificate.code])
    centre = width / 2
    rows = [
        ("Helvetica", 16, TEAL, height - 110, "Peer Pathways"),
        ("Helvetica-Bold", 34, colors.black, height - 170, "Certificate of completion"),
        ("Helvetica", 16, colors.black, height - 220, "This certifies that"),
        ("Helvetica-Bold", 26, colors.black, height - 265, certificate.user.display_name),
        ("Helvetica", 16, colors.black, height - 305, "completed the course"),
        ("Helvetica-Bold", 24, TEAL, height - 345, certificate.title),
        ("Helvetica", 14, colors.black, height - 395, f"Issued on {issued}"),
    ]
    if certificate.expires_at:
        expires = _day(certificate.expires_at)
        rows.append(
            ("Helvetica", 14, colors.black, height - 418, f"A refresher is due by {expires}")
        )
    rows.append(
        (
            "Helvetica",
            11,
            colors.darkgrey,
            70,
            f"Check this certificate at {verify_url}  (code {certificate.code})",
        )
    )
    for font, size, colour, y, text in rows:
        pdf.setFont(font, size)
        pdf.setFillColor(colour)
        pdf.drawCentredString(centre, y, text)


def _day(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"
