"""Records belong to an organisation's context (docs/privacy.md, "A person in two organisations").

Pat Peer has been at Home Org for a month: evidence, a sign-off, a certificate and a course there.
Today Pat also joins Other Org. Other Org's staff see what Pat does from today, and what Pat did
before only if Pat shares it; Home Org's staff keep seeing everything. Pat is told at the
invitation, and can change their mind on their account page.
"""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from courses.models import Certificate, CourseCompletion, Enrolment
from lms.models import AuditEvent, HistoryShare, Invitation, Role
from lms.services import invitation_token
from pathways.models import Evidence
from pathways.services import evidence_submit, pathway_join
from tests.courses.builders import make_course
from tests.factories import MembershipFactory
from tests.pathways.builders import make_framework, make_pathway

pytestmark = pytest.mark.django_db

OLD_STATEMENT = "Old statement: I supported a budget holder at Home."
NEW_STATEMENT = "New statement: my first week at Other."


def _text(response) -> str:
    """What a person reads on the page, with the markup and line breaks folded away."""
    words = BeautifulSoup(response.content.decode(), "html.parser").get_text(" ")
    return " ".join(words.split())


def _html(response) -> str:
    return html.unescape(response.content.decode())


def _days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def history(personas):
    """Pat's month at Home (records dated ten days ago), then Pat joins Other today."""
    pat = personas.peer
    framework = make_framework()
    pathway_join(user=pat, pathway=make_pathway(framework=framework, organisation=personas.home))
    old = evidence_submit(
        user=pat, competence=framework.competences.first(), statement=OLD_STATEMENT
    )
    Evidence.objects.filter(pk=old.pk).update(submitted_at=_days_ago(10))
    course = make_course("Listening Well", modules=1)
    enrolment = Enrolment.objects.create(user=pat, course=course, enrolled_at=_days_ago(10))
    completion = CourseCompletion.objects.create(enrolment=enrolment, completed_at=_days_ago(9))
    certificate = Certificate.objects.create(
        completion=completion, user=pat, course=course, code="OLDCERT123", issued_at=_days_ago(9)
    )
    MembershipFactory(
        user=pat, organisation=personas.other, role=Role.PEER, active_from=timezone.localdate()
    )
    new = evidence_submit(
        user=pat, competence=framework.competences.last(), statement=NEW_STATEMENT
    )
    return {"old": old, "new": new, "certificate": certificate, "course": course}


def _review_link(evidence):
    return reverse("pathways:evidence-review", args=[evidence.pk])


def _pathway_page(client, organisation, person):
    """The page's markup, links included."""
    return _html(client.get(reverse("pathways:person", args=[organisation.slug, person.pk])))


def test_the_second_organisation_sees_only_what_was_done_since_joining(client, personas, history):
    client.force_login(personas.other_coordinator)

    page = _pathway_page(client, personas.other, personas.peer)
    queue = _html(client.get(reverse("pathways:evidence-queue", args=[personas.other.slug])))
    records = _text(client.get(reverse("courses:learner-records", args=[personas.other.slug])))
    page_html = _html(client.get(reverse("pathways:person", args=["other-org", personas.peer.pk])))

    assert _review_link(history["new"]) in page_html
    assert _review_link(history["old"]) not in page_html
    assert "Completed Listening Well" not in page
    assert "Earlier records stay with the organisations they were made in" in page
    assert _review_link(history["new"]) in queue
    assert _review_link(history["old"]) not in queue
    assert "OLDCERT123" not in records
    assert "Pat Peer" not in records


@pytest.mark.parametrize("view", ["evidence file", "evidence review", "certificate"])
def test_earlier_records_answer_404_to_the_second_organisation(client, personas, history, view):
    Evidence.objects.filter(pk=history["old"].pk).update(file="evidence/old.pdf")
    url = {
        "evidence file": reverse("pathways:evidence-file", args=[history["old"].pk]),
        "evidence review": reverse("pathways:evidence-review", args=[history["old"].pk]),
        "certificate": reverse("courses:certificate-download", args=["OLDCERT123"]),
    }[view]
    client.force_login(personas.other_coordinator)

    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(actor=personas.other_coordinator).exists()


