"""Made-up mentors in bulk, for tests and for measuring the shortlist at the sizes real
organisations reach.

`generate_mentors` writes rows with `bulk_create` in batches (the services cost a query or more a
row): for each mentor a user, an active mentor membership, a mentor profile, and (when a stage is
given) a place on that stage's pathway. About a third of the mentors already have mentees, each
mentee a made-up peer of their own with an open mentorship, so that capacity is counted for real;
some of those mentors are full. Every tenth mentor is not taking new mentees.

Each mentor is drawn from a random generator of their own, seeded with the seed, the prefix and
their number, so mentor 17 is the same person whichever run makes them. Mentors are keyed by
email address (`mentor-0017@generated.demo.example`), and a rerun skips those that exist.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lms.bulk_load import insert_rows
from lms.dates import add_months
from lms.models import Membership, Organisation, Role, User
from mentoring.models import (
    SPECIALISMS,
    LivedExperienceVisibility,
    MeetingFormat,
    MentorProfile,
    Mentorship,
    SessionFormat,
    SupervisionSession,
)
from pathways.models import PathwayMembership, Stage
from pathways.population import FIRST_NAMES, PRONOUNS, SURNAMES, email_for

DEFAULT_SEED = 2026
BATCH = 500
AREAS = ("Nottingham", "Derby", "Leicester", "Mansfield", "Lincoln", "Loughborough", "Newark")
LANGUAGES = ("urdu", "punjabi", "polish", "bengali", "arabic", "somali", "british sign language")
AVAILABILITY = (
    "Weekday evenings",
    "Tuesday and Thursday mornings",
    "Most afternoons, and Saturday mornings",
    "Mondays and Fridays, flexible times",
)
LIVED_EXPERIENCE = (
    "Living with anxiety and depression",
    "Recovery from psychosis",
    "Caring for a family member",
    "Time in hospital under a section",
)
BIO = (
    "<p>I have worked as a peer for several years and I enjoy helping new peers find their "
    "feet.</p>"
)


@dataclass
class _Mentor:
    number: int
    email: str
    name: str
    pronouns: str
    capacity: int
    accepting: bool
    mentees: int
    specialisms: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    area: str = ""
    format: str = MeetingFormat.EITHER
    availability: str = ""
    lived_experience: str = ""
    visibility: str = LivedExperienceVisibility.NOBODY


def _draw(number: int, *, seed, prefix: str) -> _Mentor:
    rng = random.Random(f"{seed}/{prefix}/{number}")
    capacity = rng.randint(1, 4)
    mentees = rng.randint(1, capacity) if rng.random() < 0.35 else 0
    lived = rng.random() < 0.5
    return _Mentor(
        number=number,
        email=email_for(prefix, number),
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
        pronouns=rng.choice(PRONOUNS),
        capacity=capacity,
        accepting=number % 10 != 0,
        mentees=mentees,
        specialisms=sorted(rng.sample([key for key, _ in SPECIALISMS], rng.randint(1, 3))),
        languages=["english", *rng.sample(LANGUAGES, rng.randint(0, 2))],
        area=rng.choice(AREAS),
        format=rng.choice(MeetingFormat.values),
        availability=rng.choice(AVAILABILITY),
        lived_experience=rng.choice(LIVED_EXPERIENCE) if lived else "",
        visibility=rng.choice(LivedExperienceVisibility.values)
        if lived
        else LivedExperienceVisibility.NOBODY,
    )


def _users(people: list[tuple[str, str, str]]) -> list[User]:
    users = []
    for email, name, pronouns in people:
        user = User(email=email, display_name=name, pronouns=pronouns)
        user.set_unusable_password()  # made-up people never sign in; hashing would be slow
        users.append(user)
    return User.objects.bulk_create(users)


def _write(mentors: list[_Mentor], organisation: Organisation, stage: Stage | None) -> None:
    since = timezone.localdate() - timedelta(days=365)
    users = _users([(m.email, m.name, m.pronouns) for m in mentors])
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, role=Role.MENTOR, active_from=since)
        for user in users
    )
    if stage is not None:
        PathwayMembership.objects.bulk_create(
            PathwayMembership(user=user, pathway_id=stage.pathway_id, stage=stage) for user in users
        )
    MentorProfile.objects.bulk_create(
        MentorProfile(
            user=user,
            organisation=organisation,
            bio=BIO,
            capacity=mentor.capacity,
            accepting=mentor.accepting,
            specialisms=mentor.specialisms,
            languages=mentor.languages,
            area=mentor.area,
            format=mentor.format,
            availability=mentor.availability,
            lived_experience=mentor.lived_experience,
            lived_experience_visibility=mentor.visibility,
        )
        for mentor, user in zip(mentors, users, strict=True)
    )
    _write_mentees(mentors, users, organisation, since)


def _write_mentees(mentors, users, organisation, since) -> None:
    pairs = [
        (mentor_user, mentor, k)
        for mentor, mentor_user in zip(mentors, users, strict=True)
        for k in range(1, mentor.mentees + 1)
    ]
    mentees = _users(
        [
            (
                mentor.email.replace("@", f".mentee{k}@"),
                f"Mentee {k} of {mentor.name}",
                "",
            )
            for _, mentor, k in pairs
        ]
    )
    Membership.objects.bulk_create(
        Membership(user=mentee, organisation=organisation, role=Role.PEER, active_from=since)
        for mentee in mentees
    )
    statuses = (Mentorship.ACTIVE, Mentorship.ACTIVE, Mentorship.PAUSED, Mentorship.PROPOSED)
    now = timezone.now()
    Mentorship.objects.bulk_create(
        Mentorship(
            organisation=organisation,
            trainee=mentee,
            mentor=mentor_user,
            status=statuses[(mentor.number + k) % len(statuses)],
            started_at=now - timedelta(days=30 * k),
        )
        for (mentor_user, mentor, k), mentee in zip(pairs, mentees, strict=True)
    )


def generate_mentors(
    *,
    organisation: Organisation,
    count: int,
    stage: Stage | None = None,
    seed=DEFAULT_SEED,
    email_prefix: str = "mentor",
    log: Callable[[str], object] | None = None,
) -> int:
    """Make mentors 1 to `count` (those not there already) at `organisation`, each with a
    profile, and placed at `stage` when one is given; returns how many were created."""
    created = 0
    for first in range(1, count + 1, BATCH):
        numbers = range(first, min(first + BATCH, count + 1))
        emails = [email_for(email_prefix, number) for number in numbers]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        mentors = [
            _draw(number, seed=seed, prefix=email_prefix)
            for number, email in zip(numbers, emails, strict=True)
            if email not in existing
        ]
        if mentors:
            with transaction.atomic():
                _write(mentors, organisation, stage)
            created += len(mentors)
    if log:
        log(
            f"Generated {created} mentors at {organisation} ({count - created} were there already)."
        )
    return created


# --- Supervision and mentoring for made-up peers (pathways.population) -----------------------
#
# The population generator asks each requirement kind to meet its requirement for the people
# meant to meet it (`RequirementKind.make_met`); these write mentoring's records for that:
# ended mentorships with a made-up partner, and confirmed sessions inside each person's time.


def _partner(number: int) -> int:
    """The id of made-up partner `number` (created once), the other side of generated
    mentorships, so no real person's mentoring is touched."""
    user, created = User.objects.get_or_create(
        email=email_for("partner", number), defaults={"display_name": f"Made-up partner {number}"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user.pk


def _window(person, within_months, now):
    start = person.start
    if within_months:
        start = max(start, add_months(now, -within_months) + timedelta(days=3))
    return start, max(start, min(person.end, now - timedelta(days=1)))


def _ended(organisation, *, trainee_id, mentor_id, started, now) -> Mentorship:
    return Mentorship(
        organisation=organisation,
        trainee_id=trainee_id,
        mentor_id=mentor_id,
        status=Mentorship.ENDED,
        created_at=started,
        started_at=started,
        ended_at=now,
    )


def supervision_make_met(*, people, hours, within_months, as_mentor, organisation, now) -> None:
    """Confirmed sessions of an hour each, enough for `hours`, for each person as mentee (or as
    mentor), inside their window."""
    partner = _partner(1)
    windows = [_window(person, within_months, now) for person in people]
    mentorships = Mentorship.objects.bulk_create(
        _ended(
            organisation,
            trainee_id=partner if as_mentor else person.user_id,
            mentor_id=person.user_id if as_mentor else partner,
            started=start,
            now=now,
        )
        for person, (start, _) in zip(people, windows, strict=True)
    )
    count = max(1, math.ceil(hours))
    # Many sessions a person: written as plain rows (`insert_rows`), the summary already clean.
    insert_rows(
        SupervisionSession,
        (
            "mentorship_id",
            "held_on",
            "duration_minutes",
            "format",
            "status",
            "confirmed_at",
            "logged_at",
            "topics",
            "summary",
        ),
        (
            (
                mentorship.pk,
                timezone.localdate(start + (end - start) * (n + 1) / (count + 1)),
                60,
                SessionFormat.IN_PERSON,
                SupervisionSession.CONFIRMED,
                end,
                end,
                ["wellbeing"],
                "<p>A regular supervision session.</p>",
            )
            for mentorship, (start, end) in zip(mentorships, windows, strict=True)
            for n in range(count)
        ),
    )


def mentored_make_met(*, people, trainees, within_months, organisation, now) -> None:
    """Ended mentorships with `trainees` different made-up partners, each started inside the
    person's window."""
    partners = [_partner(number) for number in range(1, max(1, math.ceil(trainees)) + 1)]
    Mentorship.objects.bulk_create(
        _ended(organisation, trainee_id=partner, mentor_id=person.user_id, started=start, now=now)
        for person in people
        for start, _ in [_window(person, within_months, now)]
        for partner in partners
    )
