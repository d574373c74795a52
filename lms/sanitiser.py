"""The one HTML sanitiser. Every piece of user-written HTML passes through `clean_html` before it
is stored, and is rendered only from the stored, cleaned value."""

import re
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from django import forms
from django.db import models

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "h2", "h3"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Elements whose *content* is never wanted as text either (bleach would keep it, escaped).
# An unclosed one runs to the end of the input, as it would in a browser; each match then
# consumes the rest, which keeps the scan linear however many unclosed tags there are.
_DROP_WITH_CONTENT = re.compile(
    r"<(script|style|noscript|iframe|svg|math|template|textarea|select|object|title)\b"
    r"[^>]*(?:>|\Z).*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)


def _set_link_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.sanitizer.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    # Linkify's callbacks also run on links the writer made, which is how every link gets rel.
    filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], parse_email=False)],
)


def clean_html(value: str | None) -> str:
    """Return `value` reduced to the allowed tags, attributes and link protocols."""
    if not value:
        return ""
    without_dangerous_blocks = _DROP_WITH_CONTENT.sub("", str(value))
    return _cleaner.clean(without_dangerous_blocks).strip()


class SanitisedHTMLFormField(forms.CharField):
    widget = forms.Textarea

    def clean(self, value):
        return clean_html(super().clean(value))


class SanitisedHTMLField(models.TextField):
    """A text field whose stored value is always the cleaned one, whoever saves it."""

    def pre_save(self, model_instance, add):
        value = clean_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SanitisedHTMLFormField, **kwargs})
