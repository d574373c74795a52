"""Pathways in the Wagtail admin: an organisation admin edits their own organisation's pathways,
may read the shared ones, and never sees or touches another organisation's; editors do not see
pathways at all; what an admin saves is what the pathway then asks of people."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from lms.models import Membership
from pathways.models import Competence, CompetenceDomain, Pathway, Requirement
from tests.factories import UserFactory
from tests.pathways.builders import make_framework, make_pathway

pytestmark = pytest.mark.django_db

LIST = "wagtailsnippets_pathways_pathway:list"
ADD = "wagtailsnippets_pathways_pathway:add"
EDIT = "wagtailsnippets_pathways_pathway:edit"
DELETE = "wagtailsnippets_pathways_pathway:delete"


@pytest.fixture
def pathways(personas):
    framework = make_framework()
    return {
        "home": make_pathway(framework=framework, organisation=personas.home, name="Home pathway"),
        "other": make_pathway(
            framework=framework, organisation=personas.other, name="Other pathway"
        ),
        "shared": make_pathway(framework=framework, name="Shared pathway"),
    }


@pytest.fixture
def superuser():
    return UserFactory(email="root@example.org", is_superuser=True, is_staff=True)


def _listed(response) -> set[str]:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return {
        link.get_text(strip=True)
        for link in soup.select("table.listing tbody td a")
        if link.get_text(strip=True).endswith("pathway")
    }


def _form_data(response) -> dict:
    """The values of the pathway form as the browser would send them back."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    form = next(
        form
        for form in soup.find_all("form")
        if form.get("method", "").lower() == "post" and form.find(attrs={"name": "name"})
    )
    data = {}
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or "__prefix__" in name:
            continue
        if element.name == "input":
            if element.get("type") in ("checkbox", "radio") and not element.has_attr("checked"):
                continue
            if element.get("type") in ("submit", "button", "file"):
                continue
            data[name] = element.get("value", "")
        elif element.name == "select":
            chosen = element.find_all("option", selected=True)
            data[name] = (
                [option.get("value") for option in chosen]
                if element.has_attr("multiple")
                else (chosen[0].get("value") if chosen else "")
            )
        else:
            data[name] = element.get_text()
    return data


def _refused(response) -> bool:
    """Wagtail answers a permission it does not grant with 403, or a redirect with a message."""
    return response.status_code in (302, 403)


# --- Getting in --------------------------------------------------------------------------------


def test_org_admin_can_open_the_admin(client, personas):
    client.force_login(personas.org_admin)

    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "peer", "mentor"])
def test_people_without_admin_access_are_sent_to_sign_in(client, personas, who):
    client.force_login(getattr(personas, who))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_an_org_admin_whose_role_ended_cannot_open_the_admin(client, personas):
    Membership.objects.filter(user=personas.org_admin).update(
        active_from=timezone.localdate() - timezone.timedelta(days=60),
        active_to=timezone.localdate(),
    )
    client.force_login(personas.org_admin)

    assert client.get("/admin/").status_code == 302


# --- Listing -----------------------------------------------------------------------------------


def test_org_admin_sees_pathways_in_the_menu(client, personas, pathways):
    client.force_login(personas.org_admin)

    response = client.get("/admin/")

    assert reverse(LIST) in response.content.decode()


def test_org_admin_lists_their_own_and_shared_pathways_only(client, personas, pathways):
    client.force_login(personas.org_admin)

    response = client.get(reverse(LIST))

    assert response.status_code == 200
    assert _listed(response) == {"Home pathway", "Shared pathway"}


def test_the_listing_includes_their_own_and_the_shared_pathways(client, personas, pathways):
    client.force_login(personas.org_admin)

    response = client.get(reverse(LIST))

    assert {"Home pathway", "Shared pathway"} <= _listed(response)


def test_superuser_lists_every_pathway(client, pathways, superuser):
    client.force_login(superuser)

    response = client.get(reverse(LIST))

    assert _listed(response) == {"Home pathway", "Other pathway", "Shared pathway"}


def test_an_editor_cannot_see_pathway_snippets(client, personas, pathways):
    client.force_login(personas.editor)

    dashboard = client.get("/admin/")
    listing = client.get(reverse(LIST))
    edit = client.get(reverse(EDIT, args=[pathways["home"].pk]))

    assert dashboard.status_code == 200
    assert reverse(LIST) not in dashboard.content.decode()
    assert listing.status_code in (302, 403)
    assert edit.status_code in (302, 403)
    assert b"Home pathway" not in listing.content


# --- Editing -----------------------------------------------------------------------------------


def test_org_admin_edits_their_own_pathway(client, personas, pathways):
    client.force_login(personas.org_admin)
    url = reverse(EDIT, args=[pathways["home"].pk])
    data = _form_data(client.get(url))
    data["name"] = "Home pathway, renamed"

    response = client.post(url, data)

    assert response.status_code == 302
    pathways["home"].refresh_from_db()
    assert pathways["home"].name == "Home pathway, renamed"
    assert pathways["home"].organisation == personas.home


def test_another_organisations_pathway_is_not_found_for_an_org_admin(client, personas, pathways):
    client.force_login(personas.org_admin)

    response = client.get(reverse(EDIT, args=[pathways["other"].pk]))

    assert response.status_code == 404


