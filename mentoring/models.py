"""Mentoring: mentor profiles and trainee preferences, requests and mentorships with their
agreement, supervision sessions, concerns, wellness action plans and session feedback.

What is private is kept in rows of its own (a mentor's private notes, a concern's words), so that a
query written for someone else never reads it by accident.
"""

from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from lms.models import Organisation
from lms.sanitiser import SanitisedHTMLField

DATA = Path(__file__).resolve().parent / "data"


def _lines(name: str) -> list[str]:
    return [line.strip() for line in (DATA / name).read_text().splitlines() if line.strip()]


def _choices(lines: list[str]) -> list[tuple[str, str]]:
    return [
        (line.split(" (")[0].replace(" ", "_")[:40], line[:1].upper() + line[1:]) for line in lines
    ]


# Topics a supervision session may cover, and the sections of a wellness action plan, from the
# project's own copies of the domain lists.
SUPERVISION_TOPICS = _choices(_lines("supervision_topics.txt"))
WELLNESS_PLAN_SECTIONS = _choices(_lines("wellness_plan_sections.txt"))

SPECIALISMS = [
    ("personal_budgets", "Personal budgets"),
    ("brokerage", "Peer brokerage and support planning"),
    ("housing", "Housing"),
    ("employment", "Employment and volunteering"),
    ("young_people", "Young people"),
    ("older_people", "Older people"),
    ("carers", "Carers"),
    ("hearing_voices", "Hearing voices"),
    ("self_harm", "Self-harm"),
    ("substance_use", "Alcohol and drugs"),
    ("lgbtq", "LGBTQ+ communities"),
    ("racialised_communities", "Racialised communities"),
    ("criminal_justice", "Criminal justice"),
]


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    EITHER = "either", "In person or online"


# --- Organisation settings --------------------------------------------------------------------


class SupervisionInterval(models.IntegerChoices):
    WEEKLY = 7, "Every week"
    FORTNIGHTLY = 14, "Every two weeks"
    MONTHLY = 31, "Every month"
    SIX_WEEKLY = 42, "Every six weeks"
    TWO_MONTHLY = 62, "Every two months"


# How long a closed concern is kept unless the organisation sets its own period: long enough to
# see a pattern if worries come back, short enough not to follow someone for years.
CONCERN_RETENTION_MONTHS = 24


class MentoringSettings(models.Model):
    """How one organisation runs mentoring: who may mentor, how matches are weighed, how long a
    mentor has to answer, and how often supervision should happen. Set by its org admins."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="mentoring_settings"
    )
    mentor_min_stage = models.ForeignKey(
        "pathways.Stage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Mentors must have reached this stage. Empty: anyone with the mentor role.",
    )
    response_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days a mentor has to answer a request before it lapses.",
    )
    supervision_interval_days = models.PositiveSmallIntegerField(
        choices=SupervisionInterval.choices, default=SupervisionInterval.MONTHLY
    )
    # Must-have filters: a mentor who does not meet them is left off the shortlist.
    require_language = models.BooleanField(
        default=False, help_text="Only suggest mentors who speak a language the trainee asked for."
    )
    require_format = models.BooleanField(
        default=False, help_text="Only suggest mentors who meet in the way the trainee prefers."
    )
    require_area = models.BooleanField(
        default=False, help_text="Only suggest mentors in the trainee's area."
    )
    require_specialism = models.BooleanField(
        default=False, help_text="Only suggest mentors who share at least one specialism."
    )
    # Weights: points each criterion adds to a mentor's score.
    weight_specialism = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(100)],
        help_text="Points for each shared specialism.",
    )
    weight_language = models.PositiveSmallIntegerField(
        default=20, validators=[MaxValueValidator(100)], help_text="Points for a shared language."
    )
    weight_area = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)], help_text="Points for the same area."
    )
    weight_format = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)], help_text="Points for a matching format."
    )
    weight_capacity = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(100)],
        help_text="Points for each free place beyond the first, so the load is shared.",
    )
    concern_retention_months = models.PositiveSmallIntegerField(
        default=CONCERN_RETENTION_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Months a closed concern is kept, with its responses, before it is removed.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "mentoring settings"

    def __str__(self):
        return f"Mentoring settings for {self.organisation}"


# --- Profiles and preferences -----------------------------------------------------------------


class LivedExperienceVisibility(models.TextChoices):
    NOBODY = "nobody", "Nobody: keep it to myself"
    COORDINATORS = "coordinators", "My organisation's coordinators"
    TRAINEES = "trainees", "Coordinators and trainees looking for a mentor"


class MentorProfile(models.Model):
    """What a mentor tells trainees about themselves, and how many mentees they can take."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_profiles"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="mentor_profiles"
    )
    bio = SanitisedHTMLField(blank=True)
    capacity = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    accepting = models.BooleanField(default=True)
    specialisms = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)  # lower-case names, e.g. "urdu"
    area = models.CharField(max_length=100, blank=True)
    format = models.CharField(
        max_length=20, choices=MeetingFormat.choices, default=MeetingFormat.EITHER
    )
    availability = models.CharField(max_length=300, blank=True)
    lived_experience = models.CharField(max_length=300, blank=True)
    lived_experience_visibility = models.CharField(
        max_length=20,
        choices=LivedExperienceVisibility.choices,
        default=LivedExperienceVisibility.NOBODY,
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="mentoring_one_profile_per_organisation"
            )
        ]
        indexes = [models.Index(fields=["organisation", "accepting"])]

    def __str__(self):
        return f"{self.user} mentoring at {self.organisation}"


