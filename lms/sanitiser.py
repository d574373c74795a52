"""The one HTML sanitiser. Every piece of user-written HTML passes through `clean_html` before it
is stored, and is rendered only from the stored, cleaned value."""

import re
from functools import partial
from html import escape, unescape

import bleach
from bleach.linkifier import LinkifyFilter, build_url_re
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
    # Linkify runs after the protocol check and by default turns data:, ftp:, irc: and a dozen
    # more into links, so it gets a pattern that knows only the protocols we allow.
    filters=[
        partial(
            LinkifyFilter,
            callbacks=[_set_link_rel],
            parse_email=False,
            url_re=build_url_re(protocols=ALLOWED_PROTOCOLS),
        )
    ],
)


def clean_html(value: str | None) -> str:
    """Return `value` reduced to the allowed tags, attributes and link protocols."""
    if not value:
        return ""
    # NUL is never content, and PostgreSQL cannot store it in a text column.
    without_dangerous_blocks = _DROP_WITH_CONTENT.sub("", str(value).replace("\x00", ""))
    return _cleaner.clean(without_dangerous_blocks).strip()


def text_to_html(text: str) -> str:
    """Plain text as a person types it into a text box, as simple HTML: a blank line starts a
    new paragraph, a line break stays a line break, and lines starting "- " or "* " make a
    bulleted list. Nothing typed is treated as markup."""
    blocks = [
        block for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n")) if block.strip()
    ]
    return "".join(_block_to_html(block.strip("\n")) for block in blocks)


def _block_to_html(block: str) -> str:
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    if lines and all(line[:2] in ("- ", "* ") for line in lines):
        items = "".join(f"<li>{escape(line[2:].strip())}</li>" for line in lines)
        return f"<ul>{items}</ul>"
    return "<p>" + "<br>".join(escape(line) for line in lines) + "</p>"


def html_to_text(html: str) -> str:
    """Stored HTML back into the plain text `text_to_html` understands, for editing."""
    text = re.sub(r"<br\s*/?>", "\n", html or "")
    text = re.sub(r"<li[^>]*>", "- ", text)
    text = re.sub(r"</(p|ul|ol|blockquote|h2|h3)>", "\n\n", text)
    text = re.sub(r"</li>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()


# The most any text box takes when its form names no smaller limit. Counted on the typed text,
# before anything parses or cleans it: the sanitiser's time grows with its input.
TEXT_MAX_CHARACTERS = 20_000


def too_long(length: int, limit: int) -> str:
    return f"This is {length:,} characters long. Shorten it to {limit:,} or fewer."


class SanitisedHTMLFormField(forms.CharField):
    """A plain text box whose value is stored as cleaned HTML (see `text_to_html`); stored HTML
    is shown back as plain text for editing.

    Every such box has a length limit (`TEXT_MAX_CHARACTERS` unless the form gives its own),
    counted on the text as typed and checked first, before the text is turned into HTML or
    cleaned. `too_long(length, limit)` words the message."""

    widget = forms.Textarea

    def __init__(self, *, max_length=None, too_long=too_long, **kwargs):
        super().__init__(max_length=max_length or TEXT_MAX_CHARACTERS, **kwargs)
        self.too_long = too_long

    def widget_attrs(self, widget):
        # No maxlength in the page: a browser would cut pasted text short without a word, where
        # the server says how far over it is and keeps every word.
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def prepare_value(self, value):
        if isinstance(value, str) and value.lstrip().startswith("<"):
            return html_to_text(value)
        return value

    def clean(self, value):
        if isinstance(value, str) and len(value) > self.max_length:
            raise forms.ValidationError(
                self.too_long(len(value), self.max_length), code="max_length"
            )
        return clean_html(text_to_html(super().clean(value)))


class SanitisedHTMLField(models.TextField):
    """A text field whose stored value is always the cleaned one, whoever saves it."""

    def pre_save(self, model_instance, add):
        value = clean_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SanitisedHTMLFormField, **kwargs})
