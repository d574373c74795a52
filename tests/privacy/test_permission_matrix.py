"""Every front-end URL pattern, asked by every kind of person, answers as one table says.

`TABLE` holds one row per URL pattern (keyed `namespace:name`, plus the Wagtail pages a learner
opens): how to build its URL from the world in `world.py`, and what each persona must get —
200, a redirect to sign in, 404, 405, a redirect, or, for a POST, that it acted. A pattern that
is wired in the urls but has no row fails `test_every_front_end_url_pattern_has_a_row`: nobody can
add a page without deciding who may see it.

The rules are the table in docs/privacy.md. Decisions it leaves
open, written down here:

- The wellbeing check-in is the mentee's word on how they are, given in the session the mentor
  runs: Pat and Mo read it (Mo's read is audited); coordinators never do.
- A mentee's feedback comment is theirs alone: organisations see aggregates only, and the mentor
  never sees the words.
- The superuser runs the system and is treated as staff of every organisation
  (`lms.policy`): every organisation's pages and every person's pages in it, each read audited
  as anyone's is. Never their mentor.
- Editors see no learner data at all.

Every private text in the world carries a marker (the `Marker-…` texts in world.py); `MAY_READ`
says who may ever read each, and no 200 answer to anyone else may contain it. Every request runs
inside a transaction that is rolled back, so each meets the same world, and each POST that could
change someone's data re-reads that row: it must change exactly when the table says the person
acts.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courses.models import Enrolment, ModuleProgress, Reflection, ReflectionShare
from lms.models import (
    AuditEvent,
    DataExport,
    ErasureRequest,
    HistoryShare,
    Invitation,
    Membership,
    Organisation,
    ReportExport,
    Role,
)
from mentoring.models import (
    ActionItem,
    Concern,
    ConcernResponse,
    MentoringSettings,
    MentorRequest,
    Mentorship,
    SessionFeedback,
    SupervisionInterval,
    SupervisionSession,
    WellnessPlanEntry,
)
from mentoring.services.pairing import mentorship_end
from pathways.models import Aspirations, Evidence, PathwayMembership, StageDecision, WellbeingPause
from tests.privacy import world as w
from tests.privacy.world import (
    ANONYMOUS,
    COORDINATOR,
    EDITOR,
    MO,
    ORG_ADMIN,
    OTHER_COORDINATOR,
    PAT,
    PERSONAS,
    SAME_ORG_MENTOR,
    SAME_ORG_PEER,
    SUPERUSER,
    World,
    build_world,
)

# --- Who may ever read each private text --------------------------------------------------------

STAFF = {COORDINATOR, ORG_ADMIN, SUPERUSER}
PATHWAY_READERS = {PAT, MO, COORDINATOR, ORG_ADMIN, SUPERUSER}
MAY_READ = {
    w.PRIVATE_NOTE: {MO},
    w.UNSHARED_REFLECTION: {PAT},
    w.SHARED_REFLECTION: {PAT, MO},
    w.PLAN: {PAT, MO},
    w.CONCERN: {MO} | STAFF,
    w.CONCERN_RESPONSE: STAFF,
    w.SUMMARY: {PAT, MO},
    w.ACTION: {PAT, MO},
    w.CHECKIN_LABEL: {PAT, MO},
    w.FEEDBACK: {PAT},
    w.AGREEMENT: {PAT, MO},
    w.REQUEST_MESSAGE: {PAT, MO},
    w.EVIDENCE: PATHWAY_READERS,
    w.SIGN_OFF: PATHWAY_READERS,
    w.ASPIRATIONS: PATHWAY_READERS,
    w.DECISION: PATHWAY_READERS,
    w.LIVED_EXPERIENCE_FOR_STAFF: {MO} | STAFF,
    w.LIVED_EXPERIENCE_PRIVATE: {SAME_ORG_MENTOR},
    # A trainee's wishes: "Your coordinator may read this if they help you find a mentor."
    w.PREFERENCES_NOTE: {SAME_ORG_PEER} | STAFF,
    w.PAUSE_NOTE: {SAME_ORG_PEER},
    # Course content not yet published: for editors, in the admin only.
    w.DRAFT: {EDITOR, SUPERUSER},
    # Who Pat and Mo are is not public either: nobody outside Home learns that they are peer
    # workers here (being one can itself reveal health history).
    "Pat Peer": {PAT, MO} | STAFF,
    "peer@example.org": {PAT, MO} | STAFF,
    "Mo Mentor": {PAT, SAME_ORG_PEER, MO} | STAFF,
}
# Texts no page shows anyone, by design: the feedback comment (organisations see aggregates, the
# mentor never sees it), a "not yet" decision's note (sent to the person by email), a pause's
# private note, and drafts (the front end serves published content only).
SHOWN_NOWHERE = {w.FEEDBACK, w.DECISION, w.PAUSE_NOTE, w.DRAFT}

# --- Outcomes -----------------------------------------------------------------------------------

OK = "200"
LOGIN = "302 to sign in"
NOT_FOUND = "404"
NOT_ALLOWED = "405"
REDIRECT = "302, nothing changed"
ACTS = "302, and it acted"

SIGNED_IN = tuple(persona for persona in PERSONAS if persona != ANONYMOUS)


def public(outcome=OK) -> dict[str, str]:
    return dict.fromkeys(PERSONAS, outcome)


def signed_in(outcome=OK) -> dict[str, str]:
    """Everyone signed in gets `outcome` (each their own page); anonymous is sent to sign in."""
    return {**dict.fromkeys(SIGNED_IN, outcome), ANONYMOUS: LOGIN}


def only(*allowed, yes=OK, no=NOT_FOUND) -> dict[str, str]:
    """`allowed` get `yes`, everyone else signed in gets `no`, anonymous is sent to sign in."""
    return {**signed_in(no), **dict.fromkeys(allowed, yes)}


@dataclass(frozen=True)
class Route:
    url: Callable[[World], str]
    get: dict[str, str] | None = None
    post: dict[str, str] | None = None
    data: Callable[[World], dict] = lambda world: {}
    # The row(s) a POST could change, read fresh from the database.
    row: Callable[[World], object] | None = None

    def _replace_url(self, url: str) -> "Route":
        return replace(self, url=lambda world: url)


def named(name, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[arg(world) for arg in args])


HOME = lambda world: world.home.slug  # noqa: E731
HOME_PAGE = lambda world: 1  # noqa: E731 - any page id: the restriction is what is missing
MENTORSHIP = lambda world: world.mentorship.pk  # noqa: E731
SESSION = lambda world: world.session.pk  # noqa: E731
AWAITING = lambda world: world.awaiting_session.pk  # noqa: E731
PAT_ID = lambda world: world.pat.pk  # noqa: E731
REPORT = lambda world: world.report_export.pk  # noqa: E731


def report_page(name: str) -> Route:
    """A staff report page: staff read it, and posting asks for its spreadsheet (a job)."""
    return Route(
        named(name, HOME),
        get=only(*STAFF),
        post=only(*STAFF, yes=ACTS),
        data=lambda world: {"export": "xlsx"},
        row=lambda world: ReportExport.objects.filter(organisation=world.home).count(),
    )


def _values(model, pk, *fields):
    return model.objects.filter(pk=pk).values_list(*fields).first()


def _session_post(world) -> dict:
    held_on = timezone.localdate() - timedelta(days=3)
    return {
        "held_on": held_on.isoformat(),
        "duration_minutes": "45",
        "format": "phone",
        "topics": ["endings"],
        "summary": "Changed by whoever posted this.",
        "private_notes": "",
        "action1_description": "",
        "action1_owner": "mentee",
        "action1_due_on": "",
    }


def _settings_post(world) -> dict:
    return {
        "mentor_min_stage": "",
        "response_days": "9",
        "supervision_interval_days": str(SupervisionInterval.FORTNIGHTLY),
        **dict.fromkeys(
            ("weight_language", "weight_specialism", "weight_format", "weight_area"), "10"
        ),
        "weight_capacity": "5",
        "concern_retention_months": "24",
    }


# --- The table ----------------------------------------------------------------------------------

# Pages Wagtail serves: not in the url patterns by name, so listed here by hand.
WAGTAIL_PAGES = {
    "page:home",
    "page:course-index",
    "page:course",
    "page:module",
    "page:draft-module",
}

TABLE: dict[str, Route] = {
    # Signing in and out, and one's own account: public, or each person's own.
    "lms:login": Route(named("lms:login"), get={**signed_in(REDIRECT), ANONYMOUS: OK}),
    # Signing out is POST only; a GET is refused for everyone.
    "lms:logout": Route(named("lms:logout"), get=public(NOT_ALLOWED)),
    "lms:password-reset": Route(named("lms:password-reset"), get=public()),
    "lms:password-reset-done": Route(named("lms:password-reset-done"), get=public()),
    "lms:password-reset-confirm": Route(
        lambda world: reverse(
            "lms:password-reset-confirm",
            args=[urlsafe_base64_encode(force_bytes(world.pat.pk)), "not-a-token"],
        ),
        get=public(),  # the "this link does not work" page
    ),
    "lms:password-reset-complete": Route(named("lms:password-reset-complete"), get=public()),
    "lms:password-change": Route(named("lms:password-change"), get=signed_in()),
    "lms:account": Route(named("lms:account"), get=signed_in()),
    # The code step after the password: nobody has a pending sign-in here, so anyone signed
    # out is sent to the password, anyone signed in to where they were going.
    "lms:login-code": Route(named("lms:login-code"), get=signed_in(REDIRECT)),
    # Each person's own two-factor sign-in; turning off and new codes need a device first.
    "lms:two-factor": Route(named("lms:two-factor"), get=signed_in()),
    "lms:two-factor-off": Route(named("lms:two-factor-off"), post=signed_in(REDIRECT)),
    "lms:two-factor-recovery-codes": Route(
        named("lms:two-factor-recovery-codes"), post=signed_in(REDIRECT)
    ),
    # The link is the key: whoever holds it sees the sign-up form for that invitation.
    "lms:invitation-accept": Route(
        lambda world: reverse("lms:invitation-accept", args=[world.invitation_token]),
        get=public(),
    ),
    # A member shares their own earlier history with one of their organisations: never anyone
    # else's, and only with an organisation they belong to.
    "lms:history-share": Route(
        named("lms:history-share", HOME),
        post={
            **only(SAME_ORG_PEER, MO, SAME_ORG_MENTOR, COORDINATOR, ORG_ADMIN, yes=REDIRECT),
            PAT: ACTS,
        },
        data=lambda world: {"share": "yes"},
        row=lambda world: HistoryShare.objects.filter(user=world.pat, ended_at=None).count(),
    ),
    # Download my data: everyone asks for their own (never anyone else's); only Pat downloads
    # hers, and everyone else, the superuser too, gets 404.
    "lms:data-export": Route(
        named("lms:data-export"),
        get=signed_in(NOT_ALLOWED),
        post={**signed_in(REDIRECT), PAT: ACTS},
        row=lambda world: DataExport.objects.filter(user=world.pat).count(),
    ),
    "lms:data-export-download": Route(
        named("lms:data-export-download", lambda world: world.data_export.pk), get=only(PAT)
    ),
    # A spreadsheet staff asked for (here the coordinator's): its progress page and download are
    # for the person who asked only; everyone else, the superuser too, gets 404.
    "lms:report-export": Route(named("lms:report-export", HOME, REPORT), get=only(COORDINATOR)),
    "lms:report-export-download": Route(
        named("lms:report-export-download", HOME, REPORT), get=only(COORDINATOR)
    ),
    # An organisation's people and invitations: its staff.
    "lms:members": Route(named("lms:members", HOME), get=only(*STAFF)),
    "lms:invite": Route(
        named("lms:invite", HOME),
        get=only(*STAFF),
        post=only(*STAFF, yes=ACTS),
        data=lambda world: {"email": "someone.new@example.org", "role": Role.PEER},
        row=lambda world: Invitation.objects.filter(organisation=world.home).count(),
    ),
    "lms:invitation-resend": Route(
        named("lms:invitation-resend", HOME, lambda world: world.invitation.pk),
        post=only(*STAFF, yes=ACTS),
        row=lambda world: _values(Invitation, world.invitation.pk, "nonce"),
    ),
    # Withdrawing asks first: the GET (or a POST without "confirm") is the confirmation page.
    "lms:invitation-withdraw": Route(
        named("lms:invitation-withdraw", HOME, lambda world: world.invitation.pk),
        get=only(*STAFF),
        post=only(*STAFF, yes=ACTS),
        data=lambda world: {"confirm": "yes"},
        row=lambda world: Invitation.objects.filter(pk=world.invitation.pk).exists(),
    ),
    # The audit log: an organisation's for its org admins, and everything for the superuser.
    "lms:audit-log": Route(named("lms:audit-log", HOME), get=only(ORG_ADMIN, SUPERUSER)),
    "lms:audit-log-all": Route(named("lms:audit-log-all"), get=only(SUPERUSER)),
    # Whether the organisation's staff must use two-factor sign-in: its org admins.
    "lms:organisation-security": Route(
        named("lms:organisation-security", HOME),
        get=only(ORG_ADMIN, SUPERUSER),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {"require_two_factor_for_staff": "on"},
        row=lambda world: _values(Organisation, world.home.pk, "require_two_factor_for_staff"),
    ),
    # The privacy notice is for everyone; an organisation's contact on it is its org admins'.
    "lms:privacy": Route(named("lms:privacy"), get=public()),
    # The load balancer's health check: "ok" for anyone, nothing about anybody.
    "healthz": Route(named("healthz"), get=public()),
    "lms:privacy-contact": Route(
        named("lms:privacy-contact", HOME),
        get=only(ORG_ADMIN, SUPERUSER),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {"privacy_contact": "Changed by whoever posted this."},
        row=lambda world: _values(Organisation, world.home.pk, "privacy_contact"),
    ),
    # Roles: org admins only.
    "lms:membership-add": Route(
        named("lms:membership-add", HOME, PAT_ID),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {"role": Role.MENTOR},
        row=lambda world: sorted(
            Membership.objects.active()
            .filter(user=world.pat, organisation=world.home)
            .values_list("role", flat=True)
        ),
    ),
    # Letting someone sign in again after too many attempts: org admins of their organisation.
    "lms:account-unlock": Route(
        named("lms:account-unlock", HOME, PAT_ID),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        row=lambda world: AuditEvent.objects.filter(action="lms.account.unlocked").count(),
    ),
    # Everyone signs out their own other sessions, never anyone else's.
    "lms:sign-out-everywhere": Route(
        named("lms:sign-out-everywhere"),
        post={**signed_in(REDIRECT), PAT: ACTS},
        row=lambda world: _values(type(world.pat), world.pat.pk, "session_epoch"),
    ),
    # Wagtail's own sign-in form sends everyone to ours; shared page and document passwords
    # cannot be made, so no restriction exists to try.
    "<unnamed pattern _util/login/>": Route(lambda world: "/_util/login/", get=public(LOGIN)),
    "wagtailcore_authenticate_with_password": Route(
        named("wagtailcore_authenticate_with_password", lambda world: 999999, HOME_PAGE),
        get=public(NOT_FOUND),
    ),
    "wagtaildocs_authenticate_with_password": Route(
        named("wagtaildocs_authenticate_with_password", lambda world: 999999),
        get=public(NOT_FOUND),
    ),
    # Ending a role asks first (the GET is its confirmation page).
    "lms:membership-end": Route(
        named("lms:membership-end", HOME, lambda world: world.pat_membership.pk),
        get=only(ORG_ADMIN, SUPERUSER),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {"confirm": "yes"},
        row=lambda world: _values(Membership, world.pat_membership.pk, "active_to"),
    ),
    # Undoing it: no role ended today in the world, so there is nothing to restore for anyone
    # (tests/lms/test_members.py restores one, and refuses everyone but the org's admins).
    "lms:membership-restore": Route(
        named("lms:membership-restore", HOME, lambda world: world.pat_membership.pk),
        post=only(),
        row=lambda world: _values(Membership, world.pat_membership.pk, "active_to"),
    ),
    # Erasing a person's data: org admins of their organisation only. Nothing is scheduled in
    # the world, so a cancel by someone who may changes nothing and says so.
    "lms:erasure-confirm": Route(
        named("lms:erasure-confirm", HOME, PAT_ID),
        get=only(ORG_ADMIN, SUPERUSER),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {"reason": "Left", "confirm_email": world.pat.email},
        row=lambda world: ErasureRequest.objects.filter(person=world.pat).count(),
    ),
    "lms:erasure-cancel": Route(
        named("lms:erasure-cancel", HOME, PAT_ID), post=only(ORG_ADMIN, SUPERUSER, yes=REDIRECT)
    ),
    # --- Courses: each person's own learning ---
    "courses:enrol": Route(
        named("courses:enrol", lambda world: world.course.pk), post=signed_in(REDIRECT)
    ),
    "courses:refresher": Route(
        named("courses:refresher", lambda world: world.course.pk),
        post=only(PAT, yes=REDIRECT),  # only the enrolled; the course needs no refresher
        row=lambda world: Enrolment.objects.filter(course=world.course).count(),
    ),
    "courses:check-submit": Route(
        named("courses:check-submit", lambda world: world.check_module.pk, lambda w_: w_.check_id),
        post=signed_in(REDIRECT),  # Pat's own answers; anyone else is sent to enrol first
        data=lambda world: {
            f"q-{question}": answers
            for question, answers in w.right_answers(world.check_module, world.check_id).items()
        },
    ),
    "courses:module-finish": Route(
        named("courses:module-finish", lambda world: world.reflection_module.pk),
        # Pat has finished it already, so saying it again changes nothing; anyone else is sent
        # to enrol first, and nobody's post touches Pat's progress.
        post=signed_in(REDIRECT),
        row=lambda world: list(
            ModuleProgress.objects.filter(enrolment__user=world.pat)
            .order_by("pk")
            .values_list("module_id", "finished_at", "completed_at")
        ),
    ),
    "courses:reflection-save": Route(
        named(
            "courses:reflection-save",
            lambda world: world.reflection_module.pk,
            lambda world: world.prompt_id,
        ),
        # Each person writes only their own reflection: nobody else's post touches Pat's.
        post={**signed_in(REDIRECT), PAT: ACTS},
        data=lambda world: {f"{world.prompt_id}-body": "Words written by whoever posted."},
        row=lambda world: _values(Reflection, world.shared_reflection.pk, "body"),
    ),
    "courses:reflections": Route(named("courses:reflections"), get=signed_in()),
    "courses:reflection-share": Route(
        named("courses:reflection-share", lambda world: world.unshared_reflection.pk),
        post=only(PAT, yes=ACTS),
        data=lambda world: {"shared": "yes"},
        row=lambda world: list(
            ReflectionShare.objects.filter(
                reflection=world.unshared_reflection, ended_at=None
            ).values_list("shared_with_id", flat=True)
        ),
    ),
    # Deleting asks first (the GET is its confirmation page), then hides it with undo.
    "courses:reflection-delete": Route(
        named("courses:reflection-delete", lambda world: world.unshared_reflection.pk),
        get=only(PAT),
        post=only(PAT, yes=ACTS),
        data=lambda world: {"confirm": "yes"},
        row=lambda world: Reflection.objects.filter(pk=world.unshared_reflection.pk).exists(),
    ),
    # Nothing is deleted in the world, so there is nothing to bring back, even for Pat
    # (tests/courses/test_reflections.py brings one back, and refuses everyone else).
    "courses:reflection-restore": Route(
        named("courses:reflection-restore", lambda world: world.unshared_reflection.pk),
        post=only(),
        row=lambda world: list(
            Reflection.all_objects.filter(pk=world.unshared_reflection.pk).values_list(
                "deleted_at", flat=True
            )
        ),
    ),
    "courses:certificates": Route(named("courses:certificates"), get=signed_in()),
    # Certificates: the holder and the staff of their organisation; a mentor sees a summary
    # only (on the pathway page), not the certificate.
    "courses:certificate-download": Route(
        named("courses:certificate-download", lambda world: world.certificate.code),
        get=only(PAT, COORDINATOR, ORG_ADMIN, SUPERUSER),
    ),
    "courses:certificate-show-name": Route(
        named("courses:certificate-show-name", lambda world: world.certificate.code),
        post=only(PAT, yes=ACTS),
        data=lambda world: {"show_name": "yes"},
        row=lambda world: _values(type(world.certificate), world.certificate.pk, "show_name"),
    ),
    # The public verification page: the minimum, for anyone with the code.
    "courses:certificate-verify": Route(
        named("courses:certificate-verify", lambda world: world.certificate.code), get=public()
    ),
    "courses:learner-records": report_page("courses:learner-records"),
    "courses:assign": Route(
        named("courses:assign", HOME),
        get=only(*STAFF),
        post=only(*STAFF, yes=ACTS),
        data=lambda world: {
            "course": world.second_course.pk,
            "person": world.people[SAME_ORG_PEER].pk,
        },
        row=lambda world: Enrolment.objects.filter(course=world.second_course).count(),
    ),
    # --- Pathways ---
    "pathways:mine": Route(named("pathways:mine"), get=signed_in()),
    "pathways:aspirations": Route(
        named("pathways:aspirations"),
        post={**signed_in(REDIRECT), PAT: ACTS},  # everyone writes their own, never Pat's
        data=lambda world: {"body": "Goals written by whoever posted."},
        row=lambda world: list(Aspirations.objects.filter(user=world.pat).values_list("body")),
    ),
    "pathways:pause": Route(
        named("pathways:pause"),
        post={**signed_in(REDIRECT), PAT: ACTS},
        row=lambda world: WellbeingPause.objects.filter(user=world.pat).count(),
    ),
    "pathways:evidence-new": Route(named("pathways:evidence-new"), get=signed_in()),
    "pathways:evidence-file": Route(
        named("pathways:evidence-file", lambda world: world.evidence_waiting.pk),
        get=only(PAT, MO, COORDINATOR, ORG_ADMIN, SUPERUSER),
    ),
    "pathways:evidence-review": Route(
        named("pathways:evidence-review", lambda world: world.evidence_waiting.pk),
        get={**only(MO, COORDINATOR, ORG_ADMIN, SUPERUSER), PAT: REDIRECT},
        post={**only(MO, COORDINATOR, ORG_ADMIN, SUPERUSER, yes=ACTS), PAT: REDIRECT},
        data=lambda world: {"outcome": Evidence.SIGNED_OFF, "note": "Signed by whoever posted."},
        row=lambda world: _values(Evidence, world.evidence_waiting.pk, "status"),
    ),
    "pathways:readiness": report_page("pathways:readiness"),
    "pathways:evidence-queue": Route(named("pathways:evidence-queue", HOME), get=only(*STAFF)),
    "pathways:person": Route(
        named("pathways:person", HOME, PAT_ID), get=only(MO, COORDINATOR, ORG_ADMIN, SUPERUSER)
    ),
    # Stage decisions are the coordinator's (or org admin's), never the mentor's.
    "pathways:decision": Route(
        named("pathways:decision", HOME, PAT_ID),
        post=only(COORDINATOR, ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {
            "to_stage": world.next_stage.pk,
            "outcome": StageDecision.NOT_YET,
            "note": "Decided by whoever posted.",
        },
        row=lambda world: StageDecision.objects.filter(membership__user=world.pat).count(),
    ),
    "pathways:join": Route(
        named("pathways:join", HOME, lambda world: world.people[SAME_ORG_PEER].pk),
        post=only(COORDINATOR, ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=lambda world: {"pathway": world.pathway.pk},
        row=lambda world: PathwayMembership.objects.filter(
            user=world.people[SAME_ORG_PEER]
        ).exists(),
    ),
    # --- Mentoring: matching ---
    "mentoring:profile": Route(named("mentoring:profile"), get=only(MO, SAME_ORG_MENTOR)),
    "mentoring:preferences": Route(named("mentoring:preferences"), get=only(PAT, SAME_ORG_PEER)),
    "mentoring:shortlist": Route(named("mentoring:shortlist"), get=only(PAT, SAME_ORG_PEER)),
    "mentoring:mentor": Route(
        named("mentoring:mentor", lambda world: world.mentor_profile.pk),
        get=only(PAT, SAME_ORG_PEER),
    ),
    "mentoring:settings": Route(
        named("mentoring:settings", HOME),
        get=only(ORG_ADMIN, SUPERUSER),
        post=only(ORG_ADMIN, SUPERUSER, yes=ACTS),
        data=_settings_post,
        row=lambda world: (
            MentoringSettings.objects.filter(organisation=world.home)
            .values_list("response_days", "supervision_interval_days")
            .first()
        ),
    ),
    # --- Mentoring: pairing ---
    "mentoring:home": Route(named("mentoring:home"), get=signed_in()),
    "mentoring:request-new": Route(
        named("mentoring:request-new", lambda world: world.mentor_profile.pk),
        get=only(PAT, SAME_ORG_PEER),
    ),
    "mentoring:request": Route(
        named("mentoring:request", lambda world: world.accepted_request.pk), get=only(PAT, MO)
    ),
    "mentoring:request-answer": Route(
        named("mentoring:request-answer", lambda world: world.pending_request.pk),
        post=only(MO, yes=ACTS),
        data=lambda world: {"decision": "decline", "note": "", "confirm": "yes"},
        row=lambda world: _values(MentorRequest, world.pending_request.pk, "status"),
    ),
    "mentoring:request-withdraw": Route(
        named("mentoring:request-withdraw", lambda world: world.pending_request.pk),
        # Only Wen, who asked, may withdraw (and is asked first); Mo is sent back to it.
        get={**only(), MO: REDIRECT},
        post={**only(), MO: REDIRECT},
        data=lambda world: {"confirm": "yes"},
        row=lambda world: _values(MentorRequest, world.pending_request.pk, "status"),
    ),
    # Undoing a withdrawal: only the trainee who asked, and this request is not withdrawn.
    "mentoring:request-restore": Route(
        named("mentoring:request-restore", lambda world: world.pending_request.pk),
        post=only(),
        row=lambda world: _values(MentorRequest, world.pending_request.pk, "status"),
    ),
    "mentoring:propose": Route(
        named("mentoring:propose", HOME),
        get=only(*STAFF),
        post=only(*STAFF, yes=ACTS),
        data=lambda world: {
            "trainee": world.people[SAME_ORG_PEER].pk,
            "mentor": world.same_org_mentor_profile.pk,
            "message": "Proposed by whoever posted.",
        },
        row=lambda world: MentorRequest.objects.filter(trainee=world.people[SAME_ORG_PEER]).count(),
    ),
    # A mentorship and everything in it: its two people only.
    "mentoring:mentorship": Route(named("mentoring:mentorship", MENTORSHIP), get=only(PAT, MO)),
    "mentoring:agreement": Route(
        named("mentoring:agreement", MENTORSHIP),
        get=only(PAT, MO),
        post=only(PAT, MO, yes=ACTS),
        data=lambda world: {
            "goals": "Goals rewritten by whoever posted.",
            "meeting_frequency": "Weekly",
            "boundaries": "",
            "confidentiality": "",
        },
        row=lambda world: _values(Mentorship, world.mentorship.pk, "goals"),
    ),
    "mentoring:agreement-confirm": Route(
        named("mentoring:agreement-confirm", MENTORSHIP),
        post=only(PAT, MO, yes=REDIRECT),  # both confirmed already
        row=lambda world: _values(
            Mentorship, world.mentorship.pk, "trainee_confirmed_at", "mentor_confirmed_at"
        ),
    ),
    "mentoring:mentorship-pause": Route(
        named("mentoring:mentorship-pause", MENTORSHIP),
        post=only(PAT, MO, yes=ACTS),
        row=lambda world: _values(Mentorship, world.mentorship.pk, "status"),
    ),
    "mentoring:mentorship-resume": Route(
        named("mentoring:mentorship-resume", MENTORSHIP),
        post=only(PAT, MO, yes=REDIRECT),  # it is not paused
        row=lambda world: _values(Mentorship, world.mentorship.pk, "status"),
    ),
    "mentoring:mentorship-end": Route(
        named("mentoring:mentorship-end", MENTORSHIP),
        get=only(PAT, MO),
        post=only(PAT, MO, yes=ACTS),
        data=lambda world: {"reason": "goals_met", "note": ""},
        row=lambda world: _values(Mentorship, world.mentorship.pk, "status"),
    ),
    "mentoring:next-session": Route(
        named("mentoring:next-session", MENTORSHIP),
        get=only(PAT, MO),
        post=only(PAT, MO, yes=ACTS),
        data=lambda world: {
            "date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "start": "11:00",
            "minutes": "45",
            "place": "",
        },
        row=lambda world: _values(Mentorship, world.mentorship.pk, "next_session_at"),
    ),
    "mentoring:calendar": Route(named("mentoring:calendar", MENTORSHIP), get=only(PAT, MO)),
    # --- Mentoring: supervision ---
    "mentoring:session-new": Route(
        named("mentoring:session-new", MENTORSHIP),
        get=only(MO),
        post=only(MO, yes=ACTS),
        data=_session_post,
        row=lambda world: SupervisionSession.objects.filter(mentorship=world.mentorship).count(),
    ),
    "mentoring:session": Route(named("mentoring:session", SESSION), get=only(PAT, MO)),
    "mentoring:session-edit": Route(
        named("mentoring:session-edit", AWAITING),
        get=only(MO),
        post=only(MO, yes=ACTS),
        data=_session_post,
        row=lambda world: _values(
            SupervisionSession, world.awaiting_session.pk, "duration_minutes", "summary"
        ),
    ),
    "mentoring:session-confirm": Route(
        named("mentoring:session-confirm", AWAITING),
        post={**only(PAT, yes=ACTS), MO: REDIRECT},  # the mentor is told the mentee confirms
        data=lambda world: {"answer": "right", "wellbeing_checkin": "4"},
        row=lambda world: _values(SupervisionSession, world.awaiting_session.pk, "status"),
    ),
    "mentoring:session-feedback": Route(
        named("mentoring:session-feedback", SESSION),
        get=only(PAT),
        post=only(PAT),  # Pat gave feedback already: the form says so, nothing changes
        data=lambda world: {"rating": "1", "comment": "Changed by whoever posted."},
        row=lambda world: list(
            SessionFeedback.objects.filter(session=world.session).values_list("comment")
        ),
    ),
    "mentoring:action-done": Route(
        named("mentoring:action-done", lambda world: world.action.pk),
        post=only(PAT, MO, yes=ACTS),
        row=lambda world: _values(ActionItem, world.action.pk, "done_at"),
    ),
    "mentoring:coverage": Route(named("mentoring:coverage", HOME), get=only(*STAFF)),
    # --- Mentoring: care ---
    "mentoring:concern-new": Route(
        named("mentoring:concern-new", MENTORSHIP),
        get=only(MO),
        post=only(MO, yes=ACTS),
        data=lambda world: {"kind": Concern.WELLBEING, "description": "Raised by whoever."},
        row=lambda world: Concern.objects.filter(about=world.pat).count(),
    ),
    "mentoring:concerns": Route(named("mentoring:concerns", HOME), get=only(*STAFF)),
    "mentoring:concern": Route(
        named("mentoring:concern", HOME, lambda world: world.concern.pk),
        get=only(*STAFF),
        post=only(*STAFF, yes=ACTS),
        data=lambda world: {"action_taken": "Answered by whoever posted."},
        row=lambda world: ConcernResponse.objects.filter(concern=world.concern).count(),
    ),
    # One's own plan: people doing peer work (and the superuser, for support).
    "mentoring:wellness-plan": Route(
        named("mentoring:wellness-plan"),
        get=only(PAT, SAME_ORG_PEER, MO, SAME_ORG_MENTOR, SUPERUSER),
        # Each writes their own plan; nobody's post reaches Pat's.
        post={
            **only(SAME_ORG_PEER, MO, SAME_ORG_MENTOR, SUPERUSER, yes=REDIRECT),
            PAT: ACTS,
        },
        data=lambda world: {"triggers": "Written by whoever posted.", "share": "private"},
        row=lambda world: list(
            WellnessPlanEntry.objects.filter(plan__user=world.pat).values_list("section", "body")
        ),
    ),
    "mentoring:mentee-plan": Route(named("mentoring:mentee-plan", PAT_ID), get=only(MO)),
    "mentoring:mentee-reflections": Route(
        named("mentoring:mentee-reflections", PAT_ID), get=only(MO)
    ),
    # --- Pages Wagtail serves ---
    "page:home": Route(lambda world: "/", get=public()),
    "page:course-index": Route(lambda world: world.course.get_parent().url, get=public()),
    "page:course": Route(lambda world: world.course.url, get=public()),
    # A module nobody has published yet does not exist on the front end, for anyone.
    "page:draft-module": Route(
        lambda world: f"{world.course.url}draft-module/", get=public(NOT_FOUND)
    ),
    # A module is for the enrolled; anyone else is sent to the course page to enrol.
    "page:module": Route(
        lambda world: world.reflection_module.url, get={**signed_in(REDIRECT), PAT: OK}
    ),
}

# --- Walking the url patterns -------------------------------------------------------------------

# The admin (Wagtail's, and our views ahead of it: covered by their own tests), documents, the
# image files served with DEBUG on (public course pictures), and Wagtail's page serving (its
# pages are in the table by hand).
NOT_FRONT_END_PREFIXES = ("admin/", "documents/", "media/")
NOT_FRONT_END_MODULES = {"wagtail.urls"}


def front_end_pattern_names() -> set[str]:
    names = set()

    def walk(resolver, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                module = getattr(entry.urlconf_module, "__name__", None)
                if str(entry.pattern).startswith(NOT_FRONT_END_PREFIXES):
                    continue
                if module in NOT_FRONT_END_MODULES:
                    continue
                inner = entry.namespace
                walk(entry, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif entry.name:
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
            elif not str(entry.pattern).lstrip("^").startswith(NOT_FRONT_END_PREFIXES):
                names.add(f"<unnamed pattern {entry.pattern}>")

    walk(get_resolver(), None)
    return names


# --- Asking ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    name: str
    method: str
    url: str
    expected: str
    status: int
    location: str = ""
    body: str = ""
    changed: bool | None = None  # for a POST with a row to watch
    error: str = ""

    @property
    def to_sign_in(self) -> bool:
        return self.status == 302 and self.location.startswith(reverse(settings.LOGIN_URL))

    @property
    def as_expected(self) -> bool:
        if self.expected == LOGIN:
            return self.to_sign_in and not self.changed
        if self.expected == ACTS:
            return self.status == 302 and not self.to_sign_in and self.changed is not False
        if self.expected == REDIRECT:
            return self.status == 302 and not self.to_sign_in and not self.changed
        return str(self.status) == self.expected and not self.changed

    def __str__(self):
        got = f"{self.status}" + (f" to {self.location}" if self.location else "")
        got += ", and it changed the row" if self.changed else ""
        got += f" ({self.error})" if self.error else ""
        return f"{self.method.upper()} {self.name} {self.url}: expected {self.expected}, got {got}"


class _RollBack(Exception):
    pass


def _body(response) -> str:
    content_type = response.get("Content-Type", "")
    if not content_type.startswith("text/"):
        return ""
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def close_keeping_the_connection(response):
    """Close a response (a file download holds its file open until closed) without Django's
    end-of-request clean-up. The test client has already sent `request_finished` once, with that
    clean-up switched off; a second one would close the database connection inside the world's
    transaction (on PostgreSQL that ends the transaction, and the world with it; an in-memory
    SQLite database ignores the close)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def _ask(client, world, name, route, method, expected) -> Answer:
    """One request, rolled back afterwards, so that every request meets the same world."""
    url = route.url(world)
    before = route.row(world) if route.row and method == "post" else None
    answer = Answer(name=name, method=method, url=url, expected=expected, status=0)
    try:
        with transaction.atomic():
            try:
                response = getattr(client, method)(
                    url, route.data(world) if method == "post" else None
                )
            except Exception as error:  # noqa: BLE001 - a crash is an answer to report
                answer.status, answer.error = 500, f"{type(error).__name__}: {error}"
                raise _RollBack from error
            answer.status = response.status_code
            answer.location = response.get("Location", "")
            answer.body = _body(response)
            close_keeping_the_connection(response)
            if route.row and method == "post":
                answer.changed = route.row(world) != before
            raise _RollBack
    except _RollBack:
        pass
    return answer


