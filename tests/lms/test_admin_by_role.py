"""The Wagtail admin, walked as each role: editor, organisation admin, coordinator, superuser.

What each person can open is read from the admin itself (Wagtail's menu for their request, and
every admin url pattern), so a new menu item or viewset is walked without editing this file.
What they must not see is checked on the pages they are shown: learner names for editors,
another organisation's pathway and people for an organisation admin, draft course titles for
anyone who cannot edit courses. Shared pathways (no organisation) are read-only to organisation
admins and say so.
"""

import json
import re

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.admin.menu import SubmenuMenuItem, admin_menu
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.log_actions import log
from wagtail.models import Collection
from wagtail_factories import ImageFactory

from courses.models import CoursePage, ModulePage
from lms.services import audit_record
from pathways.admin_policies import SHARED_PATHWAY_NOTICE
from pathways.models import Pathway
from tests.courses.builders import course_index, make_course
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import add_requirement, make_framework, make_pathway

pytestmark = pytest.mark.django_db

DRAFT_COURSE = "Secret draft course"
DRAFT_MODULE = "Secret draft module"
PATHWAY = "wagtailsnippets_pathways_pathway"
CHOOSER = "wagtailsnippetchoosers_pathways_pathway"
# Every person's name and email below belongs to someone an editor must never see, and the
# "other" ones to people an organisation admin of Home Org must never see.
LEARNER_MARKERS = ["Pat Peer", "peer@example.org", "Oz Peer", "Mo Mentor", "sensitive.read"]
OTHER_ORG_MARKERS = ["Other pathway", "Orla Admin", "Oz Peer", "Ode Coordinator"]
DRAFT_MARKERS = [DRAFT_COURSE, DRAFT_MODULE, "draft-handout"]


# --- The world every role is walked through ----------------------------------------------------


