"""Every decision and every sensitive read writes exactly one audit event, with its actor, the
person it is about, the organisation and its kind; a refused attempt writes none.

Each case is done through the real page, as the person who may do it (a POST or a GET with the
test client). The events carry ids and short codes only, never anyone's words.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from courses.models import Certificate, CourseCompletion, Enrolment
from lms.models import AuditEvent, Invitation, Membership, Role
from lms.services import invitation_token
from mentoring.models import (
    WELLNESS_PLAN_SECTIONS,
    Concern,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SessionFormat,
    SupervisionSession,
)
from mentoring.services.care import concern_raise, wellness_plan_save, wellness_plan_share
from mentoring.services.supervision import session_confirm, session_log
from pathways.models import Evidence, PathwayMembership
from pathways.services import pathway_join
from tests.courses.builders import make_course
from tests.factories import InvitationFactory, UserFactory
from tests.mentoring.builders import make_mentor, make_peer
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

WORDS = "Otter-words nobody else should find in the log."
KEEPS_ME_WELL = WELLNESS_PLAN_SECTIONS[0][0]


@dataclass
class Case:
    actor: str  # the persona (or world key) who does it
    method: str
    url: str
    kind: str
    about: str | None  # whose record: a persona or world key, or None
    data: dict = field(default_factory=dict)
    organisation: str | None = "home"
    also: tuple = ()  # other decisions the same act makes (each one event of its own)
    refused_by: str | None = None  # someone who gets a 404 and writes nothing


# --- The world --------------------------------------------------------------------------------


@pytest.fixture
def world(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    framework = make_framework()
    pathway = make_pathway(framework=framework, organisation=personas.home)
    pathway_join(user=personas.peer, pathway=pathway)
    profile = MentorProfile.objects.create(user=personas.mentor, organisation=personas.home)
    long_ago = timezone.now() - timedelta(days=60)
    mentorship = Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        created_at=long_ago,
        started_at=long_ago,
        goals="<p>Confidence</p>",
        meeting_frequency="Monthly",
    )
    people = {name: getattr(personas, name) for name in vars(personas) if name[0] != "_"}
    people.update(
        free_peer=make_peer(personas.home, "Fay Free"),
        ravi=make_mentor(personas.home, "Ravi Mentor").user,
        root=UserFactory(email="root@example.org", display_name="Root", is_superuser=True),
    )
    return {
        "people": people,
        "personas": personas,
        "pathway": pathway,
        "profile": profile,
        "mentorship": mentorship,
    }


def _session(world, *, checkin=None, confirmed=False) -> SupervisionSession:
    mentorship = world["mentorship"]
    session = session_log(
        mentorship=mentorship,
        by=mentorship.mentor,
        held_on=timezone.localdate() - timedelta(days=1),
        duration_minutes=60,
        format=SessionFormat.ONLINE,
        topics=["wellbeing"],
        summary=f"<p>{WORDS}</p>",
        private_notes=f"<p>{WORDS}</p>",
        actions=[],
    )
    if confirmed:
        session_confirm(session=session, by=mentorship.trainee, wellbeing_checkin=checkin)
    return session


def _session_post(**changes):
    data = {
        "held_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "duration_minutes": "45",
        "format": SessionFormat.IN_PERSON,
        "topics": ["boundaries"],
        "summary": WORDS,
        "private_notes": WORDS,
    }
    for row in (1, 2, 3):
        data.update({f"action{row}_description": "", f"action{row}_owner": "mentee"})
    data.update(changes)
    return data


def _concern(world) -> Concern:
    mentorship = world["mentorship"]
    return concern_raise(
        mentorship=mentorship, by=mentorship.mentor, kind=Concern.WELLBEING, description=WORDS
    )


def _evidence(world) -> Evidence:
    competence = world["pathway"].framework.competences.first()
    return Evidence.objects.create(
        user=world["personas"].peer, competence=competence, statement=WORDS
    )


def _certificate(world) -> Certificate:
    peer = world["personas"].peer
    enrolment = Enrolment.objects.create(user=peer, course=make_course())
    completion = CourseCompletion.objects.create(enrolment=enrolment)
    certificate = Certificate.objects.create(
        completion=completion, user=peer, course=enrolment.course, code="code-for-the-test"
    )
    certificate.pdf.save("code-for-the-test.pdf", ContentFile(b"%PDF-1.4 test"))
    return certificate


def _request(world, *, proposal=False) -> MentorRequest:
    people = world["people"]
    return MentorRequest.objects.create(
        organisation=world["personas"].home,
        trainee=people["free_peer"],
        mentor=people["ravi"],
        proposed_by=people["coordinator"] if proposal else None,
        trainee_accepted_at=None if proposal else timezone.now(),
        respond_by=timezone.now() + timedelta(days=7),
    )


def _home(world, name, *args):
    return reverse(name, args=[world["personas"].home.slug, *args])


def _m(world, name):
    return reverse(name, args=[world["mentorship"].pk])


# --- Decisions --------------------------------------------------------------------------------


def _session_logged(w):
    return Case(
        "mentor", "post", _m(w, "mentoring:session-new"), "mentoring.session.logged", "peer",
        data=_session_post(), refused_by="other_mentor",
    )  # fmt: skip


def _session_edited(w):
    session = _session(w)
    return Case(
        "mentor", "post", reverse("mentoring:session-edit", args=[session.pk]),
        "mentoring.session.edited", "peer", data=_session_post(), refused_by="other_mentor",
    )  # fmt: skip


def _session_confirmed(w):
    session = _session(w)
    return Case(
        "peer", "post", reverse("mentoring:session-confirm", args=[session.pk]),
        "mentoring.session.confirmed", "peer", data={"answer": "right", "wellbeing_checkin": "4"},
        refused_by="other_peer",
    )  # fmt: skip


def _session_disputed(w):
    session = _session(w)
    return Case(
        "peer", "post", reverse("mentoring:session-confirm", args=[session.pk]),
        "mentoring.session.disputed", "peer", data={"answer": "wrong", "note": WORDS},
        refused_by="other_peer",
    )  # fmt: skip


def _feedback_given(w):
    session = _session(w, confirmed=True)
    return Case(
        "peer", "post", reverse("mentoring:session-feedback", args=[session.pk]),
        "mentoring.session.feedback_given", "peer", data={"rating": "3", "comment": WORDS},
        refused_by="other_peer",
    )  # fmt: skip


def _concern_raised(w):
    return Case(
        "mentor", "post", _m(w, "mentoring:concern-new"), "mentoring.concern.raised", "peer",
        data={"kind": Concern.WELLBEING, "description": WORDS}, refused_by="other_mentor",
    )  # fmt: skip


def _concern_responded(w):
    concern = _concern(w)
    return Case(
        "coordinator", "post", _home(w, "mentoring:concern", concern.pk),
        "mentoring.concern.responded", "peer", data={"action_taken": WORDS},
        refused_by="other_coordinator",
    )  # fmt: skip


def _concern_closed(w):
    concern = _concern(w)
    return Case(
        "coordinator", "post", _home(w, "mentoring:concern", concern.pk),
        "mentoring.concern.closed", "peer", data={"action_taken": WORDS, "close": "on"},
        refused_by="other_coordinator",
    )  # fmt: skip


def _plan_shared(w):
    return Case(
        "peer", "post", reverse("mentoring:wellness-plan"), "mentoring.wellness_plan.shared",
        "peer", data={KEEPS_ME_WELL: WORDS, "share": w["mentorship"].pk},
    )  # fmt: skip


def _plan_unshared(w):
    peer = w["personas"].peer
    wellness_plan_save(user=peer, sections={KEEPS_ME_WELL: f"<p>{WORDS}</p>"})
    wellness_plan_share(user=peer, share=True)
    return Case(
        "peer", "post", reverse("mentoring:wellness-plan"), "mentoring.wellness_plan.unshared",
        "peer", data={KEEPS_ME_WELL: WORDS, "share": "private"},
    )  # fmt: skip


def _request_created(w):
    ravi = MentorProfile.objects.get(user=w["people"]["ravi"])
    return Case(
        "free_peer", "post", reverse("mentoring:request-new", args=[ravi.pk]),
        "mentoring.request.create", "free_peer", data={"message": "Hello"},
        refused_by="other_peer",
    )  # fmt: skip


def _request_accepted(w):
    mentor_request = _request(w)
    return Case(
        "ravi", "post", reverse("mentoring:request-answer", args=[mentor_request.pk]),
        "mentoring.request.accept", "free_peer", data={"decision": "accept"},
        also=("mentoring.mentorship.create",), refused_by="other_mentor",
    )  # fmt: skip


def _request_declined(w):
    mentor_request = _request(w)
    return Case(
        "ravi", "post", reverse("mentoring:request-answer", args=[mentor_request.pk]),
        "mentoring.request.decline", "free_peer", data={"decision": "decline", "confirm": "yes"},
        refused_by="other_mentor",
    )  # fmt: skip


def _request_withdrawn(w):
    mentor_request = _request(w)
    return Case(
        "free_peer", "post", reverse("mentoring:request-withdraw", args=[mentor_request.pk]),
        "mentoring.request.withdraw", "free_peer", data={"confirm": "yes"},
        refused_by="other_peer",
    )  # fmt: skip


def _proposed(w):
    ravi = MentorProfile.objects.get(user=w["people"]["ravi"])
    return Case(
        "coordinator", "post", _home(w, "mentoring:propose"), "mentoring.request.propose",
        "free_peer", data={"trainee": w["people"]["free_peer"].pk, "mentor": ravi.pk,
                           "message": "You two share a lot."},
        refused_by="other_coordinator",
    )  # fmt: skip


def _agreement_changed(w):
    return Case(
        "mentor", "post", _m(w, "mentoring:agreement"), "mentoring.mentorship.agreement_change",
        "peer", data={"goals": "New goals", "meeting_frequency": "Weekly", "boundaries": "",
                      "confidentiality": ""},
        refused_by="other_mentor",
    )  # fmt: skip


def _agreement_confirmed(w):
    Mentorship.objects.filter(pk=w["mentorship"].pk).update(status=Mentorship.PROPOSED)
    return Case(
        "peer", "post", _m(w, "mentoring:agreement-confirm"), "mentoring.mentorship.confirm",
        "peer", refused_by="other_peer",
    )  # fmt: skip


def _mentorship_started(w):
    Mentorship.objects.filter(pk=w["mentorship"].pk).update(
        status=Mentorship.PROPOSED, trainee_confirmed_at=timezone.now()
    )
    return Case(
        "mentor", "post", _m(w, "mentoring:agreement-confirm"), "mentoring.mentorship.start",
        "peer", also=("mentoring.mentorship.confirm",), refused_by="other_mentor",
    )  # fmt: skip


def _paused(w):
    return Case(
        "peer", "post", _m(w, "mentoring:mentorship-pause"), "mentoring.mentorship.pause", "peer",
        refused_by="other_peer",
    )  # fmt: skip


def _resumed(w):
    Mentorship.objects.filter(pk=w["mentorship"].pk).update(status=Mentorship.PAUSED)
    return Case(
        "mentor", "post", _m(w, "mentoring:mentorship-resume"), "mentoring.mentorship.resume",
        "peer", refused_by="other_mentor",
    )  # fmt: skip


def _ended(w):
    return Case(
        "peer", "post", _m(w, "mentoring:mentorship-end"), "mentoring.mentorship.end", "peer",
        data={"reason": "goals_met", "note": WORDS}, refused_by="other_peer",
    )  # fmt: skip


def _scheduled(w):
    day = timezone.localdate() + timedelta(days=7)
    return Case(
        "mentor", "post", _m(w, "mentoring:next-session"), "mentoring.mentorship.schedule",
        "peer", data={"date": day.isoformat(), "start": "10:00", "minutes": "60", "place": ""},
        refused_by="other_mentor",
    )  # fmt: skip


def _settings_changed(w):
    return Case(
        "org_admin", "post", _home(w, "mentoring:settings"), "mentoring.settings.changed", None,
        data={"mentor_min_stage": "", "response_days": "9", "supervision_interval_days": "31",
              "weight_language": "20", "weight_specialism": "15", "weight_format": "10",
              "weight_area": "10", "weight_capacity": "5", "concern_retention_months": "24"},
        refused_by="other_org_admin",
    )  # fmt: skip


def _evidence_signed_off(w):
    evidence = _evidence(w)
    return Case(
        "coordinator", "post", reverse("pathways:evidence-review", args=[evidence.pk]),
        "pathways.evidence.signed_off", "peer", data={"outcome": "signed_off", "note": ""},
        refused_by="other_coordinator",
    )  # fmt: skip


def _evidence_more_needed(w):
    evidence = _evidence(w)
    return Case(
        "mentor", "post", reverse("pathways:evidence-review", args=[evidence.pk]),
        "pathways.evidence.more_needed", "peer", data={"outcome": "more_needed", "note": WORDS},
        refused_by="other_mentor",
    )  # fmt: skip


def _stage_not_yet(w):
    to_stage = stages(w["pathway"])[1]
    return Case(
        "coordinator", "post", _home(w, "pathways:decision", w["personas"].peer.pk),
        "pathways.stage.not_yet", "peer",
        data={"to_stage": to_stage.pk, "outcome": "not_yet", "note": WORDS},
        refused_by="other_coordinator",
    )  # fmt: skip


def _request_restored(w):
    mentor_request = _request(w)
    MentorRequest.objects.filter(pk=mentor_request.pk).update(
        status=MentorRequest.WITHDRAWN, answered_at=timezone.now()
    )
    return Case(
        "free_peer", "post", reverse("mentoring:request-restore", args=[mentor_request.pk]),
        "mentoring.request.restore", "free_peer", refused_by="other_peer",
    )  # fmt: skip


def _stage_confirmed(w):
    to_stage = stages(w["pathway"])[1]
    return Case(
        "coordinator", "post", _home(w, "pathways:decision", w["personas"].peer.pk),
        "pathways.stage.confirmed", "peer",
        data={"to_stage": to_stage.pk, "outcome": "confirmed", "note": "", "confirm": "yes"},
        refused_by="other_coordinator",
    )  # fmt: skip


def _pathway_joined(w):
    PathwayMembership.objects.filter(user=w["personas"].peer).delete()
    return Case(
        "coordinator", "post", _home(w, "pathways:join", w["personas"].peer.pk),
        "pathways.pathway.joined", "peer",
        data={"pathway": w["pathway"].pk, "stage": stages(w["pathway"])[0].pk},
        refused_by="other_coordinator",
    )  # fmt: skip


def _course_assigned(w):
    course = make_course()
    return Case(
        "coordinator", "post", _home(w, "courses:assign"), "courses.enrolment.assigned", "peer",
        data={"course": course.pk, "person": w["personas"].peer.pk},
        refused_by="other_coordinator",
    )  # fmt: skip


def _certificate_name_shown(w):
    certificate = _certificate(w)
    return Case(
        "peer", "post", reverse("courses:certificate-show-name", args=[certificate.code]),
        "courses.certificate.name_shown", "peer", data={"show_name": "yes"},
        refused_by="other_peer",
    )  # fmt: skip


def _role_added(w):
    return Case(
        "org_admin", "post", _home(w, "lms:membership-add", w["personas"].peer.pk),
        "membership.added", "peer", data={"role": Role.MENTOR}, refused_by="other_org_admin",
    )  # fmt: skip


def _role_ended(w):
    membership = Membership.objects.get(user=w["personas"].mentor)
    Membership.objects.filter(pk=membership.pk).update(
        active_from=timezone.localdate() - timedelta(days=30)
    )
    return Case(
        "org_admin", "post", _home(w, "lms:membership-end", membership.pk), "membership.ended",
        "mentor", data={"confirm": "yes"}, refused_by="other_org_admin",
    )  # fmt: skip


def _role_restored(w):
    membership = Membership.objects.get(user=w["personas"].mentor)
    Membership.objects.filter(pk=membership.pk).update(
        active_from=timezone.localdate() - timedelta(days=30), active_to=timezone.localdate()
    )
    return Case(
        "org_admin", "post", _home(w, "lms:membership-restore", membership.pk),
        "membership.restored", "mentor", refused_by="other_org_admin",
    )  # fmt: skip


def _invited(w):
    return Case(
        "coordinator", "post", _home(w, "lms:invite"), "invitation.created", None,
        data={"email": "new.peer@example.org", "display_name": "", "role": Role.PEER},
        refused_by="other_coordinator",
    )  # fmt: skip


def _invitation_resent(w):
    invitation = InvitationFactory(organisation=w["personas"].home, role=Role.PEER)
    return Case(
        "coordinator", "post", _home(w, "lms:invitation-resend", invitation.pk),
        "invitation.resent", None, refused_by="other_coordinator",
    )  # fmt: skip


def _invitation_withdrawn(w):
    invitation = InvitationFactory(organisation=w["personas"].home, role=Role.PEER)
    return Case(
        "coordinator", "post", _home(w, "lms:invitation-withdraw", invitation.pk),
        "invitation.withdrawn", None, data={"confirm": "yes"}, refused_by="other_coordinator",
    )  # fmt: skip


def _exported_records(w):
    return Case(
        "coordinator", "get", _home(w, "courses:learner-records"), "courses.learner_records.read",
        None, data={"export": "csv"}, refused_by="other_coordinator",
    )  # fmt: skip


def _exported_readiness(w):
    return Case(
        "coordinator", "post", _home(w, "pathways:readiness"), "pathways.readiness.read", None,
        data={"export": "xlsx"}, refused_by="other_coordinator",
    )  # fmt: skip


def _admin_role_added(w):
    return Case(
        "root", "post", "/admin/memberships/new/", "membership.added", "free_peer",
        data={"user": w["people"]["free_peer"].pk, "organisation": w["personas"].home.pk,
              "role": Role.MENTOR, "active_from": timezone.localdate().isoformat(),
              "active_to": ""},
    )  # fmt: skip


def _admin_superuser_granted(w):
    person = w["people"]["free_peer"]
    return Case(
        "root", "post", f"/admin/users/edit/{person.pk}/", "user.access_changed", "free_peer",
        data={"email": person.email, "display_name": person.display_name, "pronouns": "",
              "is_active": "on", "is_superuser": "on", "password1": "", "password2": ""},
        organisation=None,
    )  # fmt: skip


DECISIONS = {
    "session logged": _session_logged,
    "session edited": _session_edited,
    "session confirmed": _session_confirmed,
    "session disputed": _session_disputed,
    "feedback given": _feedback_given,
    "concern raised": _concern_raised,
    "concern responded": _concern_responded,
    "concern closed": _concern_closed,
    "wellness plan shared": _plan_shared,
    "wellness plan unshared": _plan_unshared,
    "request sent": _request_created,
    "request accepted": _request_accepted,
    "request declined": _request_declined,
    "request withdrawn": _request_withdrawn,
    "request withdrawal undone": _request_restored,
    "pairing proposed": _proposed,
    "agreement changed": _agreement_changed,
    "agreement confirmed": _agreement_confirmed,
    "mentorship started": _mentorship_started,
    "mentorship paused": _paused,
    "mentorship resumed": _resumed,
    "mentorship ended": _ended,
    "next session planned": _scheduled,
    "mentoring settings changed": _settings_changed,
    "evidence signed off": _evidence_signed_off,
    "more evidence asked": _evidence_more_needed,
    "stage: not yet": _stage_not_yet,
    "stage: confirmed": _stage_confirmed,
    "put on a pathway": _pathway_joined,
    "course assigned": _course_assigned,
    "certificate name shown": _certificate_name_shown,
    "role added": _role_added,
    "role ended": _role_ended,
    "role ending undone": _role_restored,
    "invitation sent": _invited,
    "invitation resent": _invitation_resent,
    "invitation withdrawn": _invitation_withdrawn,
    "learner records exported": _exported_records,
    "readiness exported": _exported_readiness,
    "role added in the admin": _admin_role_added,
    "superuser granted in the admin": _admin_superuser_granted,
}


# --- Sensitive reads --------------------------------------------------------------------------


def _concern_read(w):
    concern = _concern(w)
    return Case(
        "coordinator", "get", _home(w, "mentoring:concern", concern.pk),
        "mentoring.concern.read", "peer", refused_by="other_coordinator",
    )  # fmt: skip


def _concern_list(w):
    _concern(w)
    return Case(
        "coordinator", "get", _home(w, "mentoring:concerns"), "mentoring.concern_list.read",
        None, refused_by="other_coordinator",
    )  # fmt: skip


def _concern_panel(w):
    _concern(w)
    return Case("coordinator", "get", "/", "mentoring.concern_panel.read", None)


def _propose_page(w):
    return Case(
        "coordinator", "get", _home(w, "mentoring:propose"), "mentoring.propose_page.read", None,
        refused_by="other_coordinator",
    )  # fmt: skip


def _evidence_queue(w):
    _evidence(w)
    return Case(
        "coordinator", "get", _home(w, "pathways:evidence-queue"),
        "pathways.evidence_queue.read", None, refused_by="other_coordinator",
    )  # fmt: skip


def _evidence_read(w):
    evidence = _evidence(w)
    return Case(
        "coordinator", "get", reverse("pathways:evidence-review", args=[evidence.pk]),
        "pathways.evidence.read", "peer", refused_by="other_coordinator",
    )  # fmt: skip


def _pathway_read(w):
    return Case(
        "coordinator", "get", _home(w, "pathways:person", w["personas"].peer.pk),
        "pathways.progress.read", "peer", refused_by="other_coordinator",
    )  # fmt: skip


def _session_read(w):
    session = _session(w, checkin=2, confirmed=True)
    return Case(
        "mentor", "get", reverse("mentoring:session", args=[session.pk]),
        "mentoring.session.read", "peer", refused_by="other_mentor",
    )  # fmt: skip


def _plan_read(w):
    peer = w["personas"].peer
    wellness_plan_save(user=peer, sections={KEEPS_ME_WELL: f"<p>{WORDS}</p>"})
    wellness_plan_share(user=peer, share=True)
    return Case(
        "mentor", "get", reverse("mentoring:mentee-plan", args=[peer.pk]),
        "mentoring.wellness_plan.read", "peer", refused_by="other_mentor",
    )  # fmt: skip


def _reflections_read(w):
    peer = w["personas"].peer
    return Case(
        "mentor", "get", reverse("mentoring:mentee-reflections", args=[peer.pk]),
        "mentoring.reflections.read", "peer", refused_by="other_mentor",
    )  # fmt: skip


def _certificate_read(w):
    certificate = _certificate(w)
    return Case(
        "coordinator", "get", reverse("courses:certificate-download", args=[certificate.code]),
        "courses.certificate.read", "peer", refused_by="other_coordinator",
    )  # fmt: skip


def _records_read(w):
    return Case(
        "coordinator", "get", _home(w, "courses:learner-records"), "courses.learner_records.read",
        None, refused_by="other_coordinator",
    )  # fmt: skip


def _readiness_read(w):
    return Case(
        "coordinator", "get", _home(w, "pathways:readiness"), "pathways.readiness.read", None,
        refused_by="other_coordinator",
    )  # fmt: skip


def _coverage_read(w):
    return Case(
        "coordinator", "get", _home(w, "mentoring:coverage"), "mentoring.coverage.read", None,
        refused_by="other_coordinator",
    )  # fmt: skip


def _audit_log_read(w):
    return Case(
        "org_admin", "get", _home(w, "lms:audit-log"), "audit.log.read", None,
        refused_by="other_org_admin",
    )  # fmt: skip


def _audit_log_exported(w):
    return Case(
        "org_admin", "get", _home(w, "lms:audit-log"), "audit.log.exported", None,
        data={"export": "csv"}, refused_by="other_org_admin",
    )  # fmt: skip


READS = {
    "a concern": _concern_read,
    "the concerns list": _concern_list,
    "the dashboard's concerns panel": _concern_panel,
    "the propose page": _propose_page,
    "the evidence queue": _evidence_queue,
    "a piece of evidence": _evidence_read,
    "a person's pathway": _pathway_read,
    "a session with a wellbeing check-in": _session_read,
    "a shared wellness plan": _plan_read,
    "a mentee's shared reflections": _reflections_read,
    "a certificate": _certificate_read,
    "learning records": _records_read,
    "workforce readiness": _readiness_read,
    "supervision coverage": _coverage_read,
    "the audit log": _audit_log_read,
    "the audit log as CSV": _audit_log_exported,
}

CASES = {**DECISIONS, **READS}


# --- The tests --------------------------------------------------------------------------------


def _last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _do(client, world, case: Case, who: str):
    client.force_login(world["people"][who])
    response = getattr(client, case.method)(case.url, case.data)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize("name", list(CASES))
def test_it_writes_exactly_one_event_with_actor_subject_and_organisation(client, world, name):
    case = CASES[name](world)
    before = _last_pk()

    response = _do(client, world, case, case.actor)

    assert response.status_code in {200, 302}, response.content.decode()[:3000]
    new = list(AuditEvent.objects.filter(pk__gt=before).select_related("organisation"))
    mine = [event for event in new if event.action == case.kind]
    assert len(mine) == 1, [event.action for event in new]
    event = mine[0]
    people = world["people"]
    assert event.actor == people[case.actor]
    assert event.subject_user == (people[case.about] if case.about else None)
    expected_organisation = getattr(world["personas"], case.organisation or "", None)
    assert event.organisation == expected_organisation
    # Any other decision the act makes is one event of its own kind. A decision records only
    # itself (reviewing evidence is not also "reading" it); a page read may show other pages'
    # reads alongside (the dashboard's panels).
    others = [e.action for e in new if e is not event]
    if case.method == "get":
        others = [action for action in others if not action.endswith(".read")]
    assert sorted(others) == sorted(case.also)
    # Ids and short codes only: nobody's words reach the log.
    assert all(WORDS not in str(e.detail) for e in new)


@pytest.mark.parametrize("name", list(CASES))
def test_a_refused_attempt_is_a_404_and_writes_nothing(client, world, name):
    case = CASES[name](world)
    if case.refused_by is None:
        pytest.skip("Nobody else can try this: it acts on the signed-in person's own record.")
    before = _last_pk()

    response = _do(client, world, case, case.refused_by)

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(pk__gt=before).exists()


def test_the_panel_writes_nothing_when_there_is_no_concern_to_show(client, world):
    before = _last_pk()
    client.force_login(world["personas"].coordinator)
    assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(pk__gt=before, action__contains="concern").exists()


def test_reading_twice_writes_two_events_and_a_decision_repeated_writes_one(client, world):
    concern = _concern(world)
    client.force_login(world["personas"].coordinator)
    url = _home(world, "mentoring:concerns")
    client.get(url)
    client.get(url)
    reads = AuditEvent.objects.filter(action="mentoring.concern_list.read")
    assert reads.count() == 2
    assert reads.first().detail == {"concerns": [concern.pk]}

    session = _session(world)
    client.force_login(world["personas"].peer)
    confirm = reverse("mentoring:session-confirm", args=[session.pk])
    client.post(confirm, {"answer": "right"})
    client.post(confirm, {"answer": "right"})
    assert AuditEvent.objects.filter(action="mentoring.session.confirmed").count() == 1


def test_an_invitation_accepted_is_one_event_for_the_new_member(client, world):
    invitation = InvitationFactory(organisation=world["personas"].home, role=Role.PEER)
    before = _last_pk()
    response = client.post(
        reverse("lms:invitation-accept", args=[invitation_token(invitation=invitation)]),
        {
            "display_name": "Nia New",
            "password1": "a-long-password-for-testing",
            "password2": "a-long-password-for-testing",
        },
    )
    assert response.status_code == 302
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert [event.action for event in events] == ["invitation.accepted"]
    assert events[0].subject_user.display_name == "Nia New"
    assert events[0].organisation == world["personas"].home
    assert not Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).exists()
