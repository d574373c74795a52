"""Who may see and act on pathways: a permission matrix over every staff URL and every role.
Another organisation's staff get 404 (never 403), people without a staff role get 404,
anonymous people are sent to sign in, and every read of someone else's pathway or evidence is
written to the audit log."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail import hooks

from lms.models import AuditEvent, Membership, ReportExport, Role
from lms.policy import MentorRelationship
from lms.report_exports import report_export_build
from pathways.models import (
    Evidence,
    EvidenceReview,
    Pathway,
    PathwayMembership,
    StageDecision,
)
from pathways.services import evidence_submit, pathway_join
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages
from tests.reports import body

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storage = Evidence._meta.get_field("file").storage
    monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(storage.__dict__, cached, raising=False)


@pytest.fixture
def world(personas):
    """Sam Subject (a Home peer) on Home's pathway, ready for Trainee, with evidence waiting;
    Jo Joiner (a Home peer) on no pathway yet."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    sam = UserFactory(display_name="Sam Subject", email="sam@example.org")
    MembershipFactory(user=sam, organisation=personas.home, role=Role.PEER)
    jo = UserFactory(display_name="Jo Joiner", email="jo@example.org")
    MembershipFactory(user=jo, organisation=personas.home, role=Role.PEER)
    pathway_join(user=sam, pathway=pathway)
    evidence = evidence_submit(
        user=sam,
        evidence_kind="Reference",
        statement="Mine",
        upload=SimpleUploadedFile("reference.pdf", PDF),
    )
    return {"pathway": pathway, "sam": sam, "jo": jo, "evidence": evidence}


# name: (url name, method, "person" | "joiner" | "evidence" | "organisation", extra data)
VIEWS = {
    "person page": ("pathways:person", "get", "person", {}),
    "decision": ("pathways:decision", "post", "person", {"outcome": "confirmed", "confirm": "yes"}),
    "join": ("pathways:join", "post", "joiner", {}),
    "evidence file": ("pathways:evidence-file", "get", "evidence", {}),
    "evidence review page": ("pathways:evidence-review", "get", "evidence", {}),
    "evidence review": (
        "pathways:evidence-review",
        "post",
        "evidence",
        {"outcome": "signed_off", "note": "Fine"},
    ),
    "evidence queue": ("pathways:evidence-queue", "get", "organisation", {}),
    "readiness": ("pathways:readiness", "get", "organisation", {}),
    "readiness csv": ("pathways:readiness", "get", "organisation", {"export": "csv"}),
    "readiness xlsx": ("pathways:readiness", "post", "organisation", {"export": "xlsx"}),
}
SLUGGED = [name for name, (_, _, target, _) in VIEWS.items() if target != "evidence"]


def _request(client, personas, world, view, *, slug=None):
    name, method, target, extra = VIEWS[view]
    slug = slug or personas.home.slug
    args = {
        "person": [slug, world["sam"].pk],
        "joiner": [slug, world["jo"].pk],
        "evidence": [world["evidence"].pk],
        "organisation": [slug],
    }[target]
    data = dict(extra)
    if view == "decision":
        data["to_stage"] = stages(world["pathway"])[1].pk
    if view == "join":
        data["pathway"] = world["pathway"].pk
    return getattr(client, method)(reverse(name, args=args), data)


def _nothing_changed(world):
    evidence = Evidence.objects.get(pk=world["evidence"].pk)
    membership = PathwayMembership.objects.get(user=world["sam"])
    return (
        membership.stage.title == "Volunteer"
        and not StageDecision.objects.exists()
        and not PathwayMembership.objects.filter(user=world["jo"]).exists()
        and evidence.status == Evidence.SUBMITTED
        and not EvidenceReview.objects.exists()
        and not AuditEvent.objects.exists()
    )


# --- The matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_anonymous_is_sent_to_sign_in(client, personas, world, view):
    response = _request(client, personas, world, view)

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert _nothing_changed(world)


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("who", ["peer", "mentor", "editor"])
def test_people_without_a_staff_role_get_404(client, personas, world, view, who):
    client.force_login(getattr(personas, who))

    response = _request(client, personas, world, view)

    assert response.status_code == 404
    assert _nothing_changed(world)


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("who", ["other_coordinator", "other_org_admin"])
def test_another_organisations_staff_get_404_never_403(client, personas, world, view, who):
    client.force_login(getattr(personas, who))

    response = _request(client, personas, world, view)

    assert response.status_code == 404
    assert _nothing_changed(world)


@pytest.mark.parametrize("view", SLUGGED)
@pytest.mark.parametrize("who", ["other_coordinator", "other_org_admin"])
def test_another_organisations_staff_cannot_reach_home_people_through_their_own_slug(
    client, personas, world, view, who
):
    client.force_login(getattr(personas, who))

    response = _request(client, personas, world, view, slug=personas.other.slug)

    if VIEWS[view][2] in ("person", "joiner"):
        assert response.status_code == 404
    elif view == "readiness xlsx":  # their own organisation's, made in the background
        assert response.status_code == 302
        made = report_export_build(export_id=ReportExport.objects.get().pk)
        with made.file.open("rb") as xlsx:
            workbook = load_workbook(io.BytesIO(xlsx.read()))
        cells = [
            str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row
        ]
        assert "Sam Subject" not in cells
    else:  # their own organisation's pages: nothing of Home on them
        assert response.status_code == 200
        assert b"Sam Subject" not in body(response)
    assert PathwayMembership.objects.get(user=world["sam"]).stage.title == "Volunteer"
    assert not StageDecision.objects.exists()
    assert not PathwayMembership.objects.filter(user=world["jo"]).exists()


