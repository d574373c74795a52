"""The privacy notice at /privacy/: public, linked from every page, with each organisation's own
contact, set by that organisation's admins."""

import pytest
from django.urls import reverse

from lms.models import AuditEvent, Organisation
from lms.services import invitation_token
from tests.factories import InvitationFactory, OrganisationFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

PRIVACY_URL = "/privacy/"
SECTIONS = {
    "what-we-hold": "What we hold",
    "why": "Why we hold it",
    "who-sees-it": "Who sees it",
    "how-long": "How long we keep it",
    "get-a-copy": "Get a copy of your information",
    "erase": "Have your information erased",
    "contacts": "Who to contact",
    "complain": "How to complain",
}


def _contact_url(organisation):
    return reverse("lms:privacy-contact", args=[organisation.slug])


def _privacy_link(page: str) -> bool:
    return f'href="{PRIVACY_URL}"' in page


# --- The page ---------------------------------------------------------------------------------


def test_the_page_is_public_and_has_each_section(client):
    response = client.get(reverse("lms:privacy"))

    page = response.content.decode()
    assert reverse("lms:privacy") == PRIVACY_URL
    assert response.status_code == 200
    for anchor, heading in SECTIONS.items():
        assert f'<h2 id="{anchor}">{heading}</h2>' in page
    assert "health information" in page
    assert "<caption" in page and "Who can see each kind of information" in page
    assert "Download my data" in page and 'href="/accounts/"' in page
    assert "ico.org.uk" in page
    assert "days to change your mind" in page


def test_the_retention_periods_come_from_the_settings(client, settings):
    settings.INVITATION_RETENTION_DAYS = 77
    settings.MENTOR_REQUEST_RETENTION_DAYS = 401

    page = client.get(PRIVACY_URL).content.decode()

    assert "77 days after they ran out" in page
    assert "401 days after they were answered" in page


def test_the_footer_links_to_it_on_public_and_signed_in_pages(client, personas):
    assert _privacy_link(client.get("/accounts/login/").content.decode())
    assert _privacy_link(client.get(reverse("lms:password-reset")).content.decode())
    client.force_login(personas.peer)
    for url in ("/", reverse("lms:account"), "/pathway/"):
        page = client.get(url).content.decode()
        assert '<footer class="site-footer">' in page
        assert _privacy_link(page.split('<footer class="site-footer">')[1]), url


def test_the_sign_in_page_links_to_it_in_its_own_words(client):
    page = client.get(reverse("lms:login")).content.decode()

    main = page.split("<main")[1].split("</main>")[0]
    assert _privacy_link(main)


def test_the_invitation_pages_link_to_it(client, personas):
    new_person = InvitationFactory(organisation=personas.home, email="new@example.org")
    page = client.get(
        reverse("lms:invitation-accept", args=[invitation_token(invitation=new_person)])
    )
    assert _privacy_link(page.content.decode().split("</main>")[0])

    existing = InvitationFactory(organisation=personas.other, email=personas.peer.email)
    client.force_login(personas.peer)
    page = client.get(
        reverse("lms:invitation-accept", args=[invitation_token(invitation=existing)])
    )
    main = page.content.decode().split("</main>")[0]
    assert "Accept the invitation" in main
    assert _privacy_link(main)


# --- Organisations' own contacts --------------------------------------------------------------


def test_an_org_admin_sets_their_contact_and_it_appears_escaped(client, personas):
    client.force_login(personas.org_admin)
    text = "Data lead: Sam\r\n<script>alert(1)</script>\r\n0115 000 0000"

    response = client.post(_contact_url(personas.home), {"privacy_contact": text})

    assert response.status_code == 302
    personas.home.refresh_from_db()
    assert (
        personas.home.privacy_contact == "Data lead: Sam\n<script>alert(1)</script>\n0115 000 0000"
    )
    page = client.get(PRIVACY_URL).content.decode()
    assert "Data lead: Sam<br>&lt;script&gt;alert(1)&lt;/script&gt;<br>0115 000 0000" in page
    assert "<script>alert(1)" not in page
    event = AuditEvent.objects.get(action="lms.organisation.privacy_contact_changed")
    assert (event.actor, event.organisation) == (personas.org_admin, personas.home)
    assert "Sam" not in str(event.detail)


def test_the_contact_form_is_reached_from_the_organisation_tabs(client, personas):
    client.force_login(personas.org_admin)

    page = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    assert f'href="{_contact_url(personas.home)}"' in page


@pytest.mark.parametrize(
    "who", ["coordinator", "peer", "mentor", "other_org_admin", "other_coordinator"]
)
def test_nobody_but_the_organisations_admins_may_change_its_contact(client, personas, who):
    client.force_login(getattr(personas, who))

    assert client.get(_contact_url(personas.home)).status_code == 404
    response = client.post(_contact_url(personas.home), {"privacy_contact": "Not theirs"})

    assert response.status_code == 404
    assert Organisation.objects.get(pk=personas.home.pk).privacy_contact == ""
    assert not AuditEvent.objects.filter(action="lms.organisation.privacy_contact_changed")


def test_someone_signed_out_is_sent_to_sign_in(client, personas):
    response = client.get(_contact_url(personas.home))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lms:login"))


def test_too_long_a_contact_gets_a_clear_message_and_keeps_the_text(client, personas):
    client.force_login(personas.org_admin)
    text = "Write to our data lead. " * 30  # 720 characters

    response = client.post(_contact_url(personas.home), {"privacy_contact": text})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Contact details must be 500 characters or fewer. You have entered 719." in page
    assert text.strip() in page
    assert 'maxlength="500"' not in page
    assert Organisation.objects.get(pk=personas.home.pk).privacy_contact == ""


def test_a_member_sees_their_own_organisations_first(client, personas):
    OrganisationFactory(name="Aardvark Trust", slug="aardvark", privacy_contact="aardvark@x.org")
    personas.other.privacy_contact = "other@example.org"
    personas.other.save()
    client.force_login(personas.other_peer)

    page = client.get(PRIVACY_URL).content.decode()

    assert "Other Org (your organisation)" in page
    assert page.index("other@example.org") < page.index("aardvark@x.org")
    # Home Org has given no contact and Oz does not belong to it: it is not listed.
    assert "Home Org" not in page


def test_a_visitor_sees_every_organisation_that_gave_a_contact(client, personas):
    personas.home.privacy_contact = "home@example.org"
    personas.home.save()

    page = client.get(PRIVACY_URL).content.decode()

    assert "home@example.org" in page
    assert "(your organisation)" not in page


def test_the_query_count_does_not_grow_with_organisations(
    client, personas, django_assert_num_queries
):
    client.force_login(personas.peer)
    personas.home.privacy_contact = "home@example.org"
    personas.home.save()

    def grow():
        for n in range(5):
            organisation = OrganisationFactory(privacy_contact=f"contact {n}")
            UserFactory()
            personas.peer.memberships.create(organisation=organisation, role="peer")

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(PRIVACY_URL), grow)
