"""The pathway loop end to end, through the same doors people use: the framework comes in by the
management command, a peer completes a course, sends evidence that their coordinator signs off,
the system proposes the next stage, the coordinator confirms, and the readiness page and its
XLSX export show the peer at the new stage."""

from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import CoursePage, ModulePage
from pathways.models import (
    CompetenceDomain,
    CompetenceFramework,
    Evidence,
    Pathway,
    PathwayMembership,
    Requirement,
    Stage,
)
from tests.courses.builders import make_course
from tests.reports import body, private_files, xlsx_download  # noqa: F401

pytestmark = pytest.mark.django_db

STATEMENT_KIND = "lived-experience statement"


def _pathway(framework, course):
    pathway = Pathway.objects.create(name="Peer worker career pathway", framework=framework)
    volunteer = Stage.objects.create(pathway=pathway, title="Aspiring peer", sort_order=0)
    trainee = Stage.objects.create(pathway=pathway, title="Trainee peer worker", sort_order=1)
    Requirement.objects.create(stage=trainee, kind="course_completed", course=course, sort_order=0)
    Requirement.objects.create(
        stage=trainee, kind="evidence", evidence_kind=STATEMENT_KIND, sort_order=1
    )
    competences = Requirement.objects.create(
        stage=trainee, kind="competences_signed_off", sort_order=2
    )
    competences.domains.set(CompetenceDomain.objects.filter(framework=framework, code="1"))
    competences.save()
    return pathway, volunteer, trainee


def _complete_course(client, course):
    client.post(reverse("courses:enrol", args=[course.pk]))
    for module in ModulePage.objects.child_of(course).live():
        assert client.get(module.url).status_code == 200
        # Opening a module completes nothing: the peer says they have finished it.
        finished = client.post(reverse("courses:module-finish", args=[module.pk]))
        assert finished.status_code == 302


def _send_evidence(client, **fields):
    response = client.post(reverse("pathways:evidence-new"), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Evidence.objects.latest("submitted_at")


def _sign_off(client, evidence):
    response = client.post(
        reverse("pathways:evidence-review", args=[evidence.pk]),
        {"outcome": "signed_off", "note": "Clear and honest."},
    )
    assert response.status_code == 302


def test_a_peer_meets_the_requirements_and_the_coordinator_confirms_the_move(
    client, personas, django_capture_on_commit_callbacks, mailoutbox
):
    call_command(
        "import_framework", str(Path(settings.BASE_DIR) / "pathways" / "data" / "competences.csv")
    )
    framework = CompetenceFramework.objects.get(slug="peer-support")
    course = make_course("Foundations of Peer Support", modules=2)
    pathway, volunteer, trainee = _pathway(framework, CoursePage.objects.get(pk=course.pk))
    PathwayMembership.objects.create(user=personas.peer, pathway=pathway, stage=volunteer)
    readiness_url = reverse("pathways:readiness", args=[personas.home.slug])
    person_url = reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])

    client.force_login(personas.peer)
    _complete_course(client, course)
    statement = _send_evidence(
        client,
        evidence_kind=STATEMENT_KIND,
        statement="I have lived with depression since I was twenty.",
    )
    domain_one = framework.competences.filter(domain__code="1")
    pieces = [
        _send_evidence(
            client,
            competence=competence.pk,
            file=SimpleUploadedFile("notes.pdf", b"%PDF-1.4 reflective notes"),
        )
        for competence in domain_one
    ]
    page = client.get(reverse("pathways:mine")).content.decode()
    assert "Waiting for review" in page

    client.force_login(personas.coordinator)
    assert "Ready to progress (0)" in client.get(readiness_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        for evidence in [statement, *pieces]:
            _sign_off(client, evidence)
    assert len(mailoutbox) == 1 + len(pieces)

    readiness = client.get(readiness_url).content.decode()
    assert "Ready to progress (1)" in readiness
    assert PathwayMembership.objects.get(user=personas.peer).stage == volunteer  # not automatic

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk]),
            {
                "to_stage": trainee.pk,
                "outcome": "confirmed",
                "note": "Well earned.",
                "confirm": "yes",
            },
            follow=True,
        )
    assert "Pat Peer is now at Trainee peer worker." in response.content.decode()
    assert "Reached Trainee peer worker" in client.get(person_url).content.decode()
    assert PathwayMembership.objects.get(user=personas.peer).stage == trainee

    export = body(xlsx_download(client, readiness_url, {}, django_capture_on_commit_callbacks))
    people = load_workbook(BytesIO(export))["People"]
    rows = {row[0]: row for row in people.iter_rows(min_row=2, values_only=True)}
    assert rows["Pat Peer"][4] == "Trainee peer worker"
    headcount = dict(
        load_workbook(BytesIO(export))["Headcount by stage"].iter_rows(min_row=2, values_only=True)
    )
    assert headcount["Trainee peer worker"] == 1
    assert "Trainee peer worker" in client.get(readiness_url).content.decode()
