"""Template tags for care (placeholder, being written)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def mentorship_care(context, mentorship):
    """The care part of a mentorship page: raise a concern, a shared plan and reflections."""
    return ""