@pytest.fixture
def world(personas, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    superuser = UserFactory(email="root@example.org", display_name="Root", is_superuser=True)
    framework = make_framework()
    pathways = {
        "home": make_pathway(framework=framework, organisation=personas.home, name="Home pathway"),
        "other": make_pathway(
            framework=framework, organisation=personas.other, name="Other pathway"
        ),
        "shared": make_pathway(framework=framework, name="Shared pathway"),
    }
    # Another organisation's admin worked on their pathway: its history names them.
    log(pathways["other"], "wagtail.edit", user=personas.other_org_admin)
    audit_record(actor=personas.coordinator, action="sensitive.read", subject_user=personas.peer)
    MembershipFactory(user=personas.mentor, organisation=personas.other)
    with django_capture_on_commit_callbacks(execute=True):
        live_course = make_course("Live course", modules=1)
        # Another organisation's pathway asks for the live course: the course's usage names it.
        requirement = add_requirement(
            pathways["other"].stages.first(), "course_completed", course=live_course
        )
        requirement.stage.pathway.save()
        document = _document("draft-handout.txt")
        draft_course = _draft_course(document)
        image = ImageFactory(title="course-figure", collection=Collection.get_first_root_node())
    return {
        "personas": personas,
        "superuser": superuser,
        "framework": framework,
        "pathways": pathways,
        "live_course": live_course,
        "draft_course": draft_course,
        "draft_module": draft_course.get_children().get(),
        "document": document,
        "image": image,
    }


def _document(filename):
    document = get_document_model()(title=filename.rsplit(".", 1)[0])
    document.file.save(filename, ContentFile(b"Draft handout words."), save=False)
    document.save()
    return document


def _draft_course(document) -> CoursePage:
    """An unpublished course whose description links to `document`, with one draft module."""
    course = CoursePage(
        title=DRAFT_COURSE,
        slug="secret-draft-course",
        summary="Not yet published.",
        description=f'<p><a linktype="document" id="{document.pk}">The handout</a></p>',
        level=1,
        estimated_hours=1,
        live=False,
    )
    course_index().add_child(instance=course)
    course.save_revision()
    module = ModulePage(title=DRAFT_MODULE, slug="secret-draft-module", body=[], live=False)
    course.add_child(instance=module)
    module.save_revision()
    return CoursePage.objects.get(pk=course.pk)


def _person(world, who):
    return world["superuser"] if who == "superuser" else getattr(world["personas"], who)


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _leaks(text, markers) -> list[str]:
    return [marker for marker in markers if marker in text]


# --- The menu: every item opens ----------------------------------------------------------------


def _menu_items(request, items=None):
    """(label, url) for every item Wagtail's menu shows this request, submenus included."""
    found = []
    for item in admin_menu.menu_items_for_request(request) if items is None else items:
        if isinstance(item, SubmenuMenuItem):
            found += _menu_items(request, item.menu.menu_items_for_request(request))
        elif item.url.startswith("/"):
            found.append((str(item.label), item.url))
    return found


def _menu_for(client, user):
    client.force_login(user)
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    return _menu_items(dashboard.wsgi_request)


@pytest.mark.parametrize("who", ["editor", "org_admin", "superuser"])
def test_every_menu_item_opens_without_a_refusal(client, world, who):
    menu = _menu_for(client, _person(world, who))

    refused = {}
    for label, url in menu:
        response = client.get(url)
        if response.status_code != 200:
            refused[label] = (url, response.status_code, response.get("Location"))
    assert menu
    assert refused == {}


def test_the_editors_menu_holds_content_and_no_learner_data(client, world):
    labels = {label for label, _ in _menu_for(client, world["personas"].editor)}

    assert {"Pages", "Documents", "Images"} <= labels
    assert not labels & {"Users", "Groups", "Audit log", "Memberships", "Organisations"}
    assert not labels & {"Pathways", "Competence frameworks", "Import a framework", "Forms"}


def test_the_org_admins_menu_holds_pathways_only(client, world):
    labels = {label for label, _ in _menu_for(client, world["personas"].org_admin)}

    assert "Pathways" in labels
    assert not labels & {"Import a framework", "Competence frameworks", "Users", "Audit log"}
    assert not labels & {"Pages", "Documents", "Images", "Memberships", "Organisations"}


def test_a_superuser_can_import_frameworks(client, world):
    labels = {label for label, _ in _menu_for(client, world["superuser"])}

    assert {"Import a framework", "Competence frameworks", "Pathways", "Users"} <= labels


def test_a_coordinator_is_sent_to_sign_in_rather_than_shown_the_admin(client, world):
    client.force_login(world["personas"].coordinator)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# --- Every admin url, as every role -----------------------------------------------------------


def _admin_routes():
    """Every admin url pattern, as a route string with <converter:name> placeholders."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return sorted(
        {
            route.replace("^", "").replace("$", "")
            for route in walk(get_resolver().url_patterns, "")
            if route.startswith("admin/") and ".*" not in route and "(" not in route
        }
    )


def _fill(route, world) -> str | None:
    """The route with each placeholder filled by the most revealing object for it: another
    organisation's pathway, the draft course, the unpublished document."""
    ids = {
        "snippets/pathways/pathway": world["pathways"]["other"].pk,
        "snippets/choose/pathways/pathway": world["pathways"]["other"].pk,
        "organisations": world["personas"].other.pk,
        "memberships": world["personas"].other_peer.memberships.get().pk,
        "audit-log": 1,
        "frameworks": world["framework"].pk,
        "competences": world["framework"].competences.first().pk,
        "users": world["personas"].peer.pk,
    }
    values = {
        "app_label": "pathways",
        "model_name": "pathway",
        "action": "delete",
        "fmt": "csv",
        "page_id": world["draft_course"].pk,
        "parent_page_id": world["draft_course"].pk,
        "document_id": world["document"].pk,
        "doc_id": world["document"].pk,
        "image_id": world["image"].pk,
        "filter_spec": "original",
        "object_id": world["pathways"]["other"].pk,
    }
    model_id = next((pk for prefix, pk in ids.items() if route[6:].startswith(prefix)), None)

    def value(match):
        name = match.group(2)
        if name == "pk":
            return str(model_id or world["document"].pk)
        return str(values.get(name, 1))

    filled = re.sub(r"<(\w+:)?(\w+)>", value, route)
    # Signing out ends the walk; "failwhale" is Wagtail's deliberate error, to test error pages.
    return None if "logout" in filled or "failwhale" in filled else "/" + filled


SWEEP = {
    # who: what must never appear on any admin page they are answered
    "editor": LEARNER_MARKERS + ["Other pathway", "Home pathway"],
    "org_admin": OTHER_ORG_MARKERS + DRAFT_MARKERS + ["Pat Peer", "sensitive.read"],
    "coordinator": LEARNER_MARKERS + OTHER_ORG_MARKERS + DRAFT_MARKERS,
}


@pytest.mark.parametrize("who", SWEEP)
def test_no_admin_url_errors_or_shows_what_this_role_must_not_see(client, world, who):
    client.force_login(_person(world, who))
    client.raise_request_exception = False  # collect every error rather than stop at the first

    errors, leaks = {}, {}
    for route in _admin_routes():
        url = _fill(route, world)
        if url is None:
            continue
        response = client.get(url)
        if response.status_code >= 500:
            errors[url] = response.status_code
        if found := _leaks(_text(response), SWEEP[who]):
            leaks[url] = found
    assert errors == {}
    assert leaks == {}


def test_no_admin_url_errors_for_a_superuser(client, world):
    client.force_login(world["superuser"])
    client.raise_request_exception = False

    errors = {}
    for route in _admin_routes():
        url = _fill(route, world)
        if url and (response := client.get(url)).status_code >= 500:
            errors[url] = response.status_code
    assert errors == {}


def test_a_coordinator_reaches_no_admin_url(client, world):
    client.force_login(world["personas"].coordinator)

    answered = {}
    for route in _admin_routes():
        url = _fill(route, world)
        response = client.get(url) if url else None
        if response is not None and response.status_code == 200 and "login" not in url:
            answered[url] = response.status_code
    # Only Wagtail's static bits (icons, translations) are open without admin access.
    assert set(answered) <= {"/admin/sprite/", "/admin/jsi18n/"}


# --- Editors: content, never learner data -------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/users/", "/admin/audit-log/", "/admin/memberships/", "/admin/groups/"]
)
def test_an_editor_is_refused_people_and_the_audit_log(client, world, url):
    client.force_login(world["personas"].editor)

    response = client.get(url)

    assert response.status_code in (302, 403)
    assert _leaks(_text(response), LEARNER_MARKERS) == []


