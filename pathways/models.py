"""Pathways: competence frameworks, career pathways with stages and requirements, and each
person's progress along one: evidence, sign-offs, stage decisions, pauses and goals."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from lms.models import Organisation
from lms.sanitiser import SanitisedHTMLField
from pathways.files import evidence_upload_to

# --- Competence frameworks --------------------------------------------------------------------


class CompetenceFramework(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class CompetenceDomain(models.Model):
    framework = models.ForeignKey(
        CompetenceFramework, on_delete=models.CASCADE, related_name="domains"
    )
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="pathways_domain_code")
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Competence(models.Model):
    framework = models.ForeignKey(
        CompetenceFramework, on_delete=models.CASCADE, related_name="competences"
    )
    domain = models.ForeignKey(
        CompetenceDomain, on_delete=models.CASCADE, related_name="competences"
    )
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="pathways_competence_code")
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


# --- Pathways, stages and requirements --------------------------------------------------------


class RequirementKindSelect(forms.Select):
    """A select of the registered requirement kinds, read when drawn: apps register their kinds
    after this module is imported."""

    @property
    def choices(self):
        from pathways.requirements import registry

        return [("", "Choose a kind"), *registry.choices()]

    @choices.setter
    def choices(self, value):
        pass


class Pathway(ClusterableModel):
    """An ordered list of stages. Owned by one organisation, or shared when it has none."""

    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pathways",
        help_text="Leave empty for a pathway every organisation may use.",
    )
    framework = models.ForeignKey(
        CompetenceFramework, on_delete=models.PROTECT, related_name="pathways"
    )
    description = models.TextField(blank=True)

    panels = [
        "name",
        "organisation",
        "framework",
        "description",
        InlinePanel("stages", heading="Stages", label="Stage"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Stage(ClusterableModel, Orderable):
    pathway = ParentalKey(Pathway, on_delete=models.CASCADE, related_name="stages")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What this stage means, in plain words.")
    pay_band = models.CharField(max_length=60, blank=True)

    panels = [
        "title",
        "description",
        "pay_band",
        InlinePanel(
            "requirements", heading="Requirements to reach this stage", label="Requirement"
        ),
    ]

    class Meta(Orderable.Meta):
        pass

    def __str__(self):
        return self.title


class Requirement(ClusterableModel, Orderable):
    """Something a person needs to reach a stage. Its kind (from the registry in
    `pathways.requirements`) decides which of the fields below it uses."""

    stage = ParentalKey(Stage, on_delete=models.CASCADE, related_name="requirements")
    kind = models.CharField(max_length=40)
    title = models.CharField(
        max_length=200,
        blank=True,
        help_text="Optional: how this requirement is described to peers.",
    )
    course = models.ForeignKey(
        "courses.CoursePage", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    domains = ParentalManyToManyField(CompetenceDomain, blank=True, related_name="+")
    competences = ParentalManyToManyField(Competence, blank=True, related_name="+")
    evidence_kind = models.CharField(
        max_length=200, blank=True, help_text="For evidence requirements: what to provide."
    )
    amount = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Months, hours or people, by kind.",
    )
    within_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Only count what happened in the last N months."
    )
    renewal_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Once met, it must be renewed after this many months."
    )

    panels = [
        FieldPanel("kind", widget=RequirementKindSelect),
        "title",
        "course",
        FieldPanel("domains"),
        FieldPanel("competences"),
        MultiFieldPanel(
            ["evidence_kind", "amount", "within_months", "renewal_months"], heading="Details"
        ),
    ]

    class Meta(Orderable.Meta):
        pass

    def __str__(self):
        return self.title or self.kind

    def clean(self):
        from pathways.requirements import registry

        kind = registry.get(self.kind)
        if kind is None:
            raise ValidationError({"kind": f"Unknown requirement kind {self.kind!r}."})
        kind.validate(self)


# --- A person on a pathway --------------------------------------------------------------------


class PathwayMembership(models.Model):
    """A person's place on a pathway: their current stage and since when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pathway_memberships"
    )
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="members")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    stage_reached_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "pathway"], name="pathways_one_place_each")
        ]
        indexes = [models.Index(fields=["pathway", "stage"])]

    def __str__(self):
        return f"{self.user} at {self.stage}"


class StageDecision(models.Model):
    """A coordinator's decision on a move to a stage: confirmed, or not yet. Never automatic."""

    CONFIRMED = "confirmed"
    NOT_YET = "not_yet"
    OUTCOMES = [(CONFIRMED, "Confirmed"), (NOT_YET, "Not yet")]

    membership = models.ForeignKey(
        PathwayMembership, on_delete=models.PROTECT, related_name="decisions"
    )
    from_stage = models.ForeignKey(Stage, null=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=OUTCOMES)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self):
        return f"{self.membership.user} → {self.to_stage}: {self.get_outcome_display()}"


class WellbeingPause(models.Model):
    """A person's own pause. While it runs, clocks stop. Its reason is theirs alone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wellbeing_pauses"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    private_note = models.TextField(blank=True, help_text="Only the person ever sees this.")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="pathways_one_open_pause",
            )
        ]

    def __str__(self):
        return f"Pause for {self.user} from {self.started_at:%Y-%m-%d}"


class Aspirations(models.Model):
    """A person's goals and aspirations, in their own words."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="aspirations"
    )
    body = SanitisedHTMLField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Aspirations of {self.user}"


