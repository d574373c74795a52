"""One world with a real object behind every front-end URL, built through the services.

Pat Peer (Home Org) is mentored by Mo Mentor: an active mentorship from Pat's request, with an
agreement; a confirmed supervision session (summary, actions, Mo's private note, Pat's wellbeing
check-in and feedback) and one waiting for Pat to confirm; a concern Mo raised about Pat and a
coordinator's response; Pat's wellness plan shared with Mo; two reflections (one shared with Mo);
evidence (one piece signed off, one with a file waiting for review); a "not yet" stage decision;
a completed course with a certificate. Around them: another peer and another mentor at Home,
Home's coordinator and org admin, Other Org's coordinator, an editor and a superuser.

Every private text carries a marker nobody would write by accident (`MARKERS`), so a page that
shows it can be caught.
"""

from dataclasses import dataclass
from datetime import time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses.models import Certificate, CoursePage, Enrolment, ModulePage, Reflection
from courses.services import (
    enrolment_create,
    knowledge_check_submit,
    module_finish,
    reflection_save,
    reflection_share,
)
from lms.models import (
    DataExport,
    Invitation,
    Membership,
    Organisation,
    ReportExport,
    Role,
    User,
)
from lms.report_exports import report_export_build, report_export_request
from lms.services import (
    data_export_build,
    data_export_request,
    invitation_create,
    invitation_token,
)
from mentoring.models import (
    ActionItem,
    Concern,
    LivedExperienceVisibility,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SupervisionSession,
    WellnessPlan,
)
from mentoring.services.care import (
    concern_raise,
    concern_respond,
    wellness_plan_save,
    wellness_plan_share,
)
from mentoring.services.matching import trainee_preferences_save
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentor_request_answer,
    mentor_request_create,
    next_session_set,
)
from mentoring.services.supervision import feedback_give, session_confirm, session_log
from pathways.models import Evidence, Pathway, Stage, StageDecision
from pathways.services import (
    aspirations_save,
    evidence_review,
    evidence_submit,
    pathway_join,
    pause_start,
    stage_decide,
)
from tests.base import make_personas
from tests.courses.builders import make_course, reflection_prompt, simple_check, text
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages

# --- Markers: one per private text, and who may read it -----------------------------------------

PRIVATE_NOTE = "Marker-private-note: ask about sleep next time."
UNSHARED_REFLECTION = "Marker-unshared-reflection: this one stays with me."
SHARED_REFLECTION = "Marker-shared-reflection: choice means being asked first."
PLAN = "Marker-wellness-plan: a walk by the canal keeps me well."
CONCERN = "Marker-concern: they said they feel unsafe at home."
CONCERN_RESPONSE = "Marker-concern-response: phoned them; they are seeing their GP."
SUMMARY = "Marker-session-summary: we practised saying no to extra shifts."
ACTION = "Marker-session-action: ring the budget holder on Tuesday."
FEEDBACK = "Marker-feedback: the session really helped me."
AGREEMENT = "Marker-agreement-goals: grow in confidence with groups."
REQUEST_MESSAGE = "Marker-request-message: I would like to learn from you."
EVIDENCE = "Marker-evidence-statement: I ran the Tuesday group alone."
SIGN_OFF = "Marker-sign-off-note: clear and honest."
ASPIRATIONS = "Marker-aspirations: one day I want to lead a team."
DECISION = "Marker-stage-decision-note: one more month of shadowing."
LIVED_EXPERIENCE_FOR_STAFF = "Marker-lived-experience-for-coordinators: psychosis in my twenties."
LIVED_EXPERIENCE_PRIVATE = "Marker-lived-experience-kept-to-myself: an eating disorder."
PREFERENCES_NOTE = "Marker-preferences-note: someone who knows about debt, please."
PAUSE_NOTE = "Marker-pause-note: my mum is in hospital."
DRAFT = "Marker-draft: words an editor has not published yet."
# The check-in is a choice, not words: the page shows its label after this phrase.
CHECKIN_LABEL = "Struggling"
CHECKIN_VALUE = 1

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PDF = b"%PDF-1.4 notes from the Tuesday group"

