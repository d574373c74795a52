"""axe-core (WCAG 2.2 AA tags) on every mentoring screen, filled with the whole demo, at desktop
and phone widths: what a trainee, a mentor, a coordinator and an org admin open."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from wagtail import hooks

from lms.demo import DEMO_PASSWORD, seed_kernel
from mentoring.models import Concern, MentorProfile, Mentorship, SupervisionSession

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ORGANISATION = "/organisations/real-lives-nottingham"


@pytest.fixture
def demo():
    kernel = seed_kernel()
    for seed in hooks.get_hooks("seed_demo"):
        seed(kernel, lambda line: None)
    return kernel


def _violations(page, path):
    response = page.goto(path)
    assert response.status == 200, path
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    return [] if results.violations_count == 0 else [f"{path}:\n{results.generate_report()}"]


def _screens(demo) -> dict[str, list[str]]:
    maya = demo.people["mentor@demo.example"]
    mentorship = Mentorship.objects.filter(mentor=maya, status=Mentorship.ACTIVE).first()
    session = SupervisionSession.objects.filter(mentorship=mentorship).first()
    profile = MentorProfile.objects.exclude(user=maya).filter(accepting=True).first()
    concern = Concern.objects.first()
    return {
        "peer@demo.example": [
            "/mentoring/",
            "/mentoring/find/",
            "/mentoring/preferences/",
            f"/mentoring/mentors/{profile.pk}/",
            f"/mentoring/mentors/{profile.pk}/ask/",
            "/mentoring/wellness-plan/",
        ],
        "mentor@demo.example": [
            "/",
            "/mentoring/",
            "/mentoring/profile/",
            f"/mentoring/mentorships/{mentorship.pk}/",
            f"/mentoring/mentorships/{mentorship.pk}/agreement/",
            f"/mentoring/mentorships/{mentorship.pk}/sessions/new/",
            f"/mentoring/mentorships/{mentorship.pk}/next-session/",
            f"/mentoring/mentorships/{mentorship.pk}/concern/",
            f"/mentoring/mentorships/{mentorship.pk}/end/",
            f"/mentoring/sessions/{session.pk}/",
        ],
        "coordinator@demo.example": [
            "/",
            f"{ORGANISATION}/mentoring/coverage/",
            f"{ORGANISATION}/mentoring/concerns/",
            f"{ORGANISATION}/mentoring/concerns/{concern.pk}/",
            f"{ORGANISATION}/mentoring/propose/",
        ],
        "orgadmin@demo.example": [f"{ORGANISATION}/mentoring/settings/"],
    }


def test_mentoring_screens_have_no_accessibility_violations(demo, page, sign_in):
    problems = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for email, paths in _screens(demo).items():
            page.context.clear_cookies()
            sign_in(email, DEMO_PASSWORD)
            problems += [v for path in paths for v in _violations(page, path)]
    assert not problems, "\n\n".join(problems)