def test_an_editor_sees_no_form_submissions(client, world):
    client.force_login(world["personas"].editor)

    listing = client.get("/admin/forms/")
    submissions = client.get(f"/admin/forms/submissions/{world['draft_course'].pk}/")

    assert _leaks(_text(listing), LEARNER_MARKERS) == []
    assert submissions.status_code in (302, 403, 404)


def test_an_editor_has_no_pathway_chooser_or_bulk_action(client, world):
    client.force_login(world["personas"].editor)
    other = world["pathways"]["other"].pk

    chooser = client.get(reverse(f"{CHOOSER}:choose"))
    bulk = client.get(f"/admin/bulk/pathways/pathway/delete/?id={other}")

    assert "Other pathway" not in _text(chooser)
    assert bulk.status_code in (302, 403, 404)
    assert "Other pathway" not in _text(bulk)


# --- Organisation admins: their organisation's pathways only ----------------------------------


def _listing_names(response) -> set[str]:
    soup = BeautifulSoup(_text(response), "html.parser")
    return {
        link.get_text(strip=True)
        for link in soup.select("table.listing tbody td a")
        if link.get_text(strip=True).endswith("pathway")
    }


def test_an_org_admin_lists_their_own_and_the_shared_pathway_labelled_read_only(client, world):
    client.force_login(world["personas"].org_admin)

    response = client.get(reverse(f"{PATHWAY}:list"))

    assert _listing_names(response) == {"Home pathway", "Shared pathway"}
    assert SHARED_PATHWAY_NOTICE in _text(response)
    assert "Other Org" not in _text(response)  # not even among the filter's choices