def ask_everything(world: World, persona: str) -> list[Answer]:
    client = Client()
    if persona != ANONYMOUS:
        client.force_login(world.people[persona])
    answers = []
    for name, route in TABLE.items():
        for method in ("get", "post"):
            expected = getattr(route, method)
            if expected is not None:
                answers.append(_ask(client, world, name, route, method, expected[persona]))
    return answers


# --- Fixtures: one world for the module, and each persona's answers asked once -------------------


# The world is built once and held in one transaction for the whole module; every request is
# rolled back to it (`_ask`), and every test's own transaction nests inside it. It runs on both
# databases: on PostgreSQL the connection must stay open across tests, hence
# `close_keeping_the_connection`.
pytestmark = pytest.mark.long  # the world and every persona's answers: a minute or more


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    # Evidence files, certificates and exports go to the worker's own private folder, which
    # tests/conftest.py points the private storage at before every test.
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=w.PASSWORD_HASHERS),
        transaction.atomic(),
    ):
        yield w.with_report_export(w.with_data_export(build_world()))
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def asked(world) -> dict[str, list[Answer]]:
    """Each persona's answers, asked once for the module and read by several tests."""
    return {}


@pytest.fixture
def answers(world, asked, db):
    def for_persona(persona: str) -> list[Answer]:
        if persona not in asked:
            asked[persona] = ask_everything(world, persona)
        return asked[persona]

    return for_persona