# --- Evidence and sign-off --------------------------------------------------------------------


def _private_storage():
    return storages["private"]


class Evidence(models.Model):
    """Something a peer offers to show a competence, or a named kind of evidence."""

    SUBMITTED = "submitted"
    SIGNED_OFF = "signed_off"
    MORE_NEEDED = "more_needed"
    STATUSES = [
        (SUBMITTED, "Waiting for review"),
        (SIGNED_OFF, "Signed off"),
        (MORE_NEEDED, "More needed"),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evidence"
    )
    competence = models.ForeignKey(
        Competence, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    evidence_kind = models.CharField(max_length=200, blank=True)
    statement = SanitisedHTMLField(blank=True)
    # Stored under a random name; the uploader's name is kept only to show and offer on download.
    file = models.FileField(storage=_private_storage, upload_to=evidence_upload_to, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=STATUSES, default=SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self):
        return f"Evidence from {self.user}: {self.competence or self.evidence_kind}"


class EvidenceReview(models.Model):
    """A reviewer's response to evidence. Append-only: a correction is a new review."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        max_length=20,
        choices=[(Evidence.SIGNED_OFF, "Signed off"), (Evidence.MORE_NEEDED, "More needed")],
    )
    note = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self):
        return f"{self.get_outcome_display()} by {self.reviewer}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("These records are append-only; record a correction instead.")

    def delete(self):
        raise TypeError("These records are append-only; record a correction instead.")


class SignOff(models.Model):
    """A competence signed off for a person: who and when. Never edited: a correction is a new
    record that withdraws an earlier one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sign_offs"
    )
    competence = models.ForeignKey(Competence, on_delete=models.PROTECT, related_name="sign_offs")
    evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="sign_offs"
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    withdraws = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawn_by",
        help_text="Set on a correction: the sign-off this one withdraws.",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_off_at"]
        indexes = [models.Index(fields=["user", "competence"])]

    def __str__(self):
        return f"{self.competence} for {self.user}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Sign-offs are never edited; record a correction instead.")
        super().save(*args, **kwargs)


# --- Workforce readiness over time ------------------------------------------------------------


class ReadinessSnapshot(models.Model):
    """The readiness figures for one organisation on one day, for the 12-month trend."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="readiness_snapshots"
    )
    taken_on = models.DateField()
    headcount_by_stage = models.JSONField(default=dict)
    ready_to_progress = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "taken_on"], name="pathways_one_snapshot_a_day"
            )
        ]

    def __str__(self):
        return f"{self.organisation} on {self.taken_on}"


# --- Readiness kept ---------------------------------------------------------------------------


class KeptReadiness(models.Model):
    """Where one person stands on one pathway place, as the requirement registry last found it
    (pathways.readiness_keeping). Kept so that pages read rows instead of evaluating every
    requirement of every person; refreshed after each event that changes readiness, and rebuilt
    nightly. What changes with time alone is stored as moments, so a read at any later time
    stays right: see `met_now` and `ready_now` in pathways.readiness_selectors."""

    membership = models.OneToOneField(
        PathwayMembership, primary_key=True, on_delete=models.CASCADE, related_name="kept"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    next_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requirements_total = models.PositiveIntegerField(
        default=0, help_text="How many requirements the next stage has."
    )
    # Ready when refreshed; or from `ready_from`, when time alone (time in stage) gets them
    # there; either way only until `ready_until`, the earliest expiry among those requirements.
    ready = models.BooleanField(default=False)
    ready_from = models.DateTimeField(null=True, blank=True)
    ready_until = models.DateTimeField(null=True, blank=True)
    earliest_expiry = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    next_steps = models.TextField(blank=True, help_text="As of the refresh, joined by '; '.")
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["pathway", "stage"]),
            models.Index(fields=["user"]),
            models.Index(fields=["ready", "ready_from"]),
        ]

    def __str__(self):
        return f"Readiness of {self.user_id} at {self.stage_id}"


class KeptRequirement(models.Model):
    """One requirement's state for one kept readiness row: each requirement of the next stage,
    and each requirement of the current stage that can lapse (for renewals due and overdue)."""

    readiness = models.ForeignKey(
        KeptReadiness, on_delete=models.CASCADE, related_name="requirements"
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    for_next_stage = models.BooleanField()
    met = models.BooleanField(default=False)
    met_from = models.DateTimeField(
        null=True, blank=True, help_text="When time alone makes it met, if it is not met yet."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    next_step = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["readiness", "requirement"], name="pathways_kept_requirement_once"
            )
        ]
        indexes = [
            models.Index(fields=["requirement", "for_next_stage"]),
            models.Index(fields=["expires_at"]),
            # Every column the readiness page's gaps read, in the order it groups them: the
            # gaps are counted along this index without reading the table or sorting.
            models.Index(
                fields=[
                    "for_next_stage",
                    "requirement",
                    "readiness",
                    "met",
                    "met_from",
                    "expires_at",
                ],
                name="pathways_keptreq_gaps",
            ),
        ]

    def __str__(self):
        return f"{self.requirement_id} for {self.readiness_id}"
