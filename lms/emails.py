"""Templated email: templates/emails/<name>_{subject.txt,body.txt,body.html}.

Tasks send through `send_email_once`, which checks an idempotency key in the database before
the message goes (lms.effects); `send_templated_email` is the plain send underneath.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_templated_email(*, template: str, to: list[str], context: dict):
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=to)
    message.attach_alternative(html, "text/html")
    return message


def send_templated_email(*, template: str, to: list[str], context: dict) -> None:
    render_templated_email(template=template, to=to, context=context).send()


def send_email_once(key: str, *, template: str, to: list[str], context: dict) -> bool:
    """Send a templated email at most once for `key` (see `lms.effects.once`). True when the
    email has gone, now or before; False when another attempt holds the key (in flight, or
    stopped with its outcome unknown)."""
    from lms.effects import send_once

    message = render_templated_email(template=template, to=to, context=context)
    return send_once(key, message)