# --- The tests ----------------------------------------------------------------------------------


def test_every_front_end_url_pattern_has_a_row_in_the_table():
    walked = front_end_pattern_names()
    missing = sorted(walked - set(TABLE))
    gone = sorted(set(TABLE) - walked - WAGTAIL_PAGES)
    assert not missing, (
        f"No row in tests/privacy/test_permission_matrix.py TABLE for {missing}. Decide who may "
        "see each of these pages (and who may post to it) against the table in docs/privacy.md, "
        "and add a row."
    )
    assert not gone, f"TABLE has rows for url patterns that no longer exist: {gone}"


def test_every_row_decides_for_every_persona():
    undecided = {
        name: sorted(set(PERSONAS) - set(getattr(route, method)))
        for name, route in TABLE.items()
        for method in ("get", "post")
        if getattr(route, method) is not None and set(getattr(route, method)) != set(PERSONAS)
    }
    assert not undecided
    # "It acted" is proved by re-reading the row, so every POST someone may make names its row.
    unwatched = [
        name
        for name, route in TABLE.items()
        if route.post and ACTS in route.post.values() and route.row is None
    ]
    assert not unwatched


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_exactly_the_answer_the_table_gives(answers, persona):
    wrong = [str(answer) for answer in answers(persona) if not answer.as_expected]
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_a_persona_a_private_text_they_may_not_read(answers, persona):
    leaks = [
        f"{answer.method.upper()} {answer.name} {answer.url} shows {marker!r}"
        for answer in answers(persona)
        if answer.status == 200
        for marker, readers in MAY_READ.items()
        if persona not in readers and marker in answer.body
    ]
    assert not leaks, f"{persona}:\n" + "\n".join(leaks)


