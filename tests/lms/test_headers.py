"""Headers on every response: a CSP without inline script (looser only in the Wagtail admin),
frame denial, a referrer policy and nosniff; `Cache-Control: no-store` on everything sent to a
signed-in person and on every private download, while public pages and static files stay
cacheable; and `check --deploy` clean under the production profile."""

import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Certificate
from lms.services import invitation_token
from mentoring.models import MentorProfile, Mentorship, SupervisionSession
from pathways.services import evidence_submit
from tests.courses.builders import make_course
from tests.courses.test_certificates import _complete
from tests.factories import InvitationFactory
from tests.lms.test_env import PROJECT_ROOT
from tests.pathways.test_evidence import KIND, PDF, pathway, private_files
from tests.reports import xlsx_download

pytestmark = pytest.mark.django_db
__all__ = ["pathway", "private_files"]  # fixtures shared with test_evidence


def _policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {words[0]: words[1:] for words in directives if words}


def assert_security_headers(response, *, admin=False):
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["'none'"]
    if not admin:
        assert "'unsafe-inline'" not in policy.get("script-src", [])
        assert "'unsafe-inline'" not in policy.get("style-src", [])


def assert_not_stored(response):
    assert "no-store" in response["Cache-Control"]


# --- The pages sampled ------------------------------------------------------------------------


@pytest.fixture
def session(personas):
    MentorProfile.objects.create(user=personas.mentor, organisation=personas.home)
    mentorship = Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=30),
    )
    return SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=timezone.localdate() - timedelta(days=2),
        duration_minutes=45,
        format="online",
        topics=["wellbeing"],
        summary="<p>We talked about sleep.</p>",
        status=SupervisionSession.CONFIRMED,
        logged_by=personas.mentor,
    )


@pytest.fixture
def evidence(personas, pathway, private_files):
    return evidence_submit(
        user=personas.peer, evidence_kind=KIND, upload=SimpleUploadedFile("story.pdf", PDF)
    )


@pytest.fixture
def certificate(personas, tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path / "certificates")
    monkeypatch.setattr(Certificate._meta.get_field("pdf"), "storage", storage)
    _complete(personas.peer, make_course("Safe Practice", modules=1, validity_months=12))
    return Certificate.objects.get()


def _signed_in_pages(personas, session, evidence, certificate):
    home = personas.home.slug
    return [
        (personas.peer, "/"),
        (personas.peer, reverse("pathways:mine")),
        (personas.peer, reverse("mentoring:wellness-plan")),
        (personas.peer, reverse("courses:reflections")),
        (personas.peer, reverse("courses:certificates")),
        (personas.peer, reverse("mentoring:session", args=[session.pk])),
        (personas.mentor, reverse("mentoring:session", args=[session.pk])),
        (personas.coordinator, reverse("lms:members", args=[home])),
        (personas.coordinator, reverse("pathways:readiness", args=[home])),
        (personas.coordinator, reverse("pathways:evidence-queue", args=[home])),
        (personas.coordinator, reverse("pathways:person", args=[home, personas.peer.pk])),
        (personas.peer, "/no-such-page/"),
    ]


def test_every_page_for_a_signed_in_person_has_the_headers_and_is_not_stored(
    personas, session, evidence, certificate
):
    for person, url in _signed_in_pages(personas, session, evidence, certificate):
        client = Client()
        client.force_login(person)

        response = client.get(url)

        assert response.status_code in {200, 404}, url
        assert_security_headers(response)
        assert_not_stored(response)


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/certificates/no-such-code/", "/nope/"])
def test_public_pages_have_the_headers(client, url):
    response = client.get(url)

    assert response.status_code in {200, 404}
    assert_security_headers(response)


def test_a_public_page_for_someone_signed_out_stays_cacheable(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_an_invitation_page_showing_the_invitees_email_is_not_stored(client, personas):
    invitation = InvitationFactory(organisation=personas.home, email="robin@example.org")

    response = client.get(
        reverse("lms:invitation-accept", args=[invitation_token(invitation=invitation)])
    )

    assert "robin@example.org" in response.content.decode()
    assert_security_headers(response)
    assert_not_stored(response)


def test_after_sign_out_pages_are_cacheable_again_and_private_ones_redirect(client, personas):
    client.force_login(personas.peer)
    assert_not_stored(client.get(reverse("pathways:mine")))

    client.post(reverse("lms:logout"))

    assert client.get(reverse("pathways:mine")).status_code == 302
    assert "no-store" not in client.get("/").get("Cache-Control", "")


# --- Downloads --------------------------------------------------------------------------------


def _download_headers(response):
    assert response.status_code == 200
    assert_security_headers(response)
    assert_not_stored(response)
    assert response["Content-Disposition"].startswith("attachment;")


def test_an_evidence_file_download(client, personas, evidence):
    client.force_login(personas.coordinator)

    _download_headers(client.get(reverse("pathways:evidence-file", args=[evidence.pk])))


def test_a_certificate_download(client, personas, certificate):
    client.force_login(personas.peer)

    response = client.get(reverse("courses:certificate-download", args=[certificate.code]))

    _download_headers(response)
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''certificate-" in response["Content-Disposition"]


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_readiness_export(client, personas, export, django_capture_on_commit_callbacks):
    client.force_login(personas.coordinator)
    url = reverse("pathways:readiness", args=[personas.home.slug])

    if export == "csv":
        response = client.get(url, {"export": export})
    else:  # made in the background; the download is what carries the file
        response = xlsx_download(client, url, {}, django_capture_on_commit_callbacks)

    _download_headers(response)
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Other responses --------------------------------------------------------------------------


def test_the_too_large_page_has_the_headers(client, personas, settings):
    client.force_login(personas.peer)

    response = client.post(
        reverse("pathways:aspirations"),
        {"body": "x" * 100},
        CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1),
    )

    assert response.status_code == 413
    assert_security_headers(response)
    assert_not_stored(response)


def test_the_wagtail_admin_gets_its_looser_policy_but_is_never_framed_or_stored(client, personas):
    client.force_login(personas.editor)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert_security_headers(response, admin=True)
    assert "'unsafe-inline'" in _policy(response)["script-src"]
    assert_not_stored(response)


def test_static_files_have_the_headers_and_stay_cacheable(personas, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()  # its middleware is built now, with the settings above
    client.force_login(personas.peer)

    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" not in response.get("Cache-Control", "")


# --- check --deploy ---------------------------------------------------------------------------


def test_check_deploy_is_clean_under_the_production_profile():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Set by the browser tests' conftest for Playwright's event loop; never in a deployment.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="peers.example.org"
    )

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
