import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so tests commit for real; serialized rollback
    # puts back the home page and site that migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def assert_no_accessibility_violations(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    assert results.violations_count == 0, results.generate_report()


def test_visitor_sees_welcome_and_a_way_to_sign_in(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer Pathways")
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_peer_signs_in_and_sees_their_organisation_and_roles(page, personas, sign_in):
    sign_in("peer@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Pat Peer")
    panel = page.get_by_role("region", name="Your organisations and roles")
    expect(panel).to_contain_text("Home Org")
    expect(panel).to_contain_text("Peer")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Dashboard")


def test_wrong_password_shows_error_summary_and_keeps_email(page, personas, sign_in):
    sign_in("peer@example.org", password="not-the-password")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a correct email address and password.")
    expect(page.get_by_label("Email address")).to_have_value("peer@example.org")
    expect(page).to_have_title("Error: Sign in – Peer Pathways")


def test_sign_out_returns_to_the_welcome_page(page, personas, sign_in):
    sign_in("coordinator@example.org")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_home_page_has_no_accessibility_violations(page):
    page.goto("/")
    assert_no_accessibility_violations(page)


def test_login_page_has_no_accessibility_violations_even_with_errors(page, personas, sign_in):
    page.goto("/accounts/login/")
    assert_no_accessibility_violations(page)
    sign_in("peer@example.org", password="wrong")
    assert_no_accessibility_violations(page)


def test_dashboard_has_no_accessibility_violations(page, personas, sign_in):
    sign_in("coordinator@example.org")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_accessibility_violations(page)
