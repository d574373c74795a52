""" "I have finished this module": who may say it, what the page shows before and after, and the
modules whose editor asks for a reflection too."""

import html

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.models import (
    Certificate,
    CourseCompletion,
    ModulePage,
    ModuleProgress,
    Reflection,
)
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish, refresher_start
from tests.courses.builders import make_course, publish, reflection_prompt, simple_check, text

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


def _finish_url(module):
    return reverse("courses:module-finish", args=[module.pk])


def _one_module(**kwargs):
    course = make_course("Peer Support Basics", modules=1, **kwargs)
    return course, live_modules(course=course).get()


def _needs_reflection(body):
    course, module = _one_module(bodies=[body])
    module.requires_reflection = True
    return course, publish(module)


# --- Who may say it ---------------------------------------------------------------------------


def test_finish_url_is_the_agreed_one():
    assert reverse("courses:module-finish", args=[7]) == "/learning/modules/7/finish/"


def test_signed_out_person_is_sent_to_sign_in_and_nothing_is_written(client, personas):
    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)

    response = client.post(_finish_url(module))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lms:login"))
    assert not ModuleProgress.objects.exists()


def test_someone_not_enrolled_is_sent_to_enrol_and_nothing_is_written(client, personas):
    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.other_peer)

    response = client.post(_finish_url(module), follow=True)

    assert response.redirect_chain == [(course.url, 302)]
    assert "Enrol on Peer Support Basics before working through its modules." in _text(response)
    assert not ModuleProgress.objects.exists()
    assert not CourseCompletion.objects.exists()


def test_finishing_by_get_is_refused(client, personas):
    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    response = client.get(_finish_url(module))

    assert response.status_code == 405
    assert not ModuleProgress.objects.exists()


def test_unpublished_or_unknown_module_is_404(client, personas):
    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    module.unpublish()

    assert client.post(_finish_url(module)).status_code == 404
    assert client.post(_finish_url(ModulePage(pk=987654))).status_code == 404
    assert not ModuleProgress.objects.exists()


def test_finishing_needs_the_csrf_token(personas):
    from django.test import Client

    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.peer)

    response = client.post(_finish_url(module))

    assert response.status_code == 403
    assert not ModuleProgress.objects.exists()


# --- What the page shows ----------------------------------------------------------------------


def _finish_section(response):
    return BeautifulSoup(response.content.decode(), "html.parser").find(id="finish")


def test_the_finish_button_is_a_plain_form_under_the_content(client, personas):
    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    section = _finish_section(client.get(module.url))

    heading = section.find("h2")
    assert section["aria-labelledby"] == heading["id"]
    assert heading.get_text(strip=True) == "Finishing this module"
    form = section.find("form")
    assert form["method"] == "post" and form["action"] == _finish_url(module)
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    assert form.find("button", attrs={"type": "submit"}).get_text(strip=True) == (
        "I have finished this module"
    )
    body = BeautifulSoup(client.get(module.url).content.decode(), "html.parser")
    order = [tag.get("id") or tag.get("class")[0] for tag in body.select(".module-body, #finish")]
    assert order == ["module-body", "finish"]


def test_complete_is_said_in_words_not_only_colour(client, personas):
    course, module = _one_module()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    client.post(_finish_url(module))

    section = _finish_section(client.get(module.url))

    assert section.find("form") is None
    assert "Complete. You finished this module on" in " ".join(section.get_text(" ").split())


def test_preview_and_people_not_enrolled_see_no_finish_section(client, personas):
    course, module = _one_module()
    client.force_login(personas.peer)

    response = client.get(module.url, follow=True)

    assert _finish_section(response) is None


def test_two_checks_not_yet_passed_are_counted(client, personas):
    course, module = _one_module(bodies=[[simple_check(), simple_check()]])
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    section = _finish_section(client.get(module.url))

    assert section.find("form") is None
    assert "Pass the 2 knowledge checks above to finish this module." in section.get_text()


