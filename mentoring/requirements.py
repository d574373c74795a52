"""Pathway requirement kinds from mentoring: supervision hours received, supervision hours given,
and trainees mentored. `register_kinds()` adds them to the pathways registry when the app is
ready, so pathways never imports mentoring.

Each kind evaluates one requirement for many people in one query. Only sessions the mentee has
confirmed count.
"""

from decimal import Decimal

from django.db.models import Count, Sum

from mentoring.models import Mentorship, SupervisionSession
from mentoring.population import mentored_make_met, supervision_make_met
from mentoring.selectors.supervision import hours
from pathways.requirements import (
    IN_PROGRESS,
    MET,
    NOT_STARTED,
    RequirementKind,
    Status,
    _in,
    registry,
    window_filter,
)


def _number(value: Decimal) -> str:
    """12.0 as "12", 8.5 as "8.5"."""
    return f"{Decimal(value).normalize():f}"


def _plural(value: Decimal, word: str) -> str:
    return f"{_number(value)} {word}{'' if Decimal(value) == 1 else 's'}"


def _within(requirement) -> str:
    months = requirement.within_months
    if not months:
        return ""
    return " in the last month" if months == 1 else f" in the last {months} months"


class _SupervisionHours(RequirementKind):
    """Hours of confirmed supervision, counted for the mentee or for the mentor."""

    fields = ("amount", "within_months")
    required_fields = ("amount",)
    person = ""  # the lookup from a session to the person it counts for

    def minutes(self, requirement, user_ids, clock) -> dict[int, int]:
        sessions = SupervisionSession.objects.filter(
            status=SupervisionSession.CONFIRMED, **{f"{self.person}__in": _in(user_ids)}
        )
        # Paused months do not eat into the window: it reaches back by the time paused in it.
        window = window_filter(
            clock,
            user_ids,
            requirement.within_months,
            person=self.person,
            moment="held_on",
            as_date=True,
        )
        if window is not None:
            sessions = sessions.filter(window)
        counted = sessions.values(self.person).annotate(minutes=Sum("duration_minutes"))
        return dict(counted.values_list(self.person, "minutes"))

    def next_step(self, remaining: Decimal, done: Decimal, needed: Decimal) -> str:
        raise NotImplementedError

    def make_met(self, requirement, people, *, organisation, now) -> bool:
        supervision_make_met(
            people=people,
            hours=requirement.amount,
            within_months=requirement.within_months,
            as_mentor=self.person == "mentorship__mentor_id",
            organisation=organisation,
            now=now,
        )
        return True

    def evaluate(self, requirement, user_ids, clock):
        minutes = self.minutes(requirement, user_ids, clock)
        needed = Decimal(requirement.amount)
        statuses = {}
        for uid in user_ids:
            done_minutes = minutes.get(uid) or 0
            done = hours(done_minutes)
            if done_minutes >= needed * 60:
                statuses[uid] = Status(MET, done, needed)
            else:
                statuses[uid] = Status(
                    IN_PROGRESS if done_minutes else NOT_STARTED,
                    done,
                    needed,
                    self.next_step(max(needed - done, Decimal("0.1")), done, needed),
                )
        return statuses


class SupervisionHoursReceived(_SupervisionHours):
    key, label = "supervision_hours", "Supervision hours received"
    person = "mentorship__trainee_id"

    def describe(self, requirement):
        return requirement.title or (
            f"{_plural(requirement.amount, 'hour')} of supervision{_within(requirement)}"
        )

    def next_step(self, remaining, done, needed):
        return (
            f"Have {_plural(remaining, 'more hour')} of supervision — "
            f"{_number(done)} of {_number(needed)} so far"
        )


class SupervisionHoursGiven(_SupervisionHours):
    key, label = "supervision_hours_given", "Supervision hours given"
    person = "mentorship__mentor_id"

    def describe(self, requirement):
        return requirement.title or (
            f"Give {_plural(requirement.amount, 'hour')} of supervision{_within(requirement)}"
        )

    def next_step(self, remaining, done, needed):
        return (
            f"Give {_plural(remaining, 'more hour')} of supervision — "
            f"{_number(done)} of {_number(needed)} so far"
        )


class MentoredTrainees(RequirementKind):
    """Different trainees this person has mentored in a mentorship that became active."""

    key, label = "mentored_trainees", "Trainees mentored"
    fields = ("amount", "within_months")
    required_fields = ("amount",)

    def describe(self, requirement):
        return requirement.title or (
            f"Mentor {_plural(requirement.amount, 'trainee')}{_within(requirement)}"
        )

    def make_met(self, requirement, people, *, organisation, now) -> bool:
        mentored_make_met(
            people=people,
            trainees=requirement.amount,
            within_months=requirement.within_months,
            organisation=organisation,
            now=now,
        )
        return True

    def evaluate(self, requirement, user_ids, clock):
        mentorships = Mentorship.objects.filter(
            mentor_id__in=_in(user_ids), started_at__isnull=False
        )
        window = window_filter(
            clock, user_ids, requirement.within_months, person="mentor_id", moment="started_at"
        )
        if window is not None:
            mentorships = mentorships.filter(window)
        counted = dict(
            mentorships.values("mentor_id")
            .annotate(people=Count("trainee_id", distinct=True))
            .values_list("mentor_id", "people")
        )
        needed = Decimal(requirement.amount)
        statuses = {}
        for uid in user_ids:
            done = counted.get(uid, 0)
            if done >= needed:
                statuses[uid] = Status(MET, done, needed)
            else:
                remaining = needed - done
                statuses[uid] = Status(
                    IN_PROGRESS if done else NOT_STARTED,
                    done,
                    needed,
                    f"Mentor {_plural(remaining, 'more trainee')} — "
                    f"{done} of {_number(needed)} so far",
                )
        return statuses


KINDS = (SupervisionHoursReceived(), SupervisionHoursGiven(), MentoredTrainees())


def register_kinds() -> None:
    """Add the mentoring kinds to the pathways registry (safe to call twice)."""
    for kind in KINDS:
        registry.register(kind)