@pytest.mark.parametrize("persona", PERSONAS)
def test_nobody_is_answered_403_or_a_server_error(answers, persona):
    bad = [str(answer) for answer in answers(persona) if answer.status in (403, 500)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_post_by_someone_who_may_not_act_changes_nothing(answers, persona):
    changed = [
        str(answer)
        for answer in answers(persona)
        if answer.method == "post" and answer.expected != ACTS and answer.changed
    ]
    assert not changed, "\n".join(changed)


def test_another_organisations_coordinator_gets_404_for_every_page_about_home(answers):
    about_home = [answer for answer in answers(OTHER_COORDINATOR) if answer.expected == NOT_FOUND]
    assert len(about_home) > 40
    assert [str(answer) for answer in about_home if answer.status != 404] == []


def test_the_people_who_may_act_can(answers):
    """The posted data is good: for the people allowed, each POST changes what it should."""
    refused = [
        str(answer)
        for persona in SIGNED_IN
        for answer in answers(persona)
        if answer.expected == ACTS and not answer.as_expected
    ]
    assert not refused, "\n".join(refused)


def test_every_marker_is_read_by_someone_who_may(answers):
    """A marker no page ever shows would prove nothing: each is seen by at least one reader."""
    seen = {
        marker
        for persona in (PAT, MO, COORDINATOR, SAME_ORG_PEER, SAME_ORG_MENTOR)
        for answer in answers(persona)
        if answer.status == 200
        for marker in MAY_READ
        if persona in MAY_READ[marker] and marker in answer.body
    }
    assert set(MAY_READ) - SHOWN_NOWHERE - seen == set()


# Home's objects asked for under Other Org's address: the organisation in the address must own
# the object, so even someone who may open Other Org's pages gets 404, never Home's record.
UNDER_OTHER_ORGANISATION = {
    "lms:invitation-resend": lambda world: [world.invitation.pk],
    "lms:invitation-withdraw": lambda world: [world.invitation.pk],
    "lms:membership-add": lambda world: [world.pat.pk],
    "lms:membership-end": lambda world: [world.pat_membership.pk],
    "lms:membership-restore": lambda world: [world.pat_membership.pk],
    "lms:erasure-confirm": lambda world: [world.pat.pk],
    "lms:erasure-cancel": lambda world: [world.pat.pk],
    "pathways:person": lambda world: [world.pat.pk],
    "pathways:decision": lambda world: [world.pat.pk],
    "pathways:join": lambda world: [world.pat.pk],
    "mentoring:concern": lambda world: [world.concern.pk],
    "lms:report-export": lambda world: [world.report_export.pk],
    "lms:report-export-download": lambda world: [world.report_export.pk],
}


@pytest.mark.parametrize("persona", [OTHER_COORDINATOR, SUPERUSER])
@pytest.mark.parametrize("name", sorted(UNDER_OTHER_ORGANISATION))
def test_homes_objects_under_another_organisations_address_are_404(world, db, persona, name):
    client = Client()
    client.force_login(world.people[persona])
    url = reverse(name, args=[world.other.slug, *UNDER_OTHER_ORGANISATION[name](world)])
    route = TABLE[name]
    method = "get" if route.get else "post"
    answer = _ask(client, world, name, route._replace_url(url), method, NOT_FOUND)
    assert answer.as_expected, str(answer)


def test_marking_an_action_done_never_sends_the_person_off_site(world, db):
    client = Client()
    client.force_login(world.pat)
    url = reverse("mentoring:action-done", args=[world.action.pk])
    for elsewhere in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        with transaction.atomic():
            response = client.post(url, {"next": elsewhere})
            transaction.set_rollback(True)
        assert response["Location"] == reverse("mentoring:session", args=[world.session.pk])


def test_once_the_mentorship_ends_mo_reads_nothing_pat_shared_or_her_pathway(world, db):
    mentorship_end(mentorship=world.mentorship, by=world.pat, reason="goals_met")
    answers = {(answer.method, answer.name): answer for answer in ask_everything(world, MO)}
    closed = [
        "mentoring:mentee-plan",
        "mentoring:mentee-reflections",
        "pathways:person",
        "pathways:evidence-file",
        "pathways:evidence-review",
    ]
    assert {name: answers["get", name].status for name in closed} == dict.fromkeys(closed, 404)
    no_longer_his = (w.PLAN, w.SHARED_REFLECTION, w.EVIDENCE, w.ASPIRATIONS, w.SIGN_OFF)
    leaks = {
        (answer.name, marker)
        for answer in answers.values()
        if answer.status == 200
        for marker in no_longer_his
        if marker in answer.body
    }
    assert leaks == set()