def test_the_organisation_filter_cannot_reach_another_organisation(client, world):
    client.force_login(world["personas"].org_admin)
    other = world["personas"].other.pk

    response = client.get(reverse(f"{PATHWAY}:list") + f"?organisation={other}")

    assert "Other pathway" not in _text(response)


def _admin_links(response) -> set[str]:
    soup = BeautifulSoup(_text(response), "html.parser")
    main = soup.find("main") or soup
    return {
        link["href"].split("#")[0]
        for link in main.find_all("a", href=True)
        if link["href"].startswith("/admin/snippets/pathways/")
    }


def test_no_link_on_the_org_admins_pathway_pages_leads_to_a_refusal(client, world):
    client.force_login(world["personas"].org_admin)
    listing = client.get(reverse(f"{PATHWAY}:list"))
    shared = client.get(reverse(f"{PATHWAY}:inspect", args=[world["pathways"]["shared"].pk]))
    links = _admin_links(listing) | _admin_links(shared)

    refused = {}
    for url in links:
        response = client.get(url)
        if response.status_code != 200:
            refused[url] = response.status_code
    assert links
    assert refused == {}


def test_the_shared_pathway_reads_as_shared_and_offers_no_edit(client, world):
    client.force_login(world["personas"].org_admin)
    shared = world["pathways"]["shared"]

    page = client.get(reverse(f"{PATHWAY}:inspect", args=[shared.pk]))
    edit = client.get(reverse(f"{PATHWAY}:edit", args=[shared.pk]), follow=True)

    assert page.status_code == 200
    assert SHARED_PATHWAY_NOTICE in _text(page)
    assert reverse(f"{PATHWAY}:edit", args=[shared.pk]) not in _text(page)
    assert edit.redirect_chain[-1][0] == reverse(f"{PATHWAY}:inspect", args=[shared.pk])
    assert SHARED_PATHWAY_NOTICE in _text(edit)


def test_an_org_admin_cannot_delete_the_shared_pathway(client, world):
    client.force_login(world["personas"].org_admin)
    shared = world["pathways"]["shared"]

    client.post(reverse(f"{PATHWAY}:delete", args=[shared.pk]))
    client.post(f"/admin/bulk/pathways/pathway/delete/?id={shared.pk}")

    assert Pathway.objects.filter(pk=shared.pk).exists()


@pytest.mark.parametrize("view", ["edit", "delete", "copy", "inspect", "history", "usage"])
def test_another_organisations_pathway_is_not_found(client, world, view):
    client.force_login(world["personas"].org_admin)
    other = world["pathways"]["other"].pk
    missing = Pathway.objects.order_by("pk").last().pk + 100

    response = client.get(reverse(f"{PATHWAY}:{view}", args=[other]))
    absent = client.get(reverse(f"{PATHWAY}:{view}", args=[missing]))

    assert (response.status_code, absent.status_code) == (404, 404)
    assert _leaks(_text(response), OTHER_ORG_MARKERS) == []


def test_another_organisations_pathway_cannot_be_changed_by_posting(client, world):
    client.force_login(world["personas"].org_admin)
    other = world["pathways"]["other"]

    edit = client.post(reverse(f"{PATHWAY}:edit", args=[other.pk]), {"name": "Taken over"})
    delete = client.post(reverse(f"{PATHWAY}:delete", args=[other.pk]))

    assert (edit.status_code, delete.status_code) == (404, 404)
    other.refresh_from_db()
    assert other.name == "Other pathway"


@pytest.mark.parametrize("view", ["history", "usage", "inspect"])
def test_an_org_admin_opens_their_own_pathways_history_and_usage(client, world, view):
    client.force_login(world["personas"].org_admin)

    response = client.get(reverse(f"{PATHWAY}:{view}", args=[world["pathways"]["home"].pk]))

    assert response.status_code == 200
    assert _leaks(_text(response), OTHER_ORG_MARKERS) == []


