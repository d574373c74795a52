"""Reads for the mentoring dashboard panels: a trainee's mentor and what is next, a mentor's
mentees and requests, and a coordinator's open concerns and supervision coverage. Each runs a
fixed number of queries however many mentees, sessions or concerns there are."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from lms.models import Organisation, User
from mentoring.models import ActionItem, Concern, MentorRequest, Mentorship, SupervisionSession
from mentoring.selectors.care import open_concerns_for_organisations
from mentoring.selectors.pairing import pending_requests_of, requests_waiting_for
from mentoring.selectors.supervision import (
    Coverage,
    actions_in_due_order,
    coverage_for_organisation,
    last_confirmed_sessions,
    sessions_awaiting_confirmation,
)
from pathways.selectors import current_stages

ACTIONS_SHOWN = 5
SESSIONS_SHOWN = 5
REQUESTS_SHOWN = 5
CONCERNS_SHOWN = 3


# --- Trainee ----------------------------------------------------------------------------------


@dataclass
class TraineeDashboard:
    mentorships: list[Mentorship]  # proposed, active or paused, as the trainee
    pending: list[MentorRequest]  # requests of theirs waiting for a mentor's answer
    actions: list[ActionItem]
    to_confirm: list[SupervisionSession]

    @property
    def has_mentor(self) -> bool:
        return bool(self.mentorships)


def _actions_due_as_trainee(*, user: User) -> list[ActionItem]:
    """The open action items this person owns in mentorships where they are the trainee (not
    those they own as someone's mentor) by the clock's day (a pause moves them): past ones
    first, then the soonest, undated ones last."""
    return actions_in_due_order(
        ActionItem.objects.filter(
            owner=user, done_at__isnull=True, session__mentorship__trainee=user
        ).select_related("session__mentorship__mentor", "session__mentorship__trainee")
    )[:ACTIONS_SHOWN]


def trainee_dashboard(*, user: User) -> TraineeDashboard:
    """A trainee's current mentorships, requests waiting, actions due and sessions to confirm."""
    return TraineeDashboard(
        mentorships=list(
            Mentorship.objects.filter(trainee=user, status__in=Mentorship.OPEN)
            .select_related("mentor", "organisation")
            .order_by("-created_at", "-pk")
        ),
        pending=list(pending_requests_of(trainee=user)),
        actions=_actions_due_as_trainee(user=user),
        to_confirm=list(sessions_awaiting_confirmation(trainee=user)[:SESSIONS_SHOWN]),
    )


# --- Mentor -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mentee:
    mentorship: Mentorship
    stage: object  # pathways Stage, or None when they are on no pathway
    last_session: SupervisionSession | None


@dataclass
class MentorDashboard:
    mentees: list[Mentee]
    waiting: list[MentorRequest]
    waiting_count: int


def mentor_dashboard(*, user: User) -> MentorDashboard:
    """A mentor's open mentorships with each mentee's stage and last confirmed session, and the
    requests waiting for their answer."""
    mentorships = list(
        Mentorship.objects.filter(mentor=user, status__in=Mentorship.OPEN)
        .select_related("trainee", "organisation")
        .order_by("trainee__display_name", "pk")
    )
    stages = current_stages(user_ids=[m.trainee_id for m in mentorships])
    last = last_confirmed_sessions(mentorship_ids=[m.pk for m in mentorships])
    # The first few, each carrying how many there are in all: one query.
    waiting = list(
        requests_waiting_for(mentor=user).annotate(total=Window(Count("pk")))[:REQUESTS_SHOWN]
    )
    return MentorDashboard(
        mentees=[Mentee(m, stages.get(m.trainee_id), last.get(m.pk)) for m in mentorships],
        waiting=waiting,
        waiting_count=waiting[0].total if waiting else 0,
    )


# --- Coordinator ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationConcerns:
    organisation: Organisation
    open_count: int
    newest: list[Concern]


@dataclass
class CoordinatorDashboard:
    concerns: list[OrganisationConcerns]
    coverage_organisation: Organisation
    coverage: Coverage
    others: list[Organisation] = field(default_factory=list)


def coordinator_dashboard(
    *, organisations: list[Organisation], viewer: User
) -> CoordinatorDashboard:
    """Open concerns in each organisation (count and newest few, in two queries), and
    supervision coverage for the first (the others are a link away). A concern about the
    viewer themselves is never counted or shown to them."""
    ids = [organisation.pk for organisation in organisations]
    counts = dict(
        Concern.objects.filter(organisation_id__in=ids, status=Concern.OPEN)
        .exclude(about=viewer)
        .order_by()
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
    )
    newest: dict[int, list[Concern]] = {}
    ranked = open_concerns_for_organisations(organisation_ids=ids, viewer=viewer).annotate(
        rank=Window(
            RowNumber(),
            partition_by=F("organisation_id"),
            order_by=[F("raised_at").desc(), F("pk").desc()],
        )
    )
    for concern in ranked.filter(rank__lte=CONCERNS_SHOWN):
        newest.setdefault(concern.organisation_id, []).append(concern)
    return CoordinatorDashboard(
        concerns=[
            OrganisationConcerns(o, counts.get(o.pk, 0), newest.get(o.pk, []))
            for o in organisations
        ],
        coverage_organisation=organisations[0],
        coverage=coverage_for_organisation(organisation=organisations[0]),
        others=organisations[1:],
    )
