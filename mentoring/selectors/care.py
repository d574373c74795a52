"""Reads for care: an organisation's concerns, what a mentor raised, a peer's wellness action
plan, and what a mentee has shared with their current mentor."""

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from courses.models import Reflection
from courses.selectors import reflections_shared_in
from lms.models import Organisation, User
from mentoring.access import relationship_key
from mentoring.models import (
    WELLNESS_PLAN_SECTIONS,
    Concern,
    ConcernResponse,
    Mentorship,
    WellnessPlan,
)

# A plan can be shared only with the mentor of an active or paused mentorship, and stops being
# readable the moment that mentorship ends.
SHARING_STATUSES = (Mentorship.ACTIVE, Mentorship.PAUSED)


def current_mentorships_as_trainee(*, user: User) -> QuerySet[Mentorship]:
    """The person's active or paused mentorships as a trainee: whom they may share a plan with."""
    return (
        Mentorship.objects.filter(trainee=user, status__in=SHARING_STATUSES)
        .select_related("mentor", "organisation")
        .order_by("-started_at", "-pk")
    )


# --- Concerns ---------------------------------------------------------------------------------


def _with_responses(concerns: QuerySet[Concern]) -> QuerySet[Concern]:
    last = ConcernResponse.objects.filter(concern=OuterRef("pk")).order_by("-responded_at", "-pk")
    return concerns.annotate(
        response_count=Count("responses", distinct=True),
        last_response_at=Max("responses__responded_at"),
        last_responder_name=Subquery(last.values("responder__display_name")[:1]),
    )


def concerns_for_organisation(*, organisation: Organisation, viewer: User) -> QuerySet[Concern]:
    """The organisation's concerns, open ones first and the newest first within each; never
    one about the viewer (a peer may also be a coordinator)."""
    concerns = (
        Concern.objects.filter(organisation=organisation)
        .exclude(about=viewer)
        .select_related("about", "raised_by")
    )
    return _with_responses(concerns).order_by(
        Case(
            When(status=Concern.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        "-raised_at",
        "-pk",
    )


def open_concerns_for_organisations(*, organisation_ids, viewer: User) -> QuerySet[Concern]:
    """Open concerns in any of these organisations, newest first; never one about the viewer."""
    return (
        Concern.objects.filter(organisation_id__in=organisation_ids, status=Concern.OPEN)
        .exclude(about=viewer)
        .select_related("about", "organisation")
        .order_by("-raised_at", "-pk")
    )


def concern_responses(*, concern: Concern) -> QuerySet[ConcernResponse]:
    """What coordinators recorded about a concern, in order."""
    return ConcernResponse.objects.filter(concern=concern).select_related("responder")


def concerns_raised_in(*, mentorship: Mentorship, by: User) -> QuerySet[Concern]:
    """The concerns this mentor raised in this mentorship, with who last responded and when
    (not what they wrote)."""
    concerns = Concern.objects.filter(mentorship=mentorship, raised_by=by)
    return _with_responses(concerns).order_by("-raised_at", "-pk")


# --- Wellness action plans --------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSection:
    key: str
    label: str
    body: str  # cleaned HTML, empty when the person has not written this section


def wellness_plan_for(*, user: User) -> WellnessPlan | None:
    """A person's own plan with its sections, or None if they have not started one."""
    return (
        WellnessPlan.objects.filter(user=user)
        .select_related("shared_with__mentor")
        .prefetch_related("entries")
        .first()
    )


def plan_sections(*, plan: WellnessPlan | None, written_only: bool = False) -> list[PlanSection]:
    """Every section in the fixed order, with what the person wrote in it."""
    bodies = {entry.section: entry.body for entry in plan.entries.all()} if plan else {}
    sections = [
        PlanSection(key, label, bodies.get(key, "")) for key, label in WELLNESS_PLAN_SECTIONS
    ]
    return [section for section in sections if section.body] if written_only else sections


def shared_plan_for_mentor(*, mentor: User, trainee_id: int) -> WellnessPlan | None:
    """The trainee's plan if they shared it with this mentor's current mentorship with them;
    None once that mentorship has ended, whatever the plan row still says."""
    return (
        WellnessPlan.objects.filter(
            user_id=trainee_id,
            shared_with__mentor=mentor,
            shared_with__trainee_id=trainee_id,
            shared_with__status__in=SHARING_STATUSES,
        )
        .select_related("user", "shared_with__organisation")
        .prefetch_related("entries")
        .first()
    )


# --- What a mentee shares with their mentor ---------------------------------------------------


def shared_reflections_for_mentor(*, mentorship: Mentorship) -> QuerySet[Reflection]:
    """The reflections the mentee shared with this mentor in this mentorship, while it lasts."""
    if mentorship.status not in SHARING_STATUSES:
        return Reflection.objects.none()
    return reflections_shared_in(
        peer=mentorship.trainee,
        mentor_id=mentorship.mentor_id,
        relationship=relationship_key(mentorship),
    ).order_by("-updated_at")


@dataclass(frozen=True)
class MentorCare:
    """The care part of a mentorship page, as its mentor sees it."""

    can_raise_concern: bool
    plan_shared: bool
    plan_sections_written: int
    reflection_count: int
    concerns: list


def care_for_mentor(*, mentorship: Mentorship, mentor: User) -> MentorCare:
    """Whether the mentee shares a plan and reflections, and the concerns this mentor raised."""
    current = mentorship.status in SHARING_STATUSES
    plan = (
        WellnessPlan.objects.filter(user_id=mentorship.trainee_id, shared_with=mentorship)
        .annotate(written=Count("entries"))
        .first()
        if current
        else None
    )
    return MentorCare(
        can_raise_concern=mentorship.is_open,
        plan_shared=plan is not None,
        plan_sections_written=plan.written if plan else 0,
        reflection_count=shared_reflections_for_mentor(mentorship=mentorship).count()
        if current
        else 0,
        concerns=list(concerns_raised_in(mentorship=mentorship, by=mentor)),
    )


@dataclass(frozen=True)
class TraineeCare:
    """The care part of a mentorship page, as its trainee sees it (never concerns)."""

    can_share: bool
    plan_shared_here: bool


def care_for_trainee(*, mentorship: Mentorship, trainee: User) -> TraineeCare:
    shared_with_id = (
        WellnessPlan.objects.filter(user=trainee).values_list("shared_with_id", flat=True).first()
    )
    current = mentorship.status in SHARING_STATUSES
    return TraineeCare(
        can_share=current,
        plan_shared_here=current and shared_with_id == mentorship.pk,
    )