def test_the_first_organisation_still_sees_everything(client, personas, history):
    client.force_login(personas.coordinator)

    page = _pathway_page(client, personas.home, personas.peer)
    review = client.get(reverse("pathways:evidence-review", args=[history["old"].pk]))

    assert _review_link(history["old"]) in page
    assert _review_link(history["new"]) in page
    assert "Completed Listening Well" in page
    assert "Earlier records stay" not in page
    assert review.status_code == 200


def test_sharing_history_opens_it_to_that_organisation_and_stopping_closes_it(
    client, personas, history
):
    client.force_login(personas.peer)
    share_url = reverse("lms:history-share", args=[personas.other.slug])

    shared = _text(client.post(share_url, {"share": "yes"}, follow=True))
    client.force_login(personas.other_coordinator)
    while_shared = _pathway_page(client, personas.other, personas.peer)
    review = client.get(reverse("pathways:evidence-review", args=[history["old"].pk]))
    client.force_login(personas.peer)
    stopped = _text(client.post(share_url, {"share": "no"}, follow=True))
    client.force_login(personas.other_coordinator)
    after = _pathway_page(client, personas.other, personas.peer)

    assert "Other Org can now see what you did before you joined them." in shared
    assert "Other Org sees all your history: you shared it on" in shared
    assert _review_link(history["old"]) in while_shared
    assert review.status_code == 200
    assert "Other Org now sees only what you have done since you joined them." in stopped
    assert _review_link(history["old"]) not in after
    actions = list(
        AuditEvent.objects.filter(action__startswith="lms.history.")
        .order_by("pk")
        .values_list("action", "organisation__slug")
    )
    assert actions == [("lms.history.shared", "other-org"), ("lms.history.unshared", "other-org")]


def test_the_account_page_says_what_each_organisation_sees(client, personas, history):
    client.force_login(personas.peer)

    page = _text(client.get(reverse("lms:account")))

    assert "Who sees your records" in page
    assert "Other Org sees what you have done since" in page
    assert "Home Org sees what you have done since" in page


@pytest.mark.parametrize("who", ["other_peer", "other_coordinator", "coordinator"])
def test_nobody_can_share_someone_elses_history(client, personas, history, who):
    client.force_login(getattr(personas, who))

    response = client.post(
        reverse("lms:history-share", args=[personas.other.slug]), {"share": "yes"}
    )

    assert response.status_code in (302, 404)
    assert not HistoryShare.objects.filter(user=personas.peer).exists()


def test_sharing_with_an_organisation_one_does_not_belong_to_is_a_404(client, personas):
    client.force_login(personas.peer)

    response = client.post(
        reverse("lms:history-share", args=[personas.other.slug]), {"share": "yes"}
    )

    assert response.status_code == 404
    assert not HistoryShare.objects.exists()


def _invite(personas, **fields):
    return Invitation.objects.create(
        organisation=personas.other,
        email=personas.peer.email,
        role=Role.PEER,
        invited_by=personas.other_org_admin,
        expires_at=timezone.now() + timedelta(days=7),
        **fields,
    )


def test_the_invitation_says_what_the_new_organisation_will_see(client, personas):
    url = reverse("lms:invitation-accept", args=[invitation_token(invitation=_invite(personas))])
    client.force_login(personas.peer)

    page = _text(client.get(url))

    assert "What Other Org will see" in page
    assert "never see your reflections, your wellness action plan" in page
    assert "What you did before today stays with the organisations you did it in (Home Org)" in page
    assert "Also let Other Org see what I did before joining" in page


@pytest.mark.parametrize(("ticked", "shared"), [(True, True), (False, False)])
def test_accepting_shares_history_only_when_the_person_ticks_the_box(
    client, personas, ticked, shared
):
    url = reverse("lms:invitation-accept", args=[invitation_token(invitation=_invite(personas))])
    client.force_login(personas.peer)

    client.post(url, {"share_history": "yes"} if ticked else {})

    assert personas.peer.memberships.filter(organisation=personas.other).exists()
    assert (
        HistoryShare.objects.filter(user=personas.peer, organisation=personas.other).exists()
        is shared
    )
