"""The same form sent twenty times (a double click, a reload that posts again, the back button)
is applied once: one record, one email, and each repeat lands on the page the first one led to
with a plain message. A fresh page is a fresh decision; a form shown again with its errors can
be corrected and sent. Password resets: one email per account in a few minutes."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import ModulePage, QuizAttempt
from courses.services import enrolment_create
from lms.models import (
    AuditEvent,
    ErasureRequest,
    Invitation,
    Membership,
    Role,
    SubmissionClaim,
)
from lms.retention import retention_apply
from lms.submissions import ALREADY_DONE
from mentoring.models import (
    Concern,
    ConcernResponse,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SupervisionSession,
)
from mentoring.services.care import concern_raise
from pathways.models import Competence, Evidence, Requirement, StageDecision
from pathways.services import pathway_join
from tests.courses.builders import make_course, simple_check
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.mentoring.builders import make_mentor
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

TIMES = 20
TOKEN = re.compile(r'name="submission" value="([^"]+)"')


def _token(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200, page
    found = TOKEN.findall(page.content.decode())
    assert found, f"no submission token on {url}"
    return found[-1]


def _send_repeatedly(client, capture, url, data, times=TIMES):
    with capture(execute=True):
        return [client.post(url, data) for _ in range(times)]


def _landed_on_the_same_page(client, answers):
    """Every answer sends the person to one page, which then says plainly that nothing more
    was done."""
    assert {answer.status_code for answer in answers} == {302}
    assert len({answer.url for answer in answers}) == 1
    page = client.get(answers[-1].url)
    assert page.status_code == 200
    assert ALREADY_DONE in html.unescape(page.content.decode())


def _sent_to(mailoutbox, email) -> int:
    return len([message for message in mailoutbox if message.to == [email]])


# --- Pathways ---------------------------------------------------------------------------------


@pytest.fixture
def pathway(personas):
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    requirement = Requirement.objects.create(
        stage=stages(pathway)[1], kind="competences_signed_off", sort_order=0
    )
    Requirement.competences.through.objects.create(
        requirement=requirement, competence=Competence.objects.get(code="1.1")
    )
    pathway_join(user=personas.peer, pathway=pathway)
    return pathway


def _person(personas):
    return reverse("pathways:person", args=[personas.home.slug, personas.peer.pk])


def _decision_url(personas):
    return reverse("pathways:decision", args=[personas.home.slug, personas.peer.pk])


def test_not_yet_sent_twenty_times_is_recorded_once_and_emailed_once(
    client, personas, pathway, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    data = {
        "submission": _token(client, _person(personas)),
        "to_stage": stages(pathway)[1].pk,
        "outcome": StageDecision.NOT_YET,
        "note": "Let us look again after your next supervision.",
    }

    answers = _send_repeatedly(
        client, django_capture_on_commit_callbacks, _decision_url(personas), data
    )

    assert StageDecision.objects.count() == 1
    assert _sent_to(mailoutbox, personas.peer.email) == 1
    _landed_on_the_same_page(client, answers)


def test_a_fresh_page_records_a_second_not_yet_on_purpose(
    client, personas, pathway, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    for note in ("Not yet: more practice.", "Still not yet: one more month."):
        data = {
            "submission": _token(client, _person(personas)),
            "to_stage": stages(pathway)[1].pk,
            "outcome": StageDecision.NOT_YET,
            "note": note,
        }
        with django_capture_on_commit_callbacks(execute=True):
            client.post(_decision_url(personas), data)

    assert list(StageDecision.objects.order_by("pk").values_list("note", flat=True)) == [
        "Not yet: more practice.",
        "Still not yet: one more month.",
    ]


def test_a_refused_decision_keeps_its_token_so_the_corrected_one_is_recorded(
    client, personas, pathway, django_capture_on_commit_callbacks
):
    """A refusal (here: no outcome chosen) lands on the person's page with an error, and the
    same page's form, corrected, is recorded rather than told it was already sent."""
    client.force_login(personas.coordinator)
    token = _token(client, _person(personas))
    fields = {"submission": token, "to_stage": stages(pathway)[1].pk, "note": "Not yet."}

    refused = client.post(_decision_url(personas), fields, follow=True)
    assert "Choose confirm or not yet." in html.unescape(refused.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        corrected = client.post(
            _decision_url(personas), {**fields, "outcome": StageDecision.NOT_YET}, follow=True
        )

    assert ALREADY_DONE not in html.unescape(corrected.content.decode())
    assert StageDecision.objects.count() == 1


def test_evidence_sent_twenty_times_is_one_piece_of_evidence(
    client, personas, pathway, django_capture_on_commit_callbacks
):
    client.force_login(personas.peer)
    url = reverse("pathways:evidence-new")
    data = {
        "submission": _token(client, url),
        "competence": Competence.objects.get(code="1.1").pk,
        "statement": "I co-facilitated the group twice.",
    }

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert Evidence.objects.filter(user=personas.peer).count() == 1
    _landed_on_the_same_page(client, answers)


def test_a_form_shown_again_with_its_errors_can_be_corrected_and_sent(
    client, personas, pathway, django_capture_on_commit_callbacks
):
    client.force_login(personas.peer)
    url = reverse("pathways:evidence-new")
    token = _token(client, url)

    refused = client.post(url, {"submission": token, "statement": "No competence chosen."})
    assert refused.status_code == 200
    assert not Evidence.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            url,
            {
                "submission": token,
                "competence": Competence.objects.get(code="1.1").pk,
                "statement": "Now with its competence.",
            },
        )
    assert sent.status_code == 302
    assert Evidence.objects.count() == 1


