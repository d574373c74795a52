"""The Wagtail admin: superusers manage people, organisations and memberships; the audit log is
read-only for everyone."""

import pytest

from lms.models import AuditEvent, Membership, Organisation, User
from lms.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    admin = UserFactory(email="root@example.org", is_superuser=True, is_staff=True)
    client.force_login(admin)
    return client


def test_superuser_creates_a_user_with_display_name_and_pronouns(superuser_client):
    response = superuser_client.get("/admin/users/new/")
    assert response.status_code == 200
    assert "Display name" in response.content.decode()
    response = superuser_client.post(
        "/admin/users/new/",
        {
            "email": "New.Person@Example.org",
            "display_name": "New Person",
            "pronouns": "she/her",
            "password1": "a-long-password-for-testing",
            "password2": "a-long-password-for-testing",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.person@example.org")
    assert (user.display_name, user.pronouns) == ("New Person", "she/her")
    assert user.check_password("a-long-password-for-testing")


def test_superuser_edits_a_users_display_name(superuser_client):
    person = UserFactory(display_name="Old Name")
    url = f"/admin/users/edit/{person.pk}/"
    assert superuser_client.get(url).status_code == 200
    response = superuser_client.post(
        url,
        {
            "email": person.email,
            "display_name": "New Name",
            "pronouns": "",
            "is_active": "on",
            "password1": "",
            "password2": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.display_name == "New Name"


def test_superuser_manages_organisations_and_memberships(superuser_client):
    response = superuser_client.post(
        "/admin/organisations/new/", {"name": "Sheffield Peers", "slug": "sheffield-peers"}
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="sheffield-peers")
    person = UserFactory()
    response = superuser_client.post(
        "/admin/memberships/new/",
        {
            "user": person.pk,
            "organisation": organisation.pk,
            "role": "mentor",
            "active_from": "2026-01-01",
            "active_to": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.filter(user=person, organisation=organisation, role="mentor").exists()
    assert "Sheffield Peers" in superuser_client.get("/admin/memberships/").content.decode()


def test_audit_log_lists_events_but_offers_no_way_to_change_them(superuser_client):
    event = audit_record(actor=None, action="test.read", detail={"why": "testing"})
    listing = superuser_client.get("/admin/audit-log/")
    assert listing.status_code == 200
    assert "test.read" in listing.content.decode()
    assert "/admin/audit-log/new/" not in listing.content.decode()
    assert superuser_client.get(f"/admin/audit-log/inspect/{event.pk}/").status_code == 200
    assert superuser_client.get("/admin/audit-log/new/").status_code in {302, 403, 404}
    assert superuser_client.get(f"/admin/audit-log/edit/{event.pk}/").status_code in {302, 403, 404}
    assert superuser_client.post(f"/admin/audit-log/delete/{event.pk}/").status_code in {
        302,
        403,
        404,
    }
    assert AuditEvent.objects.filter(pk=event.pk, action="test.read").exists()


def test_editor_reaches_the_admin_but_not_people_or_organisations(client, personas):
    client.force_login(personas.editor)
    assert client.get("/admin/").status_code == 200
    for url in [
        "/admin/users/",
        "/admin/organisations/",
        "/admin/memberships/",
        "/admin/audit-log/",
    ]:
        response = client.get(url)
        assert response.status_code in {302, 403}, url