# Persona keys, in the order the brief lists them.
ANONYMOUS = "anonymous"
PAT = "pat"
SAME_ORG_PEER = "same_org_peer"
MO = "mo"
SAME_ORG_MENTOR = "same_org_mentor"
COORDINATOR = "coordinator"
ORG_ADMIN = "org_admin"
OTHER_COORDINATOR = "other_coordinator"
EDITOR = "editor"
SUPERUSER = "superuser"
PERSONAS = (
    ANONYMOUS,
    PAT,
    SAME_ORG_PEER,
    MO,
    SAME_ORG_MENTOR,
    COORDINATOR,
    ORG_ADMIN,
    OTHER_COORDINATOR,
    EDITOR,
    SUPERUSER,
)


@dataclass
class World:
    home: Organisation
    other: Organisation
    people: dict[str, User]  # persona key -> user (everyone but ANONYMOUS)
    wen: User  # a peer waiting for Mo's answer
    course: CoursePage
    second_course: CoursePage  # nobody is enrolled: for assigning
    reflection_module: ModulePage
    check_module: ModulePage
    check_id: str
    prompt_id: str
    enrolment: Enrolment
    certificate: Certificate
    shared_reflection: Reflection
    unshared_reflection: Reflection
    mentor_profile: MentorProfile
    same_org_mentor_profile: MentorProfile
    accepted_request: MentorRequest
    pending_request: MentorRequest
    mentorship: Mentorship
    session: SupervisionSession  # confirmed, with everything
    awaiting_session: SupervisionSession  # waiting for Pat to confirm
    action: ActionItem
    concern: Concern
    plan: WellnessPlan
    evidence_signed_off: Evidence
    evidence_waiting: Evidence  # with a file
    decision: StageDecision
    pathway: Pathway
    next_stage: Stage
    invitation: Invitation
    invitation_token: str
    pat_membership: Membership
    data_export: DataExport | None = None  # Pat's, ready: see `with_data_export`
    report_export: ReportExport | None = None  # the coordinator's, ready: `with_report_export`

    @property
    def pat(self) -> User:
        return self.people[PAT]

    @property
    def mo(self) -> User:
        return self.people[MO]


def build_world() -> World:
    personas = make_personas()
    home = personas.home
    people = {
        PAT: personas.peer,
        SAME_ORG_PEER: _member(home, Role.PEER, "Sky Samepeer"),
        MO: personas.mentor,
        SAME_ORG_MENTOR: _member(home, Role.MENTOR, "Sol Samementor"),
        COORDINATOR: personas.coordinator,
        ORG_ADMIN: personas.org_admin,
        OTHER_COORDINATOR: personas.other_coordinator,
        EDITOR: personas.editor,
        SUPERUSER: UserFactory(
            email="root@example.org", display_name="Ada Root", is_superuser=True, is_staff=True
        ),
    }
    pat, mo, coordinator = people[PAT], people[MO], people[COORDINATOR]

    learning = _learning(pat)
    pathway_parts = _pathway(home, pat, mo, coordinator)
    mentoring = _mentoring(home, people)
    reflections = _reflections(pat, learning["reflection_module"], learning["prompt_ids"])
    invitation = invitation_create(
        organisation=home, email="newcomer@example.org", role=Role.PEER, invited_by=coordinator
    )
    return World(
        home=home,
        other=personas.other,
        people=people,
        **learning["fields"],
        **pathway_parts,
        **mentoring,
        **reflections,
        invitation=invitation,
        invitation_token=invitation_token(invitation=invitation),
        pat_membership=Membership.objects.get(user=pat, organisation=home, role=Role.PEER),
    )


def with_data_export(world: World) -> World:
    """Pat's "Download my data" zip, made and ready. Not in every world: it writes audit events
    and an export that tests of the request itself would count."""
    export, _ = data_export_request(user=world.pat)
    # The task would run after a commit the world never makes, so it is run here.
    world.data_export = data_export_build(export_id=export.pk)
    return world


def with_report_export(world: World) -> World:
    """A spreadsheet of Home's learning records the coordinator asked for, made and ready."""
    export, _ = report_export_request(
        user=world.people[COORDINATOR],
        organisation=world.home,
        kind="learner_records",
        filters={"course": None, "status": ""},
    )
    world.report_export = report_export_build(export_id=export.pk)
    return world


