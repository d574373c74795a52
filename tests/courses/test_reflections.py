"""Reflections: a peer's own words, cleaned, private unless they share them with their mentor, and
never shown to coordinators, mentors (unless shared) or editors."""

import csv
import html
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import (
    REFLECTION_MAX_CHARACTERS,
    REFLECTION_UNDO_DAYS,
    Reflection,
    ReflectionShare,
)
from courses.selectors import live_modules
from courses.services import (
    enrolment_create,
    reflection_delete,
    reflection_save,
    reflection_share,
)
from lms.retention import retention_apply
from mentoring.models import Mentorship
from tests.courses.builders import make_course, reflection_prompt, text
from tests.reports import body, xlsx_download

pytestmark = pytest.mark.django_db

PRIVATE_WORDS = "When I was unwell I felt nobody listened to me."


class Journal:
    """A one-module course with one reflection prompt."""

    def __init__(self, personas, *, enrol=True):
        self.prompt = reflection_prompt("What does being listened to mean to you?")
        self.course = make_course(
            "Listening Well", modules=1, bodies=[[text("<p>Listening.</p>"), self.prompt]]
        )
        self.module = live_modules(course=self.course).get()
        if enrol:
            enrolment_create(user=personas.peer, course=self.course)

    @property
    def url(self):
        return reverse("courses:reflection-save", args=[self.module.pk, self.prompt["id"]])

    @property
    def field(self):
        return f"{self.prompt['id']}-body"

    def write(self, client, body, **kwargs):
        return client.post(self.url, {self.field: body}, **kwargs)

    def textarea(self, response):
        soup = BeautifulSoup(response.content.decode(), "html.parser")
        return soup.find("textarea", attrs={"name": self.field}).get_text().strip()


@pytest.fixture
def journal(personas, client):
    client.force_login(personas.peer)
    return Journal(personas)


def _text(response):
    return html.unescape(response.content.decode())


def _saved(personas, journal, body=f"<p>{PRIVATE_WORDS}</p>"):
    return reflection_save(
        user=personas.peer, module=journal.module, prompt_id=journal.prompt["id"], body=body
    )


# --- Writing -----------------------------------------------------------------------------------


def _plain(fragment):
    """The words of some HTML, as a reader sees them."""
    return " ".join(BeautifulSoup(fragment, "html.parser").get_text(" ").split())


def _assert_harmless(fragment):
    """No element that runs script: no <script>, no on* handler, no javascript: link."""
    soup = BeautifulSoup(fragment, "html.parser")
    for element in soup.find_all(True):
        assert element.name not in {"script", "iframe", "object", "embed", "img"}, element
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), element
            assert "javascript:" not in str(value).lower(), element


def test_saved_reflection_is_private_by_default_and_says_so(client, personas, journal):
    response = journal.write(client, PRIVATE_WORDS, follow=True)

    assert response.redirect_chain[-1][0].startswith(journal.module.url)
    assert "Your reflection is saved. Only you can see it." in _text(response)
    reflection = Reflection.objects.get()
    assert reflection.user == personas.peer
    assert _plain(reflection.body) == PRIVATE_WORDS
    assert reflection.prompt == "What does being listened to mean to you?"
    assert not reflection.shares.exists()
    assert "private to you" in _text(response)


ATTACK = (
    '<p onclick="steal()">Mine</p><script>alert("x")</script>'
    '<a href="javascript:alert(1)">link</a><img src=x onerror=alert(1)>'
)


def test_saved_reflection_cannot_carry_scripts_or_event_handlers(client, journal):
    journal.write(client, ATTACK)

    body = Reflection.objects.get().body
    _assert_harmless(body)
    assert "Mine" in _plain(body)


def test_reflection_is_shown_harmless_on_the_list_and_module_pages(client, journal):
    journal.write(client, ATTACK)

    for url in (reverse("courses:reflections"), journal.module.url):
        soup = BeautifulSoup(client.get(url).content.decode(), "html.parser")
        assert not any("alert" in script.get_text() for script in soup.find_all("script")), url
        assert not soup.select("[onclick], [onerror]"), url
        assert not soup.select('a[href^="javascript:"]'), url
        assert "Mine" in soup.get_text(), url


def test_saving_again_updates_the_one_reflection(client, journal):
    journal.write(client, "First thoughts.")

    journal.write(client, "Second thoughts.")

    assert [_plain(body) for body in Reflection.objects.values_list("body", flat=True)] == [
        "Second thoughts."
    ]


