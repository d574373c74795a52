"""Consent, as a peer and a mentor live it, in a real browser: the peer (on a phone) shares one
reflection with their mentor by name, the mentor (on a desktop) reads it and not the other one,
the peer ends the mentorship, and the mentor can read nothing any more; with no mentor, the
peer's page says there is nobody to share with."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Reflection
from courses.selectors import live_modules
from mentoring.models import Mentorship
from tests.courses.builders import make_course, reflection_prompt, text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TO_SHARE = "Being asked first made me feel like a person again."
TO_KEEP = "This one is only for me, about the night in A&E."
PHONE, DESKTOP = {"width": 375, "height": 800}, {"width": 1280, "height": 900}


@pytest.fixture
def mentored(personas):
    course = make_course(
        "Listening Well", modules=1, bodies=[[text(), reflection_prompt("What helps?")]]
    )
    module = live_modules(course=course).get()
    for prompt_id, words in (("a", TO_SHARE), ("b", TO_KEEP)):
        Reflection.objects.create(
            user=personas.peer,
            module=module,
            prompt_id=prompt_id,
            prompt="?",
            body=f"<p>{words}</p>",
        )
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=7),
    )


def _reflection_card(page, words):
    return page.locator("article").filter(has_text=words)


def test_a_share_is_with_a_named_mentor_and_ends_with_the_mentorship(
    page, sign_in, personas, mentored
):
    mentee_reflections = f"/mentoring/mentees/{personas.peer.pk}/reflections/"

    page.set_viewport_size(PHONE)
    sign_in(personas.peer.email)
    page.goto("/learning/reflections/")
    card = _reflection_card(page, TO_SHARE)
    card.get_by_role("button", name="Share with Mo Mentor").click()
    expect(page.get_by_text("Mo Mentor can now read this reflection")).to_be_visible()
    expect(_reflection_card(page, TO_SHARE)).to_contain_text("Shared with Mo Mentor since")
    expect(_reflection_card(page, TO_KEEP)).to_contain_text("Private to you")

    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    sign_in(personas.mentor.email)
    page.goto(mentee_reflections)
    expect(page.get_by_text(TO_SHARE)).to_be_visible()
    expect(page.get_by_text(TO_KEEP)).to_have_count(0)

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    sign_in(personas.peer.email)
    page.goto(f"/mentoring/mentorships/{mentored.pk}/end/")
    page.get_by_label("We met the goals we set").check()
    page.get_by_role("button", name="End the mentorship").click()
    expect(page.get_by_text("Your mentorship has ended.")).to_be_visible()
    page.goto("/learning/reflections/")
    expect(page.get_by_text("You do not have a mentor at the moment")).to_be_visible()
    expect(page.get_by_role("button", name="Share with Mo Mentor")).to_have_count(0)
    expect(page.get_by_text("Shared with Mo Mentor")).to_have_count(0)

    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    sign_in(personas.mentor.email)
    response = page.goto(mentee_reflections)
    assert response.status == 404
    expect(page.get_by_text(TO_SHARE)).to_have_count(0)