def _member(organisation, role, name) -> User:
    user = UserFactory(display_name=name)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


# --- Learning: a course Pat completed, with reflections ----------------------------------------


def _learning(pat) -> dict:
    shared_prompt, unshared_prompt = reflection_prompt("Choice?"), reflection_prompt("Alone?")
    check = simple_check()
    course = make_course(
        "Privacy Course",
        modules=2,
        bodies=[[text(), shared_prompt, unshared_prompt], [text(), check]],
    )
    reflection_module, check_module = ModulePage.objects.child_of(course).order_by("path")
    _drafts(course)
    check_module = check_module.specific
    enrolment, _ = enrolment_create(user=pat, course=course)
    module_finish(enrolment=enrolment, module=reflection_module)
    module_finish(enrolment=enrolment, module=check_module)
    knowledge_check_submit(
        enrolment=enrolment,
        module=check_module,
        check_id=check["id"],
        answers=right_answers(check_module, check["id"]),
    )
    return {
        "reflection_module": reflection_module,
        "prompt_ids": (shared_prompt["id"], unshared_prompt["id"]),
        "fields": {
            "course": course,
            "reflection_module": reflection_module,
            "check_module": check_module,
            "check_id": check["id"],
            "prompt_id": shared_prompt["id"],
            "enrolment": enrolment,
            "certificate": Certificate.objects.get(user=pat, course=course),
            "second_course": make_course("Second Course", modules=1),
        },
    }


def _drafts(course) -> None:
    """A module never published, and unpublished changes to the live course: editors' work."""
    draft = ModulePage(
        title="Draft module", slug="draft-module", body=[text(f"<p>{DRAFT}</p>")], live=False
    )
    course.add_child(instance=draft)
    draft.save_revision()
    changed = CoursePage.objects.get(pk=course.pk)
    changed.summary = DRAFT
    changed.save_revision()


def right_answers(module, check_id) -> dict[str, list[str]]:
    block = next(block for block in module.knowledge_checks() if block.id == check_id)
    return {
        question.id: [
            answer.id
            for answer in question.value["answers"].bound_blocks
            if answer.value["correct"]
        ]
        for question in block.value["questions"].bound_blocks
    }


def _reflections(pat, module, prompt_ids) -> dict:
    shared_id, unshared_id = prompt_ids
    shared = reflection_save(
        user=pat, module=module, prompt_id=shared_id, body=f"<p>{SHARED_REFLECTION}</p>"
    )
    unshared = reflection_save(
        user=pat, module=module, prompt_id=unshared_id, body=f"<p>{UNSHARED_REFLECTION}</p>"
    )
    reflection_share(reflection=shared)  # to Mo, within their mentorship
    return {"shared_reflection": shared, "unshared_reflection": unshared}


# --- Pathway: evidence, a sign-off, a decision, aspirations ------------------------------------


def _pathway(home, pat, mo, coordinator) -> dict:
    pathway = make_pathway(framework=make_framework(), organisation=home)
    volunteer, trainee, _ = stages(pathway)
    pathway_join(user=pat, pathway=pathway, stage=volunteer)
    aspirations_save(user=pat, body=f"<p>{ASPIRATIONS}</p>")
    competences = list(pathway.framework.competences.order_by("order"))
    signed = evidence_submit(user=pat, competence=competences[0], statement=EVIDENCE)
    waiting = evidence_submit(
        user=pat,
        competence=competences[1],
        statement=EVIDENCE,
        upload=SimpleUploadedFile("notes.pdf", PDF),
    )
    evidence_review(
        evidence=signed, reviewer=mo, outcome=Evidence.SIGNED_OFF, note=SIGN_OFF, organisation=home
    )
    return {
        "pathway": pathway,
        "next_stage": trainee,
        "evidence_signed_off": signed,
        "evidence_waiting": waiting,
        "decision": stage_decide(
            membership=pat.pathway_memberships.get(),
            to_stage=trainee,
            outcome=StageDecision.NOT_YET,
            note=DECISION,
            by=coordinator,
            organisation=home,
        ),
    }


# --- Mentoring: a pairing with everything in it ------------------------------------------------


