"""The care part of a mentorship page, for its mentor and its trainee."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from mentoring.access import MENTOR, TRAINEE, role_in
from mentoring.selectors.care import care_for_mentor, care_for_trainee

register = template.Library()


@register.simple_tag(takes_context=True)
def mentorship_care(context, mentorship):
    """For the mentor: raise a concern, the mentee's shared plan and reflections, and the
    concerns they raised here. For the trainee: whether their plan is shared. Nobody else sees
    anything, and the trainee never sees concerns."""
    request = context["request"]
    role = role_in(user=request.user, mentorship=mentorship)
    if role == MENTOR:
        care = {"mentor_care": care_for_mentor(mentorship=mentorship, mentor=request.user)}
    elif role == TRAINEE:
        care = {"trainee_care": care_for_trainee(mentorship=mentorship, trainee=request.user)}
    else:
        return ""
    html = render_to_string(
        "mentoring/includes/mentorship_care.html",
        {"mentorship": mentorship, **care},
        request=request,
    )
    return mark_safe(html)  # noqa: S308 - rendered from our own template, autoescaped
