"""Templated email: templates/emails/<name>_{subject.txt,body.txt,body.html}."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send_templated_email(*, template: str, to: list[str], context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()