@pytest.mark.parametrize("view", ["history", "usage"])
def test_a_superuser_opens_any_pathways_history_and_usage(client, world, view):
    client.force_login(world["superuser"])

    response = client.get(reverse(f"{PATHWAY}:{view}", args=[world["pathways"]["other"].pk]))

    assert response.status_code == 200


def test_the_pathway_chooser_offers_only_visible_pathways(client, world):
    client.force_login(world["personas"].org_admin)
    home, other = world["pathways"]["home"].pk, world["pathways"]["other"].pk

    chooser = client.get(reverse(f"{CHOOSER}:choose"))
    results = client.get(reverse(f"{CHOOSER}:choose_results"))
    chosen = client.get(reverse(f"{CHOOSER}:chosen", args=[other]))
    several = client.get(reverse(f"{CHOOSER}:chosen_multiple") + f"?id={home}&id={other}")

    assert "Home pathway" in _text(chooser)
    assert "Other pathway" not in _text(chooser) + _text(results)
    assert chosen.status_code == 404
    assert "Home pathway" in _text(several)
    assert "Other pathway" not in _text(several)


@pytest.mark.parametrize("ids", ["{other}", "{home}&id={other}"])
def test_bulk_delete_answers_404_for_another_organisations_pathway(client, world, ids):
    client.force_login(world["personas"].org_admin)
    query = ids.format(home=world["pathways"]["home"].pk, other=world["pathways"]["other"].pk)

    page = client.get(f"/admin/bulk/pathways/pathway/delete/?id={query}")
    posted = client.post(f"/admin/bulk/pathways/pathway/delete/?id={query}")

    assert (page.status_code, posted.status_code) == (404, 404)
    assert Pathway.objects.count() == 3


def test_bulk_delete_of_all_never_reaches_another_organisation(client, world):
    client.force_login(world["personas"].org_admin)

    page = client.get("/admin/bulk/pathways/pathway/delete/?id=all")
    client.post("/admin/bulk/pathways/pathway/delete/?id=all")

    assert "Other pathway" not in _text(page)
    remaining = set(Pathway.objects.values_list("name", flat=True))
    assert remaining == {"Other pathway", "Shared pathway"}


def test_an_org_admin_deletes_their_own_pathway_in_bulk(client, world):
    client.force_login(world["personas"].org_admin)
    home = world["pathways"]["home"].pk

    response = client.post(f"/admin/bulk/pathways/pathway/delete/?id={home}")

    assert response.status_code == 302
    assert not Pathway.objects.filter(pk=home).exists()


@pytest.mark.parametrize(
    "url",
    ["/admin/frameworks/", "/admin/pathways/frameworks/import/", "/admin/competences/"],
)
def test_frameworks_are_for_site_administrators(client, world, url):
    client.force_login(world["personas"].org_admin)

    refused = client.get(url)
    client.force_login(world["superuser"])
    allowed = client.get(url)

    assert refused.status_code in (302, 403)
    assert allowed.status_code == 200


# --- Drafts stay with the people who can edit them --------------------------------------------


def _chooser_titles(response) -> str:
    """The modal's html (the chooser answers JSON with the html inside)."""
    text = _text(response)
    try:
        return json.loads(text).get("html", "") + text
    except ValueError:
        return text


@pytest.mark.parametrize(
    "url",
    [
        "/admin/choose-page/",
        "/admin/choose-page/?page_type=courses.coursepage",
        "/admin/choose-page/search/?q=Secret",
        "/admin/choose-page/search/?q=Secret&page_type=courses.coursepage",
        "/admin/api/main/pages/",
        "/admin/api/main/pages/?search=Secret",
        "/admin/api/main/documents/",
        "/admin/api/main/images/",
    ],
)
def test_an_org_admin_sees_no_draft_titles_in_choosers_or_the_api(client, world, url):
    client.force_login(world["personas"].org_admin)

    response = client.get(url)

    assert response.status_code < 500
    assert _leaks(_chooser_titles(response), DRAFT_MARKERS + ["course-figure"]) == []


