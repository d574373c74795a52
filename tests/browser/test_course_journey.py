"""The whole learning loop in a real browser: an editor writes a course in the Wagtail admin, a
moderator approves it through the workflow, and a peer works through it (on a phone, then at a
desk), says "I have finished this module" for each, and checks the certificate."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from courses.models import Certificate, CoursePage, ModulePage, Reflection
from tests.courses.builders import course_index
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COURSE = "Working with Families"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def moderator(personas):
    user = UserFactory(email="moderator@example.org", display_name="Mel Moderator")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def submit_for_moderation(page):
    page.locator("footer").get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Submit to Moderators approval").click()
    expect(page).to_have_url(re.compile(r"/admin/pages/\d+/$"))


def write_course(page, index_id):
    page.goto(f"/admin/pages/add/courses/coursepage/{index_id}/")
    page.locator("#id_title").fill(COURSE)
    page.locator("#id_summary").fill("Including families and supporters, as the person wishes.")
    page.get_by_label("Everyone").check()
    submit_for_moderation(page)


def add_block(page, name):
    page.get_by_role("button", name="Insert a block").last.click()
    page.get_by_role("option", name=name).click()


def write_module_with_check_and_reflection(page, course_id):
    page.goto(f"/admin/pages/add/courses/modulepage/{course_id}/")
    page.locator("#id_title").fill("Who counts as family")
    add_block(page, "Knowledge check")
    question = "#body-0-value-questions-0-value-"
    page.locator(question + "question").fill("Who decides who counts as family?")
    page.locator(question + "answers-0-value-text").fill("The person themselves")
    page.locator(question + "answers-0-value-correct").check()
    page.locator(question + "answers-0-value-feedback").fill("Yes. It is their choice.")
    duplicate_buttons = page.get_by_role("button", name="Duplicate")
    duplicate_buttons.nth(duplicate_buttons.count() - 1).click()
    page.locator(question + "answers-1-value-text").fill("Their peer worker")
    # The duplicate arrives with "correct" ticked, as copied; wait until the admin has drawn it
    # (under load it can still be settling) before unticking it.
    second_correct = page.locator(question + "answers-1-value-correct")
    expect(second_correct).to_be_checked()
    second_correct.uncheck()
    expect(second_correct).not_to_be_checked()
    page.locator(question + "answers-1-value-feedback").fill("No: the person decides.")
    add_block(page, "Reflection prompt")
    page.locator("#body-1-value-prompt").fill("Who is family to you, and why?")
    submit_for_moderation(page)


def write_text_module(page, course_id):
    page.goto(f"/admin/pages/add/courses/modulepage/{course_id}/")
    page.locator("#id_title").fill("Keeping confidences")
    add_block(page, "Text")
    editor = page.locator(".public-DraftEditor-content").last
    editor.click()
    editor.press_sequentially("Ask the person what they want shared, and with whom.")
    expect(page.locator("input[name='body-0-value']")).to_have_value(re.compile("with whom"))
    submit_for_moderation(page)


def approve(page, page_id):
    page.goto(f"/admin/pages/{page_id}/edit/")
    page.locator("footer").get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Approve and Publish", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/pages/\d+/$"))


def test_editor_publishes_a_course_and_a_peer_completes_it(
    browser, live_server, personas, moderator, sign_in, page
):
    index = course_index()

    sign_in("editor@example.org")
    write_course(page, index.pk)
    course = CoursePage.objects.get(title=COURSE)
    assert not course.live  # waiting for review, not published by the editor alone
    write_module_with_check_and_reflection(page, course.pk)
    write_text_module(page, course.pk)

    page.context.clear_cookies()
    sign_in("moderator@example.org")
    modules = list(ModulePage.objects.child_of(course).order_by("path"))
    assert len(modules) == 2
    for page_id in [course.pk, *(module.pk for module in modules)]:
        approve(page, page_id)
    assert ModulePage.objects.child_of(course).live().count() == 2

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)  # the peer starts on a phone
    sign_in("peer@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("button", name="Enrol on this course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who counts as family")

    # A wrong answer first: feedback, no pass.
    page.get_by_label("Their peer worker").check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_text("No: the person decides.")).to_be_visible()
    page.get_by_label("The person themselves").check()
    page.get_by_role("button", name="Check my answers again").click()
    expect(page.get_by_text("You have passed this check.")).to_be_visible()

    page.get_by_label("Your reflection").fill("My sister and my neighbour Jo.")
    page.get_by_role("button", name="Save my reflection").click()
    expect(page.get_by_text("Your reflection is saved. Only you can see it.")).to_be_visible()
    reflection = Reflection.objects.get(user=personas.peer)
    assert reflection.body == "<p>My sister and my neighbour Jo.</p>"

    # Clicking "Next" through every module marks nothing: opening a page is not finishing it.
    page.get_by_role("link", name=re.compile("^Next: Keeping confidences")).click()
    expect(page.get_by_text("Ask the person what they want shared")).to_be_visible()
    page.get_by_role("link", name="Back to the course").click()
    expect(page.get_by_text("You completed this course")).to_have_count(0)
    assert not Certificate.objects.filter(user=personas.peer).exists()

    # Back to the first module: checks passed and reflection saved, so the peer says so.
    page.get_by_role("link", name="Who counts as family").first.click()
    finish = page.get_by_role("button", name="I have finished this module")
    finish.scroll_into_view_if_needed()
    finish.focus()
    expect(finish).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keeping confidences")
    expect(page.get_by_text("You have finished Who counts as family.")).to_be_visible()
    assert not Certificate.objects.filter(user=personas.peer).exists()

    page.set_viewport_size(DESKTOP)  # and finishes at a desk
    page.get_by_role("button", name="I have finished this module").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.get_by_text("You completed this course on")).to_be_visible()

    page.goto("/learning/certificates/")
    row = page.get_by_role("row", name=re.compile(COURSE))
    with page.expect_download() as download_info:
        row.get_by_role("link", name=re.compile("Download PDF")).click()
    with open(download_info.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    row.get_by_role("link", name=re.compile("Verification page")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate check")
    expect(page.locator("main")).to_contain_text(COURSE)
    expect(page.locator("main")).to_contain_text("Valid")
    expect(page.locator("main")).not_to_contain_text("Pat Peer")
    assert Certificate.objects.filter(user=personas.peer, course=course).count() == 1
