"""Reads for pairing: requests waiting for an answer, a person's mentorships, and the people a
coordinator may pair."""

import hashlib
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from lms.models import Membership, Organisation, Role, User
from mentoring.models import (
    LivedExperienceVisibility,
    MentorProfile,
    MentorRequest,
    Mentorship,
    TraineePreferences,
)
from mentoring.selectors.matching import (
    eligible_mentor_profiles,
    language_label,
    mentor_is_eligible,
    specialism_labels,
)


def _requests() -> QuerySet[MentorRequest]:
    return MentorRequest.objects.select_related("trainee", "mentor", "organisation", "proposed_by")


def _mentorships() -> QuerySet[Mentorship]:
    return Mentorship.objects.select_related("trainee", "mentor", "organisation")


def _still_waiting() -> Q:
    """Pending and not past its respond-by time: a request that lapsed unanswered is waiting
    for nobody, even before the hourly expiry has marked it."""
    return Q(status=MentorRequest.PENDING, respond_by__gt=timezone.now())


def requests_waiting_for(*, mentor: User) -> QuerySet[MentorRequest]:
    """Requests and proposals waiting for this mentor's answer, the soonest to lapse first."""
    return (
        _requests()
        .filter(_still_waiting(), mentor=mentor, mentor_accepted_at__isnull=True)
        .order_by("respond_by", "pk")
    )


def pending_requests_of(*, trainee: User) -> QuerySet[MentorRequest]:
    """The trainee's requests and proposals still waiting for an answer (one per organisation)."""
    return _requests().filter(_still_waiting(), trainee=trainee).order_by("pk")


def mentorships_for(*, user: User) -> QuerySet[Mentorship]:
    """Every mentorship the person is the trainee or the mentor in, newest first (history too)."""
    return _mentorships().filter(Q(trainee=user) | Q(mentor=user)).order_by("-created_at", "-pk")


def open_mentorship_count(*, mentor: User, organisation: Organisation) -> int:
    """How many of the mentor's places are taken in the organisation."""
    return Mentorship.objects.filter(
        mentor=mentor, organisation=organisation, status__in=Mentorship.OPEN
    ).count()


def possessive(user: User) -> str:
    """ "her", "his" or "their", from the pronouns the person gave ("their" when unsure)."""
    first = (user.pronouns or "").lower().split("/")[0].strip()
    return {"she": "her", "he": "his"}.get(first, "their")


def why_mentor_cannot_take(*, profile: MentorProfile) -> str:
    """Why this mentor cannot be asked now, in plain words; empty when they can."""
    mentor, organisation = profile.user, profile.organisation
    if not profile.accepting:
        return f"{mentor} is not taking on new mentees at the moment. You can choose someone else."
    if not mentor_is_eligible(user=mentor, organisation=organisation):
        return f"{mentor} is not mentoring at {organisation} at the moment."
    if open_mentorship_count(mentor=mentor, organisation=organisation) >= profile.capacity:
        return f"{mentor} has no free place at the moment. You can choose someone else."
    return ""


def why_trainee_cannot_ask(
    *, trainee: User, profile: MentorProfile, asked_by: User | None = None
) -> str:
    """Why this trainee cannot ask this mentor now (or, with `asked_by`, why a coordinator
    cannot propose the pairing), in plain words; empty when they can."""
    mentor, organisation = profile.user, profile.organisation
    yourself = asked_by is None
    if mentor.pk == trainee.pk:
        return (
            "You cannot be your own mentor." if yourself else f"{trainee} cannot mentor themselves."
        )
    current = (
        Mentorship.objects.select_related("mentor")
        .filter(trainee=trainee, organisation=organisation, status__in=Mentorship.OPEN)
        .first()
    )
    if current and yourself:
        return (
            f"You already have a mentor here, {current.mentor}. You can choose again once that "
            "mentorship ends."
        )
    if current:
        return f"{trainee} already has a mentor, {current.mentor}."
    pending = (
        MentorRequest.objects.select_related("mentor")
        .filter(_still_waiting(), trainee=trainee, organisation=organisation)
        .first()
    )
    if pending and not yourself:
        return f"{trainee} is already waiting for an answer from {pending.mentor}."
    if pending and pending.is_proposal:
        return (
            f"A pairing with {pending.mentor} has been proposed for you. Accept or decline it "
            "first."
        )
    if pending:
        return (
            f"You have already asked {pending.mentor}. Wait for {possessive(pending.mentor)} "
            "answer or withdraw it first."
        )
    return why_mentor_cannot_take(profile=profile)


@dataclass
class MentoringHome:
    """Everything the mentoring home page shows one person."""

    is_trainee: bool
    is_mentor: bool
    current: list[Mentorship] = field(default_factory=list)  # as the trainee
    pending: list[MentorRequest] = field(default_factory=list)  # as the trainee
    waiting: list[MentorRequest] = field(default_factory=list)  # for the mentor's answer
    mentees: list[Mentorship] = field(default_factory=list)
    history: list[Mentorship] = field(default_factory=list)

    @property
    def can_choose(self) -> bool:
        return self.is_trainee and not self.current and not self.pending


