"""Nothing that guards history is lost to a delete (issue 11, docs/records.md).

`RULES` is the decision table: every foreign key in the project's own apps, with what happens to
the row when what it points at is deleted. A foreign key without a decision fails
`test_every_foreign_key_has_a_decision`, so nobody adds one without choosing. Each history-guarding
key (PROTECT) is then tried for real: deleting what it points at is refused by the database and
the record is still there, pointing at the same thing.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from courses.models import (
    Certificate,
    CourseCompletion,
    Enrolment,
    ModuleProgress,
    QuizAttempt,
    Reflection,
    ReflectionShare,
)
from courses.selectors import live_modules
from lms.models import (
    AuditEvent,
    ErasureRequest,
    HistoryShare,
    Invitation,
    Membership,
    Organisation,
    Role,
)
from mentoring.models import (
    ActionItem,
    Concern,
    ConcernResponse,
    MentorRequest,
    Mentorship,
    SessionPrivateNote,
    SupervisionSession,
)
from pathways.models import (
    Evidence,
    EvidenceReview,
    PathwayMembership,
    SignOff,
    StageDecision,
)
from tests.courses.builders import make_course
from tests.factories import UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

PROTECT, SET_NULL, CASCADE = "PROTECT", "SET_NULL", "CASCADE"

# model label -> field -> rule. The reasons are in docs/records.md, one line each.
RULES: dict[str, dict[str, str]] = {
    "lms.Membership": {"user": PROTECT, "organisation": PROTECT},
    "lms.HistoryShare": {"user": PROTECT, "organisation": PROTECT},
    "lms.AuditEvent": {"actor": PROTECT, "organisation": PROTECT, "subject_user": PROTECT},
    "lms.ErasureRequest": {
        "person": PROTECT,
        "organisation": PROTECT,
        "requested_by": PROTECT,
        "cancelled_by": PROTECT,
    },
    "lms.Invitation": {"organisation": PROTECT, "invited_by": PROTECT, "accepted_by": PROTECT},
    "lms.DataExport": {"user": CASCADE},
    "lms.ReportExport": {"requested_by": CASCADE, "organisation": CASCADE},
    "lms.SubmissionClaim": {"user": CASCADE},
    "lms.HomePage": {"page_ptr": CASCADE},
    "courses.CourseIndexPage": {"page_ptr": CASCADE},
    "courses.CoursePage": {"page_ptr": CASCADE},
    "courses.ModulePage": {"page_ptr": CASCADE},
    "courses.Enrolment": {
        "user": PROTECT,
        "course": PROTECT,
        "assigned_by": PROTECT,
        "last_module": SET_NULL,
    },
    "courses.ModuleProgress": {"enrolment": PROTECT, "module": PROTECT},
    "courses.QuizAttempt": {"enrolment": PROTECT, "module": PROTECT},
    "courses.Reflection": {"user": CASCADE, "module": SET_NULL},
    "courses.ReflectionShare": {"reflection": CASCADE, "shared_with": PROTECT},
    "courses.CourseCompletion": {"enrolment": PROTECT},
    "courses.Certificate": {"completion": PROTECT, "user": PROTECT, "course": SET_NULL},
    "mentoring.MentoringSettings": {"organisation": CASCADE, "mentor_min_stage": SET_NULL},
    "mentoring.MentorProfile": {"user": CASCADE, "organisation": CASCADE},
    "mentoring.TraineePreferences": {"user": CASCADE},
    "mentoring.MentorRequest": {
        "organisation": PROTECT,
        "trainee": PROTECT,
        "mentor": PROTECT,
        "proposed_by": PROTECT,
    },
    "mentoring.Mentorship": {
        "organisation": PROTECT,
        "trainee": PROTECT,
        "mentor": PROTECT,
        "request": SET_NULL,
        "ended_by": PROTECT,
    },
    "mentoring.SupervisionSession": {"mentorship": PROTECT, "logged_by": PROTECT},
    "mentoring.SessionPrivateNote": {"session": CASCADE, "author": PROTECT},
    "mentoring.ActionItem": {"session": CASCADE, "owner": PROTECT},
    "mentoring.SessionFeedback": {"session": CASCADE},
    "mentoring.Concern": {
        "organisation": PROTECT,
        "mentorship": PROTECT,
        "about": PROTECT,
        "raised_by": PROTECT,
    },
    "mentoring.ConcernResponse": {"concern": CASCADE, "responder": PROTECT},
    "mentoring.WellnessPlan": {"user": CASCADE, "shared_with": SET_NULL},
    "mentoring.WellnessPlanEntry": {"plan": CASCADE},
    "pathways.CompetenceDomain": {"framework": CASCADE},
    "pathways.Competence": {"framework": CASCADE, "domain": CASCADE},
    "pathways.Pathway": {"organisation": PROTECT, "framework": PROTECT},
    "pathways.Stage": {"pathway": CASCADE},
    "pathways.Requirement": {"stage": CASCADE, "course": PROTECT},
    "pathways.PathwayMembership": {"user": PROTECT, "pathway": PROTECT, "stage": PROTECT},
    "pathways.StageDecision": {
        "membership": PROTECT,
        "from_stage": PROTECT,
        "to_stage": PROTECT,
        "decided_by": PROTECT,
    },
    "pathways.WellbeingPause": {"user": CASCADE},
    "pathways.Aspirations": {"user": CASCADE},
    "pathways.Evidence": {"user": PROTECT, "competence": PROTECT},
    "pathways.EvidenceReview": {"evidence": PROTECT, "reviewer": PROTECT},
    "pathways.SignOff": {
        "user": PROTECT,
        "competence": PROTECT,
        "evidence": PROTECT,
        "signed_off_by": PROTECT,
        "withdraws": PROTECT,
    },
    "pathways.ReadinessSnapshot": {"organisation": CASCADE},
    "pathways.KeptReadiness": {
        "membership": CASCADE,
        "user": CASCADE,
        "pathway": CASCADE,
        "stage": CASCADE,
        "next_stage": SET_NULL,
    },
    "pathways.KeptRequirement": {"readiness": CASCADE, "requirement": CASCADE},
}

OUR_APPS = ("lms", "courses", "pathways", "mentoring")
RULE_OF = {models.PROTECT: PROTECT, models.SET_NULL: SET_NULL, models.CASCADE: CASCADE}


def _foreign_keys():
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                is_key = field.many_to_one or field.one_to_one
                # Keys declared here, not those a page inherits from Wagtail's Page.
                if is_key and field.concrete and field.model is model:
                    yield model, field


def test_every_foreign_key_has_a_decision():
    actual = {
        (model._meta.label, field.name): RULE_OF.get(field.remote_field.on_delete, "other")
        for model, field in _foreign_keys()
    }
    decided = {
        (label, name): rule for label, rules in RULES.items() for name, rule in rules.items()
    }
    undecided = sorted(set(actual) - set(decided))
    assert not undecided, f"Decide what happens on delete, in docs/records.md and here: {undecided}"
    assert sorted(set(decided) - set(actual)) == []
    assert {key: rule for key, rule in actual.items()} == decided


def test_the_decision_table_is_written_down():
    with open("docs/records.md", encoding="utf-8") as handle:
        written = handle.read()
    missing = [
        f"{label.split('.')[1]}.{name}"
        for label, rules in RULES.items()
        for name in rules
        if name != "page_ptr" and f"`{label.split('.')[1]}.{name}`" not in written
    ]
    assert not missing, f"docs/records.md has no row for {missing}"


# --- Each history-guarding key, tried --------------------------------------------------------


class History:
    """One of every record that guards history, among real people and content."""

    def __init__(self, personas):
        now = timezone.now()
        home = self.home = personas.home
        self.peer, self.mentor = personas.peer, personas.mentor
        self.coordinator = personas.coordinator
        self.course = make_course("Safe Practice", modules=1)
        self.module = live_modules(course=self.course).get()
        self.enrolment = Enrolment.objects.create(
            user=self.peer, course=self.course, assigned_by=self.coordinator
        )
        self.progress = ModuleProgress.objects.create(enrolment=self.enrolment, module=self.module)
        self.attempt = QuizAttempt.objects.create(
            enrolment=self.enrolment,
            module=self.module,
            check_id="c",
            correct=1,
            total=1,
            passed=True,
        )
        self.completion = CourseCompletion.objects.create(enrolment=self.enrolment)
        self.certificate = Certificate.objects.create(
            completion=self.completion,
            user=self.peer,
            course=self.course,
            course_title=self.course.title,
            code="KEPTCODE1",
        )
        self.reflection = Reflection.objects.create(
            user=self.peer, module=self.module, prompt_id="p", prompt="Why?", body="<p>Mine</p>"
        )
        self.share = ReflectionShare.objects.create(
            reflection=self.reflection, shared_with=self.mentor, relationship="mentorship:1"
        )
        self.membership = Membership.objects.get(user=self.peer, organisation=home)
        self.history_share = HistoryShare.objects.create(user=self.peer, organisation=home)
        self.event = AuditEvent.objects.create(
            actor=self.coordinator, subject_user=self.peer, organisation=home, action="x.y"
        )
        self.erasure = ErasureRequest.objects.create(
            person=UserFactory(),
            organisation=home,
            requested_by=self.coordinator,
            cancelled_by=personas.org_admin,
            cancelled_at=now,
            reason="Left",
            erase_after=now + timedelta(days=30),
        )
        self.invitation = Invitation.objects.create(
            organisation=home,
            email="someone@example.org",
            role=Role.PEER,
            invited_by=self.coordinator,
            accepted_by=self.peer,
            accepted_at=now,
            expires_at=now + timedelta(days=7),
        )
        self.request = MentorRequest.objects.create(
            organisation=home,
            trainee=self.peer,
            mentor=self.mentor,
            proposed_by=self.coordinator,
            status=MentorRequest.ACCEPTED,
            respond_by=now,
        )
        self.mentorship = Mentorship.objects.create(
            organisation=home,
            trainee=self.peer,
            mentor=self.mentor,
            status=Mentorship.ENDED,
            ended_by=self.mentor,
            ended_at=now,
        )
        self.session = SupervisionSession.objects.create(
            mentorship=self.mentorship,
            held_on=timezone.localdate(),
            duration_minutes=60,
            format="phone",
            status=SupervisionSession.CONFIRMED,
            logged_by=self.mentor,
        )
        self.note = SessionPrivateNote.objects.create(
            session=self.session, author=self.mentor, body="<p>n</p>"
        )
        self.action = ActionItem.objects.create(
            session=self.session, description="Read", owner=self.peer
        )
        self.concern = Concern.objects.create(
            organisation=home,
            mentorship=self.mentorship,
            about=self.peer,
            raised_by=self.mentor,
            kind=Concern.SAFEGUARDING,
            description="Worried",
        )
        self.response = ConcernResponse.objects.create(
            concern=self.concern, responder=self.coordinator, action_taken="Called"
        )
        framework = make_framework()
        self.pathway = make_pathway(framework=framework, organisation=home)
        first, second, _ = stages(self.pathway)
        self.place = PathwayMembership.objects.create(
            user=self.peer, pathway=self.pathway, stage=second
        )
        self.decision = StageDecision.objects.create(
            membership=self.place,
            from_stage=first,
            to_stage=second,
            outcome=StageDecision.CONFIRMED,
            decided_by=self.coordinator,
        )
        competence = framework.competences.first()
        self.evidence = Evidence.objects.create(user=self.peer, competence=competence)
        self.review = EvidenceReview.objects.create(
            evidence=self.evidence, reviewer=self.coordinator, outcome=Evidence.SIGNED_OFF
        )
        self.sign_off = SignOff.objects.create(
            user=self.peer,
            competence=competence,
            evidence=self.evidence,
            signed_off_by=self.coordinator,
        )


# (the record kept, its foreign key) for every PROTECT in RULES that guards a person's history.
GUARDS = [
    ("membership", "user"),
    ("membership", "organisation"),
    ("history_share", "user"),
    ("history_share", "organisation"),
    ("event", "actor"),
    ("event", "subject_user"),
    ("event", "organisation"),
    ("erasure", "person"),
    ("erasure", "organisation"),
    ("erasure", "requested_by"),
    ("erasure", "cancelled_by"),
    ("invitation", "organisation"),
    ("invitation", "invited_by"),
    ("invitation", "accepted_by"),
    ("enrolment", "user"),
    ("enrolment", "course"),
    ("enrolment", "assigned_by"),
    ("progress", "enrolment"),
    ("progress", "module"),
    ("attempt", "enrolment"),
    ("attempt", "module"),
    ("completion", "enrolment"),
    ("certificate", "completion"),
    ("certificate", "user"),
    ("share", "shared_with"),
    ("request", "organisation"),
    ("request", "trainee"),
    ("request", "mentor"),
    ("request", "proposed_by"),
    ("mentorship", "organisation"),
    ("mentorship", "trainee"),
    ("mentorship", "mentor"),
    ("mentorship", "ended_by"),
    ("session", "mentorship"),
    ("session", "logged_by"),
    ("note", "author"),
    ("action", "owner"),
    ("concern", "organisation"),
    ("concern", "mentorship"),
    ("concern", "about"),
    ("concern", "raised_by"),
    ("response", "responder"),
    ("pathway", "organisation"),
    ("place", "user"),
    ("place", "pathway"),
    ("decision", "membership"),
    ("decision", "decided_by"),
    ("evidence", "user"),
    ("review", "evidence"),
    ("review", "reviewer"),
    ("sign_off", "user"),
    ("sign_off", "evidence"),
    ("sign_off", "signed_off_by"),
]


@pytest.fixture
def history(personas):
    return History(personas)


def test_every_guard_is_a_protect_in_the_table():
    labels = {
        "membership": "lms.Membership",
        "history_share": "lms.HistoryShare",
        "event": "lms.AuditEvent",
        "erasure": "lms.ErasureRequest",
        "invitation": "lms.Invitation",
        "enrolment": "courses.Enrolment",
        "progress": "courses.ModuleProgress",
        "attempt": "courses.QuizAttempt",
        "completion": "courses.CourseCompletion",
        "certificate": "courses.Certificate",
        "share": "courses.ReflectionShare",
        "request": "mentoring.MentorRequest",
        "mentorship": "mentoring.Mentorship",
        "session": "mentoring.SupervisionSession",
        "note": "mentoring.SessionPrivateNote",
        "action": "mentoring.ActionItem",
        "concern": "mentoring.Concern",
        "response": "mentoring.ConcernResponse",
        "pathway": "pathways.Pathway",
        "place": "pathways.PathwayMembership",
        "decision": "pathways.StageDecision",
        "evidence": "pathways.Evidence",
        "review": "pathways.EvidenceReview",
        "sign_off": "pathways.SignOff",
    }
    for record, field in GUARDS:
        assert RULES[labels[record]][field] == PROTECT, (record, field)


@pytest.mark.parametrize(("record", "field"), GUARDS, ids=[f"{r}.{f}" for r, f in GUARDS])
def test_deleting_what_a_record_points_at_is_refused_and_the_record_kept(history, record, field):
    kept = getattr(history, record)
    target = getattr(kept, field)
    target_id = target.pk

    with pytest.raises(ProtectedError), transaction.atomic():
        target.delete()

    kept = type(kept)._base_manager.get(pk=kept.pk)
    assert getattr(kept, f"{field}_id") == target_id
    assert type(target)._base_manager.filter(pk=target_id).exists()


def test_deleting_a_mentor_keeps_their_mentees_hours(history):
    """The found case: the mentor's mentorships and confirmed sessions (the mentee's pathway
    hours) and the audit events she acted in all stay."""
    with pytest.raises(ProtectedError), transaction.atomic():
        history.mentor.delete()

    assert Mentorship.objects.filter(mentor=history.mentor).count() == 1
    confirmed = SupervisionSession.objects.filter(
        mentorship__mentor=history.mentor, status=SupervisionSession.CONFIRMED
    )
    assert sum(confirmed.values_list("duration_minutes", flat=True)) == 60
    assert AuditEvent.objects.filter(actor=history.coordinator).count() == 1


def test_deleting_the_organisation_keeps_every_record_in_it(history):
    with pytest.raises(ProtectedError), transaction.atomic():
        history.home.delete()

    assert Organisation.objects.filter(pk=history.home.pk).exists()
    assert SupervisionSession.objects.filter(mentorship__organisation=history.home).count() == 1
    assert Concern.objects.filter(organisation=history.home).count() == 1
    assert Membership.objects.filter(organisation=history.home).count() >= 4


def test_a_certificate_outlives_its_course_page_with_the_title_it_was_issued_for(client, history):
    """The database backstop: were the course page gone, the certificate keeps its title, the
    public check still answers and the holder still gets the PDF."""
    Certificate.objects.filter(pk=history.certificate.pk).update(course=None)

    verify = client.get(f"/certificates/{history.certificate.code}/")
    assert verify.status_code == 200
    assert "Safe Practice" in verify.content.decode()
    certificate = Certificate.objects.get(pk=history.certificate.pk)
    assert certificate.title == "Safe Practice"


def test_a_reflection_outlives_its_module_page_and_stays_with_its_owner(client, history):
    history.reflection.module_title = history.module.title
    history.reflection.save(update_fields=["module_title"])
    # Only the reflection points at this module: its learner's progress is elsewhere.
    ModuleProgress.objects.filter(pk=history.progress.pk).delete()
    QuizAttempt.objects.filter(pk=history.attempt.pk).delete()
    Enrolment.objects.filter(pk=history.enrolment.pk).update(last_module=None)

    history.module.delete()

    reflection = Reflection.objects.get(pk=history.reflection.pk)
    assert reflection.module_id is None
    assert reflection.user == history.peer
    assert reflection.title == "Safe Practice module 1"
    client.force_login(history.peer)
    page = client.get("/learning/reflections/").content.decode()
    assert "Safe Practice module 1" in page
    assert "Mine" in page
