"""Deleting or unpublishing course content in the Wagtail admin never destroys learner records or
certificates (issue 11, docs/records.md). Tried through the admin's own views as a superuser."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from courses.models import (
    Certificate,
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModulePage,
    ModuleProgress,
    Reflection,
)
from courses.selectors import live_modules
from pathways.models import Requirement
from tests.courses.builders import course_index, make_course
from tests.factories import UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Certificate._meta.get_field("pdf"), "storage", storage)
    return storage


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="root@example.org", is_superuser=True, is_staff=True))
    return client


class Learning:
    """Pat completed "Safe Practice" (certificate with its PDF) and reflected on its module."""

    def __init__(self, personas):
        self.course = make_course("Safe Practice", modules=1)
        self.module = live_modules(course=self.course).get()
        self.enrolment = Enrolment.objects.create(user=personas.peer, course=self.course)
        ModuleProgress.objects.create(enrolment=self.enrolment, module=self.module)
        completion = CourseCompletion.objects.create(enrolment=self.enrolment)
        self.certificate = Certificate.objects.create(
            completion=completion,
            user=personas.peer,
            course=self.course,
            course_title=self.course.title,
            code="SAFEPRACTICE1",
        )
        self.certificate.pdf.save("safe.pdf", ContentFile(b"%PDF-1.4 certificate"))
        self.reflection = Reflection.objects.create(
            user=personas.peer,
            module=self.module,
            module_title=self.module.title,
            prompt_id="p",
            prompt="What did you learn?",
            body="<p>To listen first.</p>",
        )

    def all_kept(self) -> bool:
        return (
            Enrolment.objects.filter(pk=self.enrolment.pk).exists()
            and ModuleProgress.objects.filter(enrolment=self.enrolment).count() == 1
            and CourseCompletion.objects.filter(enrolment=self.enrolment).count() == 1
            and Certificate.objects.filter(pk=self.certificate.pk, course=self.course).exists()
            and Reflection.objects.filter(pk=self.reflection.pk, module=self.module).exists()
        )


@pytest.fixture
def learning(personas):
    return Learning(personas)


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def _delete(client, page):
    return client.post(reverse("wagtailadmin_pages:delete", args=[page.pk]), follow=True)


def _still_verifiable(client, personas, learning):
    client.logout()
    verify = client.get(reverse("courses:certificate-verify", args=[learning.certificate.code]))
    assert verify.status_code == 200
    assert "Safe Practice" in verify.content.decode()
    client.force_login(personas.peer)
    pdf = client.get(reverse("courses:certificate-download", args=[learning.certificate.code]))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("which", ["course", "module", "course index"])
def test_deleting_course_content_with_learner_records_is_refused(
    admin_client, personas, learning, which
):
    page = {
        "course": learning.course,
        "module": learning.module,
        "course index": course_index(),
    }[which]

    asked = admin_client.get(reverse("wagtailadmin_pages:delete", args=[page.pk]), follow=True)
    response = _delete(admin_client, page)

    for answer in (asked, response):
        assert "Unpublish it instead: 1 learner has records on it" in _messages(answer)
    assert type(page).objects.filter(pk=page.pk).exists()
    assert learning.all_kept()
    _still_verifiable(admin_client, personas, learning)


def test_bulk_deleting_a_course_with_learner_records_is_refused(admin_client, personas, learning):
    response = admin_client.post(
        f"/admin/bulk/wagtailcore/page/delete/?id={learning.course.pk}", follow=True
    )

    assert "Nothing was deleted" in _messages(response)
    assert CoursePage.objects.filter(pk=learning.course.pk).exists()
    assert learning.all_kept()


def test_a_course_a_pathway_requires_is_refused_with_the_reason(admin_client, personas):
    course = make_course("Required reading", modules=1)
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    Requirement.objects.create(stage=stages(pathway)[1], kind="course_completed", course=course)

    response = _delete(admin_client, course)

    assert "Required reading cannot be deleted" in _messages(response)
    assert CoursePage.objects.filter(pk=course.pk).exists()


def test_course_content_nobody_has_used_can_still_be_deleted(admin_client, personas, learning):
    unused = make_course("Draft idea", modules=2)
    module_ids = list(ModulePage.objects.child_of(unused).values_list("pk", flat=True))

    _delete(admin_client, unused)

    assert not CoursePage.objects.filter(pk=unused.pk).exists()
    assert not ModulePage.objects.filter(pk__in=module_ids).exists()
    assert learning.all_kept()


def test_unpublishing_a_course_and_its_module_keeps_everything(admin_client, personas, learning):
    for page in (learning.module, learning.course):
        response = admin_client.post(
            reverse("wagtailadmin_pages:unpublish", args=[page.pk]), follow=True
        )
        assert response.status_code == 200

    assert not CoursePage.objects.get(pk=learning.course.pk).live
    assert learning.all_kept()
    _still_verifiable(admin_client, personas, learning)
    page = admin_client.get(reverse("courses:reflections")).content.decode()
    assert "To listen first." in page
    assert "Safe Practice module 1" in page