def test_saved_reflection_is_shown_again_in_the_textarea(client, journal):
    journal.write(client, PRIVATE_WORDS)

    response = client.get(journal.module.url)

    assert PRIVATE_WORDS in journal.textarea(response)


def test_reflection_of_exactly_the_limit_is_saved(client, journal):
    body = "a" * REFLECTION_MAX_CHARACTERS

    journal.write(client, body)

    assert _plain(Reflection.objects.get().body) == body


def test_reflection_over_20000_characters_is_refused_and_the_text_is_kept(client, journal):
    body = "I kept writing. " * 1250 + "The end."  # 20,008 characters
    assert len(body) == 20_008

    response = journal.write(client, body)

    assert response.status_code == 200
    page = _text(response)
    assert "Your reflection is 20,008 characters long. Shorten it to 20,000 or fewer." in page
    assert journal.textarea(response) == body.strip()
    assert not Reflection.objects.exists()


def test_too_long_update_keeps_the_saved_reflection_unchanged(client, journal):
    journal.write(client, "Short and saved.")

    journal.write(client, "x" * 20_001)

    assert _plain(Reflection.objects.get().body) == "Short and saved."


def test_very_long_reflection_is_told_the_real_limit_and_the_text_is_kept(client, journal):
    body = "y" * 45_000

    response = journal.write(client, body)

    page = _text(response)
    assert "Shorten it to 20,000 or fewer." in page
    assert journal.textarea(response) == body
    assert not Reflection.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "\n\n"])
def test_empty_reflection_is_refused_with_a_message(client, journal, body):
    response = journal.write(client, body)

    assert response.status_code == 200
    assert "Write your reflection before saving it." in _text(response)
    assert not Reflection.objects.exists()


def test_reflection_at_an_unknown_prompt_is_refused_with_a_message(client, journal):
    url = reverse("courses:reflection-save", args=[journal.module.pk, "no-such-prompt"])

    response = client.post(url, {"no-such-prompt-body": "Words."}, follow=True)

    assert response.status_code == 200
    assert "That reflection prompt" in _text(response)
    assert not Reflection.objects.exists()


def test_reflection_on_a_course_not_enrolled_on_is_refused(client, personas):
    client.force_login(personas.peer)
    journal = Journal(personas, enrol=False)

    response = journal.write(client, "<p>Words.</p>", follow=True)

    assert response.redirect_chain == [(journal.course.url, 302)]
    assert "Enrol on Listening Well to write reflections in it." in _text(response)
    assert not Reflection.objects.exists()


def test_reflection_by_get_is_refused(client, journal):
    assert client.get(journal.url).status_code == 405
    assert not Reflection.objects.exists()


# --- Sharing, listing, deleting ------------------------------------------------------------------


def _share(client, reflection, shared, **kwargs):
    return client.post(
        reverse("courses:reflection-share", args=[reflection.pk]),
        {"shared": "yes" if shared else "no", **kwargs},
        follow=True,
    )


@pytest.fixture
def mentored(personas):
    """Pat has Mo as their mentor today."""
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now(),
    )


def test_peer_shares_a_reflection_with_their_mentor_and_stops_again(
    client, personas, journal, mentored
):
    reflection = _saved(personas, journal)

    shared = _share(client, reflection, True)
    assert reflection.shares.get(ended_at=None).shared_with == personas.mentor
    assert "Mo Mentor can now read this reflection" in _text(shared)
    assert "Shared with Mo Mentor since" in _text(shared)

    unshared = _share(client, reflection, False)
    assert not reflection.shares.filter(ended_at=None).exists()
    assert "This reflection is private to you again." in _text(unshared)


def test_sharing_from_the_module_page_returns_to_the_module(client, personas, journal, mentored):
    reflection = _saved(personas, journal)

    response = _share(client, reflection, True, next=journal.module.url)

    assert response.redirect_chain[0][0] == journal.module.url


def test_sharing_never_redirects_to_another_site(client, personas, journal):
    reflection = _saved(personas, journal)

    response = client.post(
        reverse("courses:reflection-share", args=[reflection.pk]),
        {"shared": "yes", "next": "https://evil.example/phish"},
    )

    assert response.status_code == 302
    assert "evil.example" not in response.url


