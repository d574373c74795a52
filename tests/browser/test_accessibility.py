"""axe-core (WCAG 2.2 AA tags) on every main screen, filled with the demo data."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from courses.demo import seed_courses
from courses.models import CourseIndexPage, CoursePage, ModulePage
from lms.demo import DEMO_PASSWORD, seed_kernel
from lms.models import Membership
from pathways.demo import seed_pathways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ORGANISATION = "/organisations/real-lives-nottingham"


@pytest.fixture
def demo():
    kernel = seed_kernel()
    seed_courses(kernel, lambda line: None)
    seed_pathways(kernel, lambda line: None)
    return kernel


def _violations(page, path):
    page.goto(path)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    return [] if results.violations_count == 0 else [f"{path}:\n{results.generate_report()}"]


def _pages_for_peer():
    course = CoursePage.objects.live().get(title="Foundations of Peer Support")
    module = ModulePage.objects.live().child_of(course).order_by("path").first()
    return [
        "/",
        CourseIndexPage.objects.get().url,
        course.url,
        module.url,
        "/learning/reflections/",
        "/learning/certificates/",
        "/pathway/",
        "/pathway/evidence/new/",
        "/accounts/",
        "/privacy/",
    ]


def _pages_for_coordinator(peer_id):
    return [
        "/",
        f"{ORGANISATION}/people/",
        f"{ORGANISATION}/people/invite/",
        f"{ORGANISATION}/learning/",
        f"{ORGANISATION}/learning/assign/",
        f"{ORGANISATION}/readiness/",
        f"{ORGANISATION}/evidence/",
        f"{ORGANISATION}/people/{peer_id}/pathway/",
    ]


@pytest.mark.parametrize("width", [1280, 375])
def test_peer_and_coordinator_screens_have_no_accessibility_violations(demo, page, sign_in, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("peer@demo.example", DEMO_PASSWORD)
    problems = [v for path in _pages_for_peer() for v in _violations(page, path)]

    page.context.clear_cookies()
    sign_in("coordinator@demo.example", DEMO_PASSWORD)
    peer_id = demo.people["peer@demo.example"].pk
    problems += [v for path in _pages_for_coordinator(peer_id) for v in _violations(page, path)]

    page.context.clear_cookies()
    sign_in("orgadmin@demo.example", DEMO_PASSWORD)
    problems += _violations(page, f"{ORGANISATION}/audit/")
    # A destructive action's confirmation page (lms.confirm), here ending a role.
    role = Membership.objects.filter(user=demo.people["peer@demo.example"]).first()
    problems += _violations(page, f"{ORGANISATION}/roles/{role.pk}/end/")

    assert not problems, "\n\n".join(problems)