# --- Mentoring --------------------------------------------------------------------------------


@pytest.fixture
def mentorship(personas):
    MentorProfile.objects.create(user=personas.mentor, organisation=personas.home, capacity=3)
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=60),
        created_at=timezone.now() - timedelta(days=60),
    )


def test_a_concern_sent_twenty_times_is_raised_once(
    client, personas, mentorship, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.mentor)
    url = reverse("mentoring:concern-new", args=[mentorship.pk])
    data = {
        "submission": _token(client, url),
        "kind": Concern.WELLBEING,
        "description": "They seemed very low this week.",
    }
    mailoutbox.clear()

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert Concern.objects.count() == 1
    assert _sent_to(mailoutbox, personas.coordinator.email) <= 1
    _landed_on_the_same_page(client, answers)


def test_what_was_done_about_a_concern_sent_twenty_times_is_recorded_once(
    client, personas, mentorship, django_capture_on_commit_callbacks
):
    concern = concern_raise(
        mentorship=mentorship, by=personas.mentor, kind=Concern.WELLBEING, description="Low."
    )
    client.force_login(personas.coordinator)
    url = reverse("mentoring:concern", args=[personas.home.slug, concern.pk])
    data = {"submission": _token(client, url), "action_taken": "Phoned them; all is well."}

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert ConcernResponse.objects.filter(concern=concern).count() == 1
    _landed_on_the_same_page(client, answers)


def test_a_session_logged_twenty_times_is_one_session(
    client, personas, mentorship, django_capture_on_commit_callbacks
):
    client.force_login(personas.mentor)
    url = reverse("mentoring:session-new", args=[mentorship.pk])
    data = {
        "submission": _token(client, url),
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "duration_minutes": "60",
        "format": "online",
        "topics": ["wellbeing"],
        "summary": "We talked about boundaries.",
        "private_notes": "",
        "action1_description": "",
        "action1_owner": "mentee",
        "action1_due_on": "",
        "action2_description": "",
        "action2_owner": "mentee",
        "action2_due_on": "",
        "action3_description": "",
        "action3_owner": "mentee",
        "action3_due_on": "",
    }

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert SupervisionSession.objects.filter(mentorship=mentorship).count() == 1
    _landed_on_the_same_page(client, answers)


def test_a_request_to_a_mentor_sent_twenty_times_is_one_request_and_one_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    client.force_login(personas.peer)
    url = reverse("mentoring:request-new", args=[maya.pk])
    data = {"submission": _token(client, url), "message": "I would like to learn from you."}

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert MentorRequest.objects.filter(trainee=personas.peer).count() == 1
    assert _sent_to(mailoutbox, maya.user.email) == 1
    _landed_on_the_same_page(client, answers)


# --- Courses ----------------------------------------------------------------------------------


def test_a_knowledge_check_sent_twenty_times_from_one_page_is_one_attempt(
    client, personas, django_capture_on_commit_callbacks
):
    course = make_course("Safe Practice", modules=1, bodies=[[simple_check()]])
    module = ModulePage.objects.child_of(course).get()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    check = module.knowledge_checks()[0]
    data = {"submission": _token(client, module.url)}
    for question in check.value["questions"].bound_blocks:
        data[f"q-{question.id}"] = [question.value["answers"].bound_blocks[0].id]
    url = reverse("courses:check-submit", args=[module.pk, check.id])

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert QuizAttempt.objects.count() == 1
    _landed_on_the_same_page(client, answers)


# --- The kernel -------------------------------------------------------------------------------


def test_an_invitation_sent_again_twenty_times_from_one_page_is_one_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory(organisation=personas.home, invited_by=personas.coordinator)
    client.force_login(personas.coordinator)
    members = reverse("lms:members", args=[personas.home.slug])
    data = {"submission": _token(client, members)}
    url = reverse("lms:invitation-resend", args=[personas.home.slug, invitation.pk])

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert _sent_to(mailoutbox, invitation.email) == 1
    _landed_on_the_same_page(client, answers)