def _mentoring(home, people) -> dict:
    pat, mo = people[PAT], people[MO]
    profile = MentorProfile.objects.create(
        user=mo,
        organisation=home,
        specialisms=["housing"],
        capacity=4,
        lived_experience=LIVED_EXPERIENCE_FOR_STAFF,
        lived_experience_visibility=LivedExperienceVisibility.COORDINATORS,
    )
    same_org_profile = MentorProfile.objects.create(
        user=people[SAME_ORG_MENTOR],
        organisation=home,
        lived_experience=LIVED_EXPERIENCE_PRIVATE,
        lived_experience_visibility=LivedExperienceVisibility.NOBODY,
    )
    # Another peer looking for a mentor, paused for a while.
    trainee_preferences_save(user=people[SAME_ORG_PEER], notes=f"<p>{PREFERENCES_NOTE}</p>")
    pause_start(user=people[SAME_ORG_PEER], private_note=PAUSE_NOTE)
    accepted_request = mentor_request_create(trainee=pat, profile=profile, message=REQUEST_MESSAGE)
    mentor_request_answer(mentor_request=accepted_request, by=mo, accept=True)
    mentorship = Mentorship.objects.get(request=accepted_request)
    agreement_save(
        mentorship=mentorship,
        by=mo,
        goals=f"<p>{AGREEMENT}</p>",
        meeting_frequency="An hour a month",
        boundaries="<p>Email on weekdays</p>",
        confidentiality="<p>What we say stays with us, unless someone is at risk</p>",
    )
    agreement_confirm(mentorship=mentorship, by=pat)
    mentorship = agreement_confirm(mentorship=mentorship, by=mo)
    # Made and started three weeks ago (after everyone joined Home), so that sessions can be
    # logged for last week.
    three_weeks_ago = timezone.now() - timedelta(days=21)
    Mentorship.objects.filter(pk=mentorship.pk).update(
        created_at=three_weeks_ago, started_at=three_weeks_ago
    )
    mentorship.refresh_from_db()
    next_session_set(
        mentorship=mentorship,
        by=mo,
        starts_at=timezone.make_aware(
            timezone.datetime.combine(timezone.localdate() + timedelta(days=7), time(10))
        ),
        minutes=60,
    )
    session, awaiting = _sessions(mentorship, pat, mo)
    concern = concern_raise(
        mentorship=mentorship, by=mo, kind=Concern.WELLBEING, description=CONCERN
    )
    concern_respond(
        concern=concern, by=people[COORDINATOR], action_taken=CONCERN_RESPONSE, close=False
    )
    wellness_plan_save(user=pat, sections={"triggers": f"<p>{PLAN}</p>"})
    wellness_plan_share(user=pat, share=True, mentorship=mentorship)
    wen = _member(home, Role.PEER, "Wen Waiting")
    return {
        "wen": wen,
        "mentor_profile": profile,
        "same_org_mentor_profile": same_org_profile,
        "accepted_request": accepted_request,
        "pending_request": mentor_request_create(trainee=wen, profile=profile, message="Hello"),
        "mentorship": mentorship,
        "session": session,
        "awaiting_session": awaiting,
        "action": session.actions.get(),
        "concern": concern,
        "plan": WellnessPlan.objects.get(user=pat),
    }


def _sessions(mentorship, pat, mo):
    today = timezone.localdate()
    confirmed = session_log(
        mentorship=mentorship,
        by=mo,
        held_on=today - timedelta(days=7),
        duration_minutes=75,
        format="online",
        topics=["using_lived_experience"],
        summary=f"<p>{SUMMARY}</p>",
        private_notes=f"<p>{PRIVATE_NOTE}</p>",
        actions=[{"description": ACTION, "owner": pat}],
    )
    confirmed = session_confirm(session=confirmed, by=pat, wellbeing_checkin=CHECKIN_VALUE)
    feedback_give(session=confirmed, by=pat, rating=4, comment=FEEDBACK)
    awaiting = session_log(
        mentorship=mentorship,
        by=mo,
        held_on=today - timedelta(days=1),
        duration_minutes=60,
        format="in_person",
        topics=["boundaries"],
        summary="<p>Boundaries again.</p>",
        private_notes="",
        actions=[],
    )
    return SupervisionSession.objects.get(pk=confirmed.pk), awaiting
