"""Template tags for supervision: the sessions part of a mentorship page."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from mentoring.access import MENTOR, TRAINEE, role_in
from mentoring.selectors.supervision import sessions_for_mentorship

register = template.Library()


@register.simple_tag(takes_context=True)
def mentorship_sessions(context, mentorship):
    """The sessions part of a mentorship page, for its mentor or its trainee: log a session,
    the sessions so far, hours confirmed and open action items (three queries)."""
    request = context["request"]
    role = role_in(user=request.user, mentorship=mentorship)
    if role not in (MENTOR, TRAINEE):
        return ""
    html = render_to_string(
        "mentoring/includes/mentorship_sessions.html",
        {
            "mentorship": mentorship,
            "summary": sessions_for_mentorship(mentorship=mentorship),
            "is_mentor": role == MENTOR,
            "is_mentee": role == TRAINEE,
            "viewer": request.user,
            "csrf_token": context.get("csrf_token"),
            "here": request.get_full_path(),
        },
    )
    return mark_safe(html)  # noqa: S308 - rendered from a template with autoescaping on