def test_an_invitation_sent_twenty_times_from_one_page_is_one_invitation_and_one_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    url = reverse("lms:invite", args=[personas.home.slug])
    data = {"submission": _token(client, url), "email": "robin@example.org", "role": Role.PEER}

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert Invitation.objects.filter(email="robin@example.org").count() == 1
    assert _sent_to(mailoutbox, "robin@example.org") == 1
    _landed_on_the_same_page(client, answers)


def test_a_role_added_twenty_times_is_one_role_and_one_audit_event(client, personas):
    client.force_login(personas.org_admin)
    url = reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk])

    answers = [client.post(url, {"role": Role.MENTOR}) for _ in range(TIMES)]

    assert {answer.status_code for answer in answers} == {302}
    assert (
        Membership.objects.active()
        .filter(user=personas.peer, organisation=personas.home, role=Role.MENTOR)
        .count()
        == 1
    )
    added = AuditEvent.objects.filter(action="membership.added", subject_user=personas.peer)
    assert added.count() == 1


def test_an_erasure_confirmed_twenty_times_from_one_page_is_scheduled_once(
    client, personas, django_capture_on_commit_callbacks
):
    lee = UserFactory(email="lee.leaver@example.org", display_name="Lee Leaver")
    MembershipFactory(
        user=lee,
        organisation=personas.home,
        role=Role.PEER,
        active_from=timezone.localdate() - timedelta(days=90),
        active_to=timezone.localdate() - timedelta(days=7),
    )
    client.force_login(personas.org_admin)
    url = reverse("lms:erasure-confirm", args=[personas.home.slug, lee.pk])
    data = {"submission": _token(client, url), "reason": "Left", "confirm_email": lee.email}

    answers = _send_repeatedly(client, django_capture_on_commit_callbacks, url, data)

    assert ErasureRequest.objects.filter(person=lee).count() == 1
    assert AuditEvent.objects.filter(action="lms.erasure.requested").count() == 1
    _landed_on_the_same_page(client, answers)


def test_a_password_reset_asked_twenty_times_sends_one_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("lms:password-reset")

    answers = _send_repeatedly(
        client, django_capture_on_commit_callbacks, url, {"email": personas.peer.email}
    )

    assert _sent_to(mailoutbox, personas.peer.email) == 1
    assert {answer.url for answer in answers} == {reverse("lms:password-reset-done")}


def test_another_reset_email_can_be_had_after_a_few_minutes(
    client, personas, mailoutbox, django_capture_on_commit_callbacks, settings, monkeypatch
):
    url = reverse("lms:password-reset")
    _send_repeatedly(
        client, django_capture_on_commit_callbacks, url, {"email": personas.peer.email}, times=2
    )
    later = timezone.now() + timedelta(minutes=settings.PASSWORD_RESET_ACCOUNT_GAP_MINUTES + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    _send_repeatedly(
        client, django_capture_on_commit_callbacks, url, {"email": personas.peer.email}, times=1
    )

    assert _sent_to(mailoutbox, personas.peer.email) == 2


def test_used_submission_tokens_are_forgotten_after_a_day(client, personas, pathway):
    client.force_login(personas.coordinator)
    data = {
        "submission": _token(client, _person(personas)),
        "to_stage": stages(pathway)[1].pk,
        "outcome": StageDecision.NOT_YET,
        "note": "",
    }
    client.post(_decision_url(personas), data)
    assert SubmissionClaim.objects.count() == 1

    removed = retention_apply(now=timezone.now() + timedelta(hours=25))

    assert removed["used form submission tokens"] == 1
    assert not SubmissionClaim.objects.exists()


# --- Without a token (an older page, a script) -------------------------------------------------


def test_the_same_not_yet_sent_again_without_a_token_is_recorded_once(
    client, personas, pathway, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    data = {"to_stage": stages(pathway)[1].pk, "outcome": StageDecision.NOT_YET, "note": "Soon."}

    _send_repeatedly(client, django_capture_on_commit_callbacks, _decision_url(personas), data)

    assert StageDecision.objects.count() == 1
    assert _sent_to(mailoutbox, personas.peer.email) == 1


def test_the_same_evidence_sent_again_without_a_token_is_one_piece_of_evidence(
    client, personas, pathway, django_capture_on_commit_callbacks
):
    client.force_login(personas.peer)
    data = {
        "competence": Competence.objects.get(code="1.1").pk,
        "statement": "<p>I co-facilitated the <b>group</b>.</p>",
    }

    _send_repeatedly(
        client, django_capture_on_commit_callbacks, reverse("pathways:evidence-new"), data
    )

    assert Evidence.objects.filter(user=personas.peer).count() == 1
