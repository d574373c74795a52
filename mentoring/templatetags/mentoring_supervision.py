"""Template tags for supervision (placeholder, being written)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def mentorship_sessions(context, mentorship):
    """The sessions part of a mentorship page: log a session, sessions so far, actions."""
    return ""