def mentoring_home(*, user: User) -> MentoringHome:
    """A person's requests and mentorships, sorted into what the home page shows, in four
    queries however many there are."""
    roles = set(Membership.objects.active().filter(user=user).values_list("role", flat=True))
    mentorships = list(mentorships_for(user=user))
    home = MentoringHome(
        is_trainee=Role.PEER in roles or any(m.trainee_id == user.pk for m in mentorships),
        is_mentor=Role.MENTOR in roles or any(m.mentor_id == user.pk for m in mentorships),
        pending=list(pending_requests_of(trainee=user)),
        waiting=list(requests_waiting_for(mentor=user)),
    )
    for mentorship in mentorships:
        if not mentorship.is_open:
            home.history.append(mentorship)
        elif mentorship.trainee_id == user.pk:
            home.current.append(mentorship)
        else:
            home.mentees.append(mentorship)
    return home


# --- For coordinators -------------------------------------------------------------------------


def peers_free_to_pair(*, organisation: Organisation) -> QuerySet[User]:
    """Peers of the organisation with no open mentorship and no request waiting there."""
    peers = Membership.objects.active().filter(organisation=organisation, role=Role.PEER)
    busy = Mentorship.objects.filter(organisation=organisation, status__in=Mentorship.OPEN)
    waiting = MentorRequest.objects.filter(_still_waiting(), organisation=organisation)
    return (
        User.objects.filter(pk__in=peers.values("user_id"), is_active=True)
        .exclude(pk__in=busy.values("trainee_id"))
        .exclude(pk__in=waiting.values("trainee_id"))
        .order_by("display_name", "pk")
    )


@dataclass
class PeerWishes:
    """A peer free to pair and what they would like in a mentor, for their coordinator."""

    user: User
    preferences: TraineePreferences | None

    @property
    def specialisms(self) -> list[str]:
        return specialism_labels(self.preferences.specialisms) if self.preferences else []

    @property
    def languages(self) -> list[str]:
        if self.preferences is None:
            return []
        return [language_label(name) for name in self.preferences.languages]

    @property
    def area(self) -> str:
        return self.preferences.area.strip() if self.preferences else ""

    @property
    def format(self) -> str:
        if self.preferences is None or not self.preferences.format:
            return ""
        return self.preferences.get_format_display()

    @property
    def notes(self) -> str:
        """Their own words, as cleaned HTML."""
        return self.preferences.notes if self.preferences else ""

    @property
    def has_wishes(self) -> bool:
        return bool(self.specialisms or self.languages or self.area or self.format or self.notes)


def peers_free_to_pair_with_wishes(*, organisation: Organisation) -> list[PeerWishes]:
    """The peers free to pair (as `peers_free_to_pair`), each with their mentor preferences:
    one query however many there are."""
    peers = peers_free_to_pair(organisation=organisation).select_related("mentor_preferences")
    return [
        PeerWishes(user=peer, preferences=getattr(peer, "mentor_preferences", None))
        for peer in peers
    ]


@dataclass
class MentorFacts:
    """A mentor with a free place, as their coordinator reads their profile."""

    profile: MentorProfile

    @property
    def user(self) -> User:
        return self.profile.user

    @property
    def free_places(self) -> int:
        return self.profile.free_places

    @property
    def specialisms(self) -> list[str]:
        return specialism_labels(self.profile.specialisms)

    @property
    def languages(self) -> list[str]:
        return [language_label(name) for name in self.profile.languages]

    @property
    def lived_experience(self) -> str:
        """Shown to coordinators when the mentor chose coordinators, or coordinators and
        trainees; never when they chose to keep it to themselves."""
        if self.profile.lived_experience_visibility in (
            LivedExperienceVisibility.COORDINATORS,
            LivedExperienceVisibility.TRAINEES,
        ):
            return self.profile.lived_experience
        return ""


def mentors_with_room_facts(*, organisation: Organisation) -> list[MentorFacts]:
    """The mentors with room (as `mentor_profiles_with_room`) with their profiles: one query."""
    return [
        MentorFacts(profile) for profile in mentor_profiles_with_room(organisation=organisation)
    ]


def proposals_waiting_in(*, organisation: Organisation) -> QuerySet[MentorRequest]:
    """Coordinators' proposals in the organisation still waiting for an answer."""
    return (
        _requests()
        .filter(_still_waiting(), organisation=organisation, proposed_by__isnull=False)
        .order_by("respond_by", "pk")
    )


def mentor_profiles_with_room(*, organisation: Organisation) -> QuerySet[MentorProfile]:
    """Accepting profiles of people who may mentor in the organisation today and have a free
    place, annotated with `open_mentorships` and `free_places`."""
    return (
        eligible_mentor_profiles(organisation=organisation)
        .filter(accepting=True, user__is_active=True, free_places__gt=0)
        .order_by("user__display_name", "pk")
    )


# --- The agreement ----------------------------------------------------------------------------


def agreement_fingerprint(mentorship: Mentorship) -> str:
    """A short fingerprint of the agreement's words, so a confirmation is of the version the
    person read (someone may have changed it since they opened the page)."""
    words = "\x1f".join(
        [
            mentorship.goals,
            mentorship.meeting_frequency,
            mentorship.boundaries,
            mentorship.confidentiality,
        ]
    )
    return hashlib.sha256(words.encode()).hexdigest()[:16]