class TraineePreferences(models.Model):
    """What a trainee would like in a mentor, in their own words as well as choices."""

    FORMATS = [("", "No preference"), *MeetingFormat.choices]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_preferences"
    )
    specialisms = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    area = models.CharField(max_length=100, blank=True)
    format = models.CharField(max_length=20, choices=FORMATS, blank=True)
    notes = SanitisedHTMLField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "trainee preferences"

    def __str__(self):
        return f"Mentor preferences of {self.user}"


# --- Requests and mentorships -----------------------------------------------------------------


class MentorRequest(models.Model):
    """A trainee asking one mentor, or a coordinator proposing a pairing that both must accept."""

    PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
    WITHDRAWN, EXPIRED = "withdrawn", "expired"
    STATUSES = [
        (PENDING, "Waiting for an answer"),
        (ACCEPTED, "Accepted"),
        (DECLINED, "Declined"),
        (WITHDRAWN, "Withdrawn"),
        (EXPIRED, "Lapsed without an answer"),
    ]

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mentor_requests"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentor_requests_made"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentor_requests_received"
    )
    message = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set when a coordinator proposed the pairing; then the trainee must accept too.",
    )
    trainee_accepted_at = models.DateTimeField(null=True, blank=True)
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    respond_by = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)
    announced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the people asked were emailed (idempotent)."
    )
    trainee_told_at = models.DateTimeField(
        null=True, blank=True, help_text="When the trainee was emailed the outcome (idempotent)."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A trainee waits on one answer at a time, so asking twice (or two tabs) cannot
            # make two requests.
            models.UniqueConstraint(
                fields=["trainee", "organisation"],
                condition=models.Q(status="pending"),
                name="mentoring_one_pending_request",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status"]),
            models.Index(fields=["status", "respond_by"]),
        ]

    def __str__(self):
        return f"{self.trainee} → {self.mentor}: {self.get_status_display()}"

    @property
    def is_proposal(self) -> bool:
        return self.proposed_by_id is not None


class EndReason(models.TextChoices):
    GOALS_MET = "goals_met", "We met the goals we set"
    MOVING_ON = "moving_on", "Time to move on to something new"
    CIRCUMSTANCES = "circumstances", "Circumstances changed"
    NOT_THE_RIGHT_FIT = "fit", "It was not the right fit, and that is fine"
    CAPACITY = "capacity", "The mentor's capacity changed"
    OTHER = "other", "Another reason"


class Mentorship(models.Model):
    """A trainee and a mentor working together: proposed → active → paused → ended.

    It is proposed when a request is accepted, and active once both have confirmed the
    agreement. Ending is no-fault and either person may do it; the rows are kept as history.
    """

    PROPOSED, ACTIVE, PAUSED, ENDED = "proposed", "active", "paused", "ended"
    STATUSES = [
        (PROPOSED, "Agreeing how to work together"),
        (ACTIVE, "Active"),
        (PAUSED, "Paused"),
        (ENDED, "Ended"),
    ]
    OPEN = (PROPOSED, ACTIVE, PAUSED)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mentorships"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentorships_as_trainee"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentorships_as_mentor"
    )
    request = models.OneToOneField(
        MentorRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentorship"
    )
    status = models.CharField(max_length=20, choices=STATUSES, default=PROPOSED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.TextField(blank=True)
    # The agreement. Changing it asks both people to confirm again.
    goals = SanitisedHTMLField(blank=True)
    meeting_frequency = models.CharField(max_length=200, blank=True)
    boundaries = SanitisedHTMLField(blank=True)
    confidentiality = SanitisedHTMLField(blank=True)
    trainee_confirmed_at = models.DateTimeField(null=True, blank=True)
    mentor_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The next session both have agreed on, for the calendar file.
    next_session_at = models.DateTimeField(null=True, blank=True)
    next_session_minutes = models.PositiveSmallIntegerField(default=60)
    next_session_place = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open mentorship per trainee in an organisation: choosing again comes after
            # ending, never alongside.
            models.UniqueConstraint(
                fields=["trainee", "organisation"],
                condition=models.Q(status__in=["proposed", "active", "paused"]),
                name="mentoring_one_open_mentorship",
            ),
            models.CheckConstraint(
                condition=~models.Q(trainee=models.F("mentor")),
                name="mentoring_not_own_mentor",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status"]),
            models.Index(fields=["trainee", "status"]),
        ]

    def __str__(self):
        return f"{self.mentor} mentoring {self.trainee} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def agreement_confirmed(self) -> bool:
        return bool(self.trainee_confirmed_at and self.mentor_confirmed_at)


# --- Supervision ------------------------------------------------------------------------------


class SessionFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    PHONE = "phone", "By phone"


class SupervisionSession(models.Model):
    """A supervision session a mentor logged. Only sessions the mentee confirms count."""

    AWAITING, CONFIRMED, DISPUTED = "awaiting", "confirmed", "disputed"
    STATUSES = [
        (AWAITING, "Waiting for the mentee to confirm"),
        (CONFIRMED, "Confirmed"),
        (DISPUTED, "The mentee says this is not right"),
    ]
    MAX_MINUTES = 8 * 60

    mentorship = models.ForeignKey(Mentorship, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField()
    format = models.CharField(max_length=20, choices=SessionFormat.choices)
    topics = models.JSONField(default=list, blank=True)
    summary = SanitisedHTMLField(blank=True, help_text="Shared with the mentee.")
    status = models.CharField(max_length=20, choices=STATUSES, default=AWAITING)
    wellbeing_checkin = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Given by the mentee when they confirm: 1 (struggling) to 5 (really well).",
    )
    dispute_note = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    mentee_told_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the mentee was emailed to confirm this version (idempotent).",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-logged_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0, duration_minutes__lte=8 * 60),
                name="mentoring_session_duration_range",
            ),
        ]
        indexes = [models.Index(fields=["mentorship", "status", "held_on"])]

    def __str__(self):
        return f"Supervision on {self.held_on:%Y-%m-%d} ({self.duration_minutes} min)"

    @property
    def hours(self) -> float:
        return self.duration_minutes / 60

    def get_topic_labels(self) -> list[str]:
        labels = dict(SUPERVISION_TOPICS)
        return [labels.get(topic, topic) for topic in self.topics]