def test_the_page_chooser_still_offers_live_courses_to_an_org_admin(client, world):
    client.force_login(world["personas"].org_admin)
    index = world["live_course"].get_parent().pk

    response = client.get(f"/admin/choose-page/{index}/")

    assert response.status_code == 200
    assert "Live course" in _chooser_titles(response)
    assert DRAFT_COURSE not in _chooser_titles(response)


def test_browsing_into_a_draft_or_choosing_it_by_id_reveals_nothing(client, world):
    client.force_login(world["personas"].org_admin)
    draft, module = world["draft_course"].pk, world["draft_module"].pk

    browse = client.get(f"/admin/choose-page/{draft}/")
    chosen = client.get(f"/admin/choose-page/chosen-multiple/?id={draft}&id={module}")

    assert browse.status_code == 404
    assert _leaks(_chooser_titles(browse) + _chooser_titles(chosen), DRAFT_MARKERS) == []


def test_choosing_pages_by_ids_that_are_not_numbers_chooses_nothing(client, world):
    client.force_login(world["personas"].org_admin)
    live = world["live_course"].pk

    chosen = client.get(f"/admin/choose-page/chosen-multiple/?id=abc&id=1.5&id=%C2%B2&id={live}")

    assert chosen.status_code == 200
    assert "Live course" in chosen.content.decode()


def test_an_editor_sees_draft_titles_in_the_chooser_and_the_api(client, world):
    """The control: the rule hides drafts from people who cannot edit them, not from editors."""
    client.force_login(world["personas"].editor)
    draft = world["draft_course"].pk

    browse = client.get(f"/admin/choose-page/{draft}/")
    search = client.get("/admin/choose-page/search/?q=Secret")
    documents = client.get("/admin/api/main/documents/")

    assert DRAFT_MODULE in _chooser_titles(browse)
    assert DRAFT_COURSE in _chooser_titles(search)
    assert "draft-handout" in _text(documents)


# --- Documents of unpublished pages are not served --------------------------------------------


def _document_url(document) -> str:
    return f"/documents/{document.pk}/{document.filename}"


@pytest.mark.parametrize("who", ["anonymous", "peer", "org_admin"])
def test_a_document_used_only_by_a_draft_course_is_not_found(client, world, who):
    if who != "anonymous":
        client.force_login(_person(world, who))

    response = client.get(_document_url(world["document"]))

    assert response.status_code == 404
    assert "Draft handout words" not in _text(response)


def test_an_editor_can_open_the_document_of_a_draft_course(client, world):
    client.force_login(world["personas"].editor)

    response = client.get(_document_url(world["document"]))

    assert response.status_code == 200
    assert _text(response) == "Draft handout words."


def test_the_document_is_served_to_anyone_once_its_course_is_published(
    client, world, django_capture_on_commit_callbacks
):
    course = world["draft_course"]
    with django_capture_on_commit_callbacks(execute=True):
        course.get_latest_revision().publish()

    response = client.get(_document_url(world["document"]))

    assert response.status_code == 200
    assert _text(response) == "Draft handout words."


def test_a_document_used_by_no_page_is_not_served(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        unused = _document("loose-notes.txt")

    response = client.get(_document_url(unused))

    assert response.status_code == 404


def test_images_are_not_listed_to_an_org_admin_but_are_to_an_editor(client, world):
    client.force_login(world["personas"].org_admin)
    hidden = client.get("/admin/api/main/images/")
    client.force_login(world["personas"].editor)
    shown = client.get("/admin/api/main/images/")

    assert "course-figure" not in _text(hidden)
    assert "course-figure" in _text(shown)
    assert get_image_model().objects.filter(title="course-figure").exists()


def test_a_courses_usage_names_pathways_to_a_superuser_but_not_to_an_editor(client, world):
    usage = f"/admin/pages/{world['live_course'].pk}/usage/"
    client.force_login(world["superuser"])
    full = client.get(usage)
    client.force_login(world["personas"].editor)

    response = client.get(usage)

    assert "Other pathway" in _text(full)
    assert response.status_code == 200
    assert "Other pathway" not in _text(response)