EXPECTED = {
    "person page": 200,
    "decision": 302,
    "join": 302,
    "evidence file": 200,
    "evidence review page": 200,
    "evidence review": 302,
    "evidence queue": 200,
    "readiness": 200,
    "readiness csv": 200,
    "readiness xlsx": 302,  # to the page where it is made in the background
}


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinator_and_org_admin_of_the_organisation_may(client, personas, world, view, who):
    client.force_login(getattr(personas, who))

    response = _request(client, personas, world, view)

    assert response.status_code == EXPECTED[view]


def test_a_coordinator_whose_role_ended_gets_404(client, personas, world):
    Membership.objects.filter(user=personas.coordinator).update(
        active_from=timezone.localdate() - timezone.timedelta(days=60),
        active_to=timezone.localdate(),
    )
    client.force_login(personas.coordinator)

    for view in VIEWS:
        assert _request(client, personas, world, view).status_code == 404, view
    assert _nothing_changed(world)


def test_a_person_who_left_the_organisation_is_404_on_its_pages(client, personas, world):
    Membership.objects.filter(user=world["sam"]).update(active_to=timezone.localdate())
    client.force_login(personas.coordinator)

    assert _request(client, personas, world, "person page").status_code == 404
    assert _request(client, personas, world, "evidence file").status_code == 404
    assert _request(client, personas, world, "decision").status_code == 404
    assert _nothing_changed(world)


def test_unknown_organisation_and_person_are_404(client, personas, world):
    client.force_login(personas.coordinator)

    assert client.get(reverse("pathways:readiness", args=["no-such-org"])).status_code == 404
    assert (
        client.get(reverse("pathways:person", args=[personas.home.slug, 999_999])).status_code
        == 404
    )
    assert client.get(reverse("pathways:evidence-file", args=[999_999])).status_code == 404


@pytest.mark.parametrize(
    "name", ["pathways:mine", "pathways:evidence-new", "pathways:aspirations", "pathways:pause"]
)
def test_anonymous_is_sent_to_sign_in_from_their_own_pages(client, name):
    response = (
        client.post(reverse(name))
        if name in ("pathways:aspirations", "pathways:pause")
        else client.get(reverse(name))
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")


# --- A mentor, through the mentoring app's hook ------------------------------------------------


@pytest.fixture
def mentoring_sam(personas, world):
    """What the mentoring app plugs into the kernel: Mo Mentor mentors Sam Subject."""

    def mentor_relationship(person):
        if person.pk != world["sam"].pk:
            return None
        return MentorRelationship(
            mentor_id=personas.mentor.pk,
            mentor_name=str(personas.mentor),
            organisation_id=personas.home.pk,
            key="test:sam",
            started_at=timezone.now(),
        )

    with hooks.register_temporarily("mentor_relationship", mentor_relationship):
        yield


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("person page", 200),
        ("evidence file", 200),
        ("evidence review page", 200),
        ("decision", 404),
        ("join", 404),
        ("readiness", 404),
        ("evidence queue", 404),
    ],
)
def test_their_mentor_sees_their_pathway_and_evidence_but_decides_nothing(
    client, personas, world, mentoring_sam, view, expected
):
    client.force_login(personas.mentor)

    response = _request(client, personas, world, view)

    assert response.status_code == expected
    assert PathwayMembership.objects.get(user=world["sam"]).stage.title == "Volunteer"
    assert not StageDecision.objects.exists()


def test_a_mentor_of_someone_else_still_gets_404(client, personas, world, mentoring_sam):
    other = UserFactory(display_name="Not Mentored")
    MembershipFactory(user=other, organisation=personas.home, role=Role.PEER)
    client.force_login(personas.mentor)

    response = client.get(reverse("pathways:person", args=[personas.home.slug, other.pk]))

    assert response.status_code == 404


# --- Audit -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "action"),
    [
        ("person page", "pathways.progress.read"),
        ("evidence file", "pathways.evidence.read"),
        ("evidence review page", "pathways.evidence.read"),
    ],
)
@pytest.mark.parametrize("who", ["coordinator", "org_admin", "mentor"])
def test_every_read_of_someone_elses_pathway_or_evidence_is_audited(
    client, personas, world, mentoring_sam, view, action, who
):
    client.force_login(getattr(personas, who))

    _request(client, personas, world, view)
    _request(client, personas, world, view)

    events = list(AuditEvent.objects.all())
    assert len(events) == 2
    for event in events:
        assert (event.action, event.actor, event.subject_user) == (
            action,
            getattr(personas, who),
            world["sam"],
        )


def test_reading_your_own_evidence_is_not_audited(client, personas, world):
    client.force_login(world["sam"])

    response = client.get(reverse("pathways:evidence-file", args=[world["evidence"].pk]))

    assert response.status_code == 200
    assert not AuditEvent.objects.exists()


def test_refused_reads_write_nothing_to_the_audit_log(client, personas, world):
    client.force_login(personas.other_coordinator)

    for view in ("person page", "evidence file", "evidence review page"):
        _request(client, personas, world, view)

    assert not AuditEvent.objects.exists()


def test_pathways_of_another_organisation_are_never_offered_to_join(client, personas, world):
    make_pathway(
        framework=world["pathway"].framework, organisation=personas.other, name="Their pathway"
    )
    client.force_login(personas.coordinator)

    response = client.get(reverse("pathways:person", args=[personas.home.slug, world["jo"].pk]))

    assert "Their pathway" not in response.content.decode()
    assert Pathway.objects.filter(name="Their pathway").exists()