def test_reflections_are_listed_in_one_place_with_their_prompt(client, personas, journal):
    _saved(personas, journal)
    second = make_course(
        "Boundaries",
        modules=1,
        bodies=[[reflection_prompt("Where do you draw the line?")]],
    )
    module = live_modules(course=second).get()
    enrolment_create(user=personas.peer, course=second)
    reflection_save(
        user=personas.peer,
        module=module,
        prompt_id=module.reflection_prompts()[0].id,
        body="<p>At my own wellbeing.</p>",
    )

    page = _text(client.get(reverse("courses:reflections")))

    assert PRIVATE_WORDS in page
    assert "At my own wellbeing." in page
    assert "What does being listened to mean to you?" in page
    assert "Where do you draw the line?" in page
    assert page.count("Private to you") == 2


def test_reflection_list_shows_only_my_own(client, personas, journal):
    _saved(personas, journal)
    client.force_login(personas.other_peer)

    page = _text(client.get(reverse("courses:reflections")))

    assert PRIVATE_WORDS not in page
    assert "You have not written any reflections yet." in page


def test_reflection_list_needs_sign_in(client, personas, journal):
    _saved(personas, journal)
    client.logout()

    response = client.get(reverse("courses:reflections"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login"))


def test_peer_deletes_their_reflection(client, personas, journal):
    reflection = _saved(personas, journal)
    url = reverse("courses:reflection-delete", args=[reflection.pk])

    # The button leads to a page saying what will happen; that alone deletes nothing.
    asked = client.post(url)
    asked_by_link = client.get(url)

    assert asked.status_code == asked_by_link.status_code == 200
    assert "Delete this reflection?" in _text(asked_by_link)
    assert f"bring it back from Your reflections for {REFLECTION_UNDO_DAYS} days" in _text(asked)
    assert Reflection.objects.filter(pk=reflection.pk).exists()

    response = client.post(url, {"confirm": "yes"}, follow=True)

    assert f"Your reflection on {journal.module.title} has been deleted." in _text(response)
    assert not Reflection.objects.exists()
    assert PRIVATE_WORDS not in _text(client.get(journal.module.url))


def test_a_deleted_reflection_can_be_brought_back_for_a_while(client, personas, journal):
    reflection = _saved(personas, journal)
    client.post(reverse("courses:reflection-delete", args=[reflection.pk]), {"confirm": "yes"})

    listing = _text(client.get(reverse("courses:reflections")))
    assert "Recently deleted" in listing
    assert reverse("courses:reflection-restore", args=[reflection.pk]) in listing
    assert PRIVATE_WORDS not in listing  # listed by its prompt, never its words

    response = client.post(reverse("courses:reflection-restore", args=[reflection.pk]), follow=True)

    assert "is back. It is private to you." in _text(response)
    assert PRIVATE_WORDS in _text(response)
    assert Reflection.objects.get(pk=reflection.pk).deleted_at is None


def test_undo_ends_with_its_period_and_the_retention_sweep_removes_it(client, personas, journal):
    reflection = _saved(personas, journal)
    client.post(reverse("courses:reflection-delete", args=[reflection.pk]), {"confirm": "yes"})
    long_ago = timezone.now() - timedelta(days=REFLECTION_UNDO_DAYS, minutes=1)
    Reflection.all_objects.filter(pk=reflection.pk).update(deleted_at=long_ago)

    assert "Recently deleted" not in _text(client.get(reverse("courses:reflections")))
    restore = client.post(reverse("courses:reflection-restore", args=[reflection.pk]))
    assert restore.status_code == 404
    assert Reflection.all_objects.get(pk=reflection.pk).deleted_at == long_ago

    assert retention_apply()["deleted reflections"] == 1
    assert not Reflection.all_objects.filter(pk=reflection.pk).exists()
    assert retention_apply()["deleted reflections"] == 0


def test_a_reflection_still_in_its_undo_period_is_kept_by_the_sweep(personas, journal):
    reflection = _saved(personas, journal)
    reflection_delete(reflection=reflection)

    assert retention_apply()["deleted reflections"] == 0
    assert Reflection.all_objects.filter(pk=reflection.pk).exists()


def test_deleting_a_shared_reflection_hides_it_from_the_mentor_at_once(
    client, personas, journal, mentored
):
    reflection = _saved(personas, journal)
    reflection_share(reflection=reflection)

    asked = _text(client.get(reverse("courses:reflection-delete", args=[reflection.pk])))
    assert f"{personas.mentor} can no longer read it." in asked

    client.post(reverse("courses:reflection-delete", args=[reflection.pk]), {"confirm": "yes"})

    assert not ReflectionShare.objects.filter(reflection=reflection, ended_at=None).exists()
    client.force_login(personas.mentor)
    mentor_url = reverse("mentoring:mentee-reflections", args=[personas.peer.pk])
    assert client.get(mentor_url).status_code == 200
    mentor_page = _text(client.get(mentor_url))
    assert PRIVATE_WORDS not in mentor_page

    # Undo brings it back private: the mentor still cannot read it.
    client.force_login(personas.peer)
    client.post(reverse("courses:reflection-restore", args=[reflection.pk]))
    client.force_login(personas.mentor)
    assert PRIVATE_WORDS not in _text(client.get(mentor_url))


def test_writing_again_at_the_prompt_replaces_a_deleted_reflection(client, personas, journal):
    reflection = _saved(personas, journal)
    reflection_delete(reflection=reflection)

    again = _saved(personas, journal, body="<p>New words.</p>")

    assert again.pk != reflection.pk
    assert list(Reflection.all_objects.values_list("pk", flat=True)) == [again.pk]


@pytest.mark.parametrize("who", ["other_peer", "mentor", "coordinator", "org_admin", "editor"])
def test_nobody_else_can_bring_back_my_deleted_reflection(client, personas, journal, who):
    reflection = _saved(personas, journal)
    reflection_delete(reflection=reflection)
    client.force_login(getattr(personas, who))

    response = client.post(reverse("courses:reflection-restore", args=[reflection.pk]))
    asked = client.get(reverse("courses:reflection-delete", args=[reflection.pk]))

    assert response.status_code == asked.status_code == 404
    assert Reflection.all_objects.get(pk=reflection.pk).deleted_at is not None


@pytest.mark.parametrize("who", ["other_peer", "mentor", "coordinator", "org_admin", "editor"])
@pytest.mark.parametrize("action", ["share", "delete"])
def test_nobody_else_can_share_or_delete_my_reflection(client, personas, journal, who, action):
    reflection = _saved(personas, journal)
    client.force_login(getattr(personas, who))

    response = client.post(
        reverse(f"courses:reflection-{action}", args=[reflection.pk]), {"shared": "yes"}
    )

    assert response.status_code == 404
    assert list(Reflection.objects.values_list("pk", flat=True)) == [reflection.pk]
    assert not ReflectionShare.objects.exists()


def test_share_and_delete_by_get_are_refused(client, personas, journal):
    """A GET never acts: sharing refuses it; deleting answers with its confirmation page."""
    reflection = _saved(personas, journal)

    assert client.get(reverse("courses:reflection-share", args=[reflection.pk])).status_code == 405
    asked = client.get(reverse("courses:reflection-delete", args=[reflection.pk]))
    assert asked.status_code == 200
    assert "Delete this reflection?" in _text(asked)
    assert Reflection.objects.count() == 1
    assert not ReflectionShare.objects.exists()


# --- Nobody else sees them ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["mentor", "coordinator", "org_admin", "editor"])
def test_others_never_see_a_peers_reflection_on_their_pages(
    client, personas, journal, mentored, who
):
    reflection = _saved(personas, journal)
    reflection_share(reflection=reflection)  # shared, and still not shown on these pages
    client.force_login(getattr(personas, who))
    urls = ["/", reverse("courses:reflections"), journal.course.url]

    for url in urls:
        assert PRIVATE_WORDS not in _text(client.get(url)), url


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_learner_records_and_their_exports_never_include_reflections(
    client, personas, journal, who, django_capture_on_commit_callbacks
):
    _saved(personas, journal)
    client.force_login(getattr(personas, who))
    url = reverse("courses:learner-records", args=[personas.home.slug])

    page = client.get(url)
    exported_csv = body(client.get(url, {"export": "csv"})).decode()
    exported_xlsx = body(xlsx_download(client, url, {}, django_capture_on_commit_callbacks))

    assert "Pat Peer" in _text(page)
    assert PRIVATE_WORDS not in _text(page)
    rows = list(csv.reader(io.StringIO(exported_csv)))
    assert any("Pat Peer" in row for row in rows)
    assert PRIVATE_WORDS not in exported_csv
    sheet = load_workbook(io.BytesIO(exported_xlsx)).active
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Pat Peer" in cells
    assert not any(PRIVATE_WORDS in cell for cell in cells)