# --- Modules that need a reflection -----------------------------------------------------------


def test_a_module_needing_a_reflection_says_so_and_completes_once_it_is_saved(client, personas):
    prompt = reflection_prompt()
    course, module = _needs_reflection([text(), prompt])
    enrolment, _ = enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    section = _finish_section(client.get(module.url))
    assert section.find("form") is None
    assert "Save a reflection above to finish this module." in section.get_text()
    module_finish(enrolment=enrolment, module=module)
    assert ModuleProgress.objects.get().completed_at is None

    client.post(
        reverse("courses:reflection-save", args=[module.pk, prompt["id"]]),
        {f"{prompt['id']}-body": "<p>Being asked, not told.</p>"},
    )

    progress = ModuleProgress.objects.get()
    assert progress.completed_at is not None
    assert CourseCompletion.objects.filter(enrolment=enrolment).count() == 1
    assert Certificate.objects.filter(user=personas.peer).count() == 1


def test_reflection_first_then_finishing_completes_it(client, personas):
    prompt = reflection_prompt()
    course, module = _needs_reflection([text(), prompt])
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    client.get(module.url)
    client.post(
        reverse("courses:reflection-save", args=[module.pk, prompt["id"]]),
        {f"{prompt['id']}-body": "<p>Words.</p>"},
    )
    assert ModuleProgress.objects.get().completed_at is None

    client.post(_finish_url(module))

    assert ModuleProgress.objects.get().completed_at is not None


def test_a_deleted_reflection_does_not_count_and_bringing_it_back_completes_the_module(
    client, personas
):
    prompt = reflection_prompt()
    course, module = _needs_reflection([text(), prompt])
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    client.get(module.url)
    client.post(
        reverse("courses:reflection-save", args=[module.pk, prompt["id"]]),
        {f"{prompt['id']}-body": "<p>Words.</p>"},
    )
    reflection = Reflection.objects.get()
    client.post(reverse("courses:reflection-delete", args=[reflection.pk]), {"confirm": "yes"})
    client.post(_finish_url(module))
    assert ModuleProgress.objects.get().completed_at is None

    client.post(reverse("courses:reflection-restore", args=[reflection.pk]))

    assert ModuleProgress.objects.get().completed_at is not None
    assert CourseCompletion.objects.count() == 1


def test_a_check_and_a_reflection_are_both_listed_as_left(client, personas):
    course, module = _needs_reflection([simple_check(), reflection_prompt()])
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    response = client.post(_finish_url(module), follow=True)

    assert (
        "You have marked this module as finished. Pass the knowledge check above to finish "
        "this module. Save a reflection above to finish this module." in _text(response)
    )
    assert ModuleProgress.objects.get().completed_at is None


def test_a_reflection_from_an_earlier_round_does_not_count_in_a_refresher(client, personas):
    prompt = reflection_prompt()
    course, module = _needs_reflection([text(), prompt])
    enrolment, _ = enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    save = reverse("courses:reflection-save", args=[module.pk, prompt["id"]])
    client.post(save, {f"{prompt['id']}-body": "<p>First time.</p>"})
    client.post(_finish_url(module))
    assert CourseCompletion.objects.count() == 1
    refresher_start(enrolment=enrolment)

    client.post(_finish_url(module))
    assert ModuleProgress.objects.get().completed_at is None
    client.post(save, {f"{prompt['id']}-body": "<p>Second time.</p>"})

    assert ModuleProgress.objects.get().completed_at is not None
    assert CourseCompletion.objects.count() == 2


def test_editor_cannot_ask_for_a_reflection_on_a_module_without_a_prompt(personas):
    course, module = _one_module(bodies=[[text()]])
    module.requires_reflection = True

    with pytest.raises(ValidationError) as error:
        module.full_clean()

    assert "Add a reflection prompt to the module" in str(error.value)
    assert "requires_reflection" in ModulePage.get_edit_handler().get_form_class().base_fields
