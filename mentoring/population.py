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

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lms.models import Membership, Organisation, Role, User
from mentoring.models import (
    SPECIALISMS,
    LivedExperienceVisibility,
    MeetingFormat,
    MentorProfile,
    Mentorship,
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