def test_org_admin_cannot_open_a_shared_pathway_to_edit(client, personas, pathways):
    client.force_login(personas.org_admin)

    response = client.get(reverse(EDIT, args=[pathways["shared"].pk]))

    assert _refused(response)


@pytest.mark.parametrize("which", ["other", "shared"])
def test_org_admin_cannot_change_another_organisations_or_a_shared_pathway(
    client, personas, pathways, which
):
    client.force_login(personas.org_admin)
    url = reverse(EDIT, args=[pathways["home"].pk])
    data = _form_data(client.get(url))  # a valid form, aimed at someone else's pathway
    data.update({"name": "Taken over", "organisation": str(personas.home.pk)})
    for key in [key for key in data if key.startswith("stages-")]:
        del data[key]
    data.update(
        {
            "stages-TOTAL_FORMS": "0",
            "stages-INITIAL_FORMS": "0",
            "stages-MIN_NUM_FORMS": "0",
            "stages-MAX_NUM_FORMS": "1000",
        }
    )
    target = pathways[which]

    client.post(reverse(EDIT, args=[target.pk]), data)

    target.refresh_from_db()
    assert target.name != "Taken over"
    assert target.organisation_id == (personas.other.pk if which == "other" else None)
    assert target.stages.count() == 3


def test_org_admin_cannot_delete_another_organisations_pathway(client, personas, pathways):
    client.force_login(personas.org_admin)

    client.post(reverse(DELETE, args=[pathways["other"].pk]))

    assert Pathway.objects.filter(pk=pathways["other"].pk).exists()


def test_the_add_form_offers_only_their_own_organisation(client, personas, pathways):
    client.force_login(personas.org_admin)

    response = client.get(reverse(ADD))

    soup = BeautifulSoup(response.content.decode(), "html.parser")
    options = [
        option.get_text(strip=True)
        for option in soup.find("select", attrs={"name": "organisation"}).find_all("option")
    ]
    assert options == ["Home Org"]


def _new_pathway(personas, organisation, framework, **requirement):
    data = {
        "name": "New pathway",
        "framework": framework.pk,
        "organisation": organisation.pk,
        "description": "",
        "stages-TOTAL_FORMS": "1",
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
        "stages-0-title": "Trainee",
        "stages-0-description": "",
        "stages-0-pay_band": "",
        "stages-0-ORDER": "1",
        "stages-0-id": "",
        "stages-0-DELETE": "",
        "stages-0-requirements-TOTAL_FORMS": "1" if requirement else "0",
        "stages-0-requirements-INITIAL_FORMS": "0",
        "stages-0-requirements-MIN_NUM_FORMS": "0",
        "stages-0-requirements-MAX_NUM_FORMS": "1000",
    }
    for key, value in requirement.items():
        data[f"stages-0-requirements-0-{key}"] = value
    if requirement:
        data.update(
            {
                "stages-0-requirements-0-ORDER": "1",
                "stages-0-requirements-0-id": "",
                "stages-0-requirements-0-DELETE": "",
            }
        )
    return data


def test_org_admin_adds_a_pathway_for_their_organisation(client, personas, pathways):
    client.force_login(personas.org_admin)
    framework = pathways["home"].framework

    response = client.post(reverse(ADD), _new_pathway(personas, personas.home, framework))

    assert response.status_code == 302
    created = Pathway.objects.get(name="New pathway")
    assert created.organisation == personas.home
    assert [stage.title for stage in created.stages.all()] == ["Trainee"]


@pytest.mark.parametrize("organisation", ["other", "none"])
def test_org_admin_cannot_add_a_pathway_for_another_organisation_or_everyone(
    client, personas, pathways, organisation
):
    client.force_login(personas.org_admin)
    data = _new_pathway(personas, personas.other, pathways["home"].framework)
    if organisation == "none":
        data["organisation"] = ""

    response = client.post(reverse(ADD), data)

    assert response.status_code == 200
    assert not Pathway.objects.filter(name="New pathway").exists()


# --- What is saved is what is asked ------------------------------------------------------------


def test_a_competence_requirement_saved_in_the_admin_keeps_its_domains_and_competences(
    client, pathways, superuser, personas
):
    client.force_login(superuser)
    framework = pathways["home"].framework
    data = _new_pathway(
        personas,
        personas.home,
        framework,
        kind="competences_signed_off",
        title="",
        course="",
        evidence_kind="",
        amount="",
        within_months="",
        renewal_months="",
        domains=[str(CompetenceDomain.objects.get(code="1").pk)],
        competences=[str(Competence.objects.get(code="2.1").pk)],
    )

    response = client.post(reverse(ADD), data)

    assert response.status_code == 302
    requirement = Requirement.objects.get(stage__pathway__name="New pathway")
    assert [domain.code for domain in requirement.domains.all()] == ["1"]
    assert [competence.code for competence in requirement.competences.all()] == ["2.1"]


def test_a_requirement_of_a_kind_without_its_field_is_refused_in_the_admin(
    client, pathways, superuser, personas
):
    client.force_login(superuser)
    data = _new_pathway(
        personas,
        personas.home,
        pathways["home"].framework,
        kind="course_completed",
        title="",
        course="",
        evidence_kind="",
        amount="",
        within_months="",
        renewal_months="",
    )

    response = client.post(reverse(ADD), data)

    assert response.status_code == 200
    assert "This kind of requirement needs this." in response.content.decode()
    assert not Pathway.objects.filter(name="New pathway").exists()
