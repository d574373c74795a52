"""The whole hostile corpus (tests/browser/xss_payloads.py) through the one sanitiser, one
payload at a time, with the output parsed back the way a browser would parse it.

The browser test proves the pages; this proves every payload on its own, fast, so that a payload
swallowing the ones after it in a batch cannot hide a hole."""

import re
from html.parser import HTMLParser

import pytest
from bleach._vendor import html5lib  # the spec-conformant parser bleach itself ships
from django.core.exceptions import ValidationError

from lms.sanitiser import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    SanitisedHTMLFormField,
    clean_html,
    html_to_text,
    text_to_html,
)
from tests.browser.xss_payloads import PAYLOADS

TEXT_TAGS = {"p", "br", "ul", "li"}
# What a browser ignores in a URL before reading its scheme: C0 controls, space, tab, newline.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_ids = [f"{payload.id}-{payload.kind}" for payload in PAYLOADS]


def _scheme(url: str) -> str | None:
    found = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", url).lower())
    return found.group(1) if found else None


class _Collector(HTMLParser):
    """Every start tag and its attributes, as Python's own parser reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def _elements_by_html_parser(html: str):
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def _elements_by_html5lib(html: str):
    """The elements as a browser builds them from a fragment in a <div> (namespaces and all)."""
    tree = html5lib.parseFragment(html, container="div", namespaceHTMLElements=False)
    for element in tree.iter():
        if isinstance(element.tag, str):
            tag = element.tag.rsplit("}", 1)[-1]
            yield tag, [(name.rsplit("}", 1)[-1], value) for name, value in element.attrib.items()]


def _problems(html: str, tags: set[str], attributes: dict[str, list[str]]) -> list[str]:
    problems = []
    for parse in (_elements_by_html_parser, _elements_by_html5lib):
        for tag, attrs in parse(html):
            if tag == "DOCUMENT_FRAGMENT" or tag == "div" and parse is _elements_by_html5lib:
                continue
            if tag not in tags:
                problems.append(f"{parse.__name__}: <{tag}>")
            for name, value in attrs:
                if name not in attributes.get(tag, []):
                    problems.append(f"{parse.__name__}: <{tag} {name}>")
                scheme = _scheme(value or "") if name == "href" else None
                if scheme is not None and scheme not in ALLOWED_PROTOCOLS:
                    problems.append(f"{parse.__name__}: <{tag} href> with {scheme}:")
    return problems


@pytest.mark.parametrize("payload", PAYLOADS, ids=_ids)
def test_clean_html_leaves_only_allowed_tags_attributes_and_protocols(payload):
    cleaned = clean_html(payload.text)

    assert _problems(cleaned, ALLOWED_TAGS, ALLOWED_ATTRIBUTES) == [], cleaned


@pytest.mark.parametrize("payload", PAYLOADS, ids=_ids)
def test_clean_html_is_stable_when_cleaned_again(payload):
    """Cleaned output that cleans to something else is what mutation XSS feeds on."""
    cleaned = clean_html(payload.text)

    assert clean_html(cleaned) == cleaned


@pytest.mark.parametrize("payload", PAYLOADS, ids=_ids)
def test_text_to_html_turns_nothing_typed_into_markup(payload):
    html = text_to_html(payload.text)

    assert _problems(html, TEXT_TAGS, {}) == [], html


@pytest.mark.parametrize("payload", PAYLOADS, ids=_ids)
def test_the_form_field_path_stores_no_markup_from_the_text(payload):
    """What a person types in a rich-text box: text, then cleaned (which may linkify an http
    address); and the same again after it comes back as text for editing."""
    field = SanitisedHTMLFormField(required=False)
    if "\x00" in payload.text:
        with pytest.raises(ValidationError):  # Django's form fields refuse NUL outright
            field.clean(payload.text)
        return
    stored = field.clean(payload.text)

    assert _problems(stored, ALLOWED_TAGS, ALLOWED_ATTRIBUTES) == [], stored
    edited_again = field.clean(html_to_text(stored))
    assert _problems(edited_again, ALLOWED_TAGS, ALLOWED_ATTRIBUTES) == [], edited_again


def test_the_corpus_is_big_and_covers_every_class():
    assert len(PAYLOADS) >= 300
    assert len({payload.text for payload in PAYLOADS}) == len(PAYLOADS)
    assert len({payload.kind for payload in PAYLOADS}) >= 14


@pytest.mark.parametrize(
    "text", ["data://example.org/text/html", "ftp://example.org/x", "irc://example.org/room"]
)
def test_linkify_makes_links_only_with_the_allowed_protocols(text):
    """Linkify runs after the protocol check, so it must not make links bleach would refuse."""
    cleaned = clean_html(f"<p>See {text}</p>")

    assert all(
        _scheme(value or "") in ALLOWED_PROTOCOLS
        for _, attrs in _elements_by_html_parser(cleaned)
        for name, value in attrs
        if name == "href"
    ), cleaned