class SessionPrivateNote(models.Model):
    """A mentor's private notes on a session. Only the author can ever read them: no view,
    export, dashboard or concern reads this table for anyone else."""

    session = models.OneToOneField(
        SupervisionSession, on_delete=models.CASCADE, related_name="private_note"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = SanitisedHTMLField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Private note on {self.session}"


class ActionItem(models.Model):
    """Something agreed in a session: who will do it and by when."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentoring_actions"
    )
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["owner", "done_at"])]

    def __str__(self):
        return self.description


class SessionFeedback(models.Model):
    """A mentee's rating of a confirmed session. Organisations see aggregates only."""

    session = models.OneToOneField(
        SupervisionSession, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    comment = models.TextField(blank=True)
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=4), name="mentoring_rating_range"
            )
        ]

    def __str__(self):
        return f"Feedback on {self.session}: {self.rating}"


# --- Concerns ---------------------------------------------------------------------------------


class Concern(models.Model):
    """A mentor's wellbeing or safeguarding concern about a mentee, for the coordinators. It
    carries the mentor's own words and nothing from session notes."""

    WELLBEING, SAFEGUARDING = "wellbeing", "safeguarding"
    KINDS = [(WELLBEING, "Wellbeing"), (SAFEGUARDING, "Safeguarding")]
    OPEN, CLOSED = "open", "closed"
    STATUSES = [(OPEN, "Open"), (CLOSED, "Closed")]

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="concerns"
    )
    mentorship = models.ForeignKey(
        Mentorship, null=True, on_delete=models.PROTECT, related_name="concerns"
    )
    about = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns_about"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    description = models.TextField()
    status = models.CharField(max_length=20, choices=STATUSES, default=OPEN)
    raised_at = models.DateTimeField(default=timezone.now)
    coordinators_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} concern about {self.about}"


class ConcernResponse(models.Model):
    """What a coordinator did about a concern. Kept in order; the last may close it."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="responses")
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.TextField()
    closes = models.BooleanField(default=False)
    responded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["responded_at"]

    def __str__(self):
        return f"Response to {self.concern}"


# --- Wellness action plan ---------------------------------------------------------------------


class WellnessPlan(models.Model):
    """A peer's own wellness action plan. Private; shared only with their current mentor, by
    their choice, and never beyond the end of that mentorship."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wellness_plan"
    )
    shared_with = models.ForeignKey(
        Mentorship, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField(
        null=True, blank=True, help_text="When the peer shared it in the current mentorship."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Wellness action plan of {self.user}"


class WellnessPlanEntry(models.Model):
    plan = models.ForeignKey(WellnessPlan, on_delete=models.CASCADE, related_name="entries")
    section = models.CharField(max_length=40, choices=WELLNESS_PLAN_SECTIONS)
    body = SanitisedHTMLField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "section"], name="mentoring_one_entry_a_section"
            )
        ]

    def __str__(self):
        return f"{self.get_section_display()} ({self.plan.user})"
