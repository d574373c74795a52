"""Courses: Wagtail pages for the content, plain models for each learner's record."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses.blocks import RICH_TEXT_FEATURES, ModuleBodyBlock
from courses.routing import FlaggedRestrictionsMixin, route_below_course_index
from lms.sanitiser import SanitisedHTMLField

REFLECTION_MAX_CHARACTERS = 20_000


class Audience(models.Model):
    """Who a course is written for. A fixed list, made by a migration."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.name


class Level(models.IntegerChoices):
    FOUNDATION = 1, "Foundation"
    PRACTITIONER = 2, "Practitioner"
    ADVANCED = 3, "Advanced"


class CourseIndexPage(Page):
    """The course catalogue."""

    introduction = RichTextField(blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, "introduction"]
    parent_page_types = ["lms.HomePage"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    def route(self, request, path_components):
        # Courses and modules in two queries rather than two per level (courses.routing).
        return route_below_course_index(self, request, path_components)

    def get_context(self, request, *args, **kwargs):
        from courses.views import catalogue_context

        context = super().get_context(request, *args, **kwargs)
        context.update(catalogue_context(request, index_page=self))
        return context


class CoursePage(FlaggedRestrictionsMixin, Page):
    summary = models.TextField(
        help_text="One or two sentences: what the course is and who it is for."
    )
    description = RichTextField(blank=True, features=RICH_TEXT_FEATURES)
    audiences = ParentalManyToManyField(Audience, related_name="courses")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.FOUNDATION)
    estimated_hours = models.DecimalField(max_digits=5, decimal_places=1, default=1)
    prerequisites = ParentalManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_for",
        help_text="Courses a peer must complete before enrolling on this one.",
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percentage of questions a knowledge check needs right to pass.",
    )
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Months until a refresher is due. Leave empty if it never expires.",
    )
    certificate_enabled = models.BooleanField(
        "issue a certificate", default=True, help_text="Issue a certificate on completion."
    )

    content_panels = [
        *Page.content_panels,
        "summary",
        "description",
        MultiFieldPanel(
            [
                FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
                "level",
                "estimated_hours",
                "prerequisites",
            ],
            heading="Who it is for",
        ),
        MultiFieldPanel(
            ["pass_mark", "validity_months", "certificate_enabled"], heading="Completion"
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.ModulePage"]

    def get_context(self, request, *args, **kwargs):
        from courses.views import course_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_context(request, course=self))
        return context


class ModulePage(FlaggedRestrictionsMixin, Page):
    summary = models.TextField(blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(default=30)
    body = StreamField(ModuleBodyBlock())
    requires_reflection = models.BooleanField(
        "needs a reflection",
        default=False,
        help_text="Tick this if learners must save a reflection at one of this module's "
        "reflection prompts before the module counts as finished. The module needs at least "
        "one reflection prompt. Knowledge checks on the module always have to be passed.",
    )

    content_panels = [
        *Page.content_panels,
        "summary",
        "estimated_minutes",
        "body",
        MultiFieldPanel(["requires_reflection"], heading="Finishing the module"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
    ]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    def serve(self, request, *args, **kwargs):
        from courses.views import serve_module

        return serve_module(request, module=self)

    def clean(self):
        super().clean()
        if self.requires_reflection and not self.reflection_prompts():
            raise ValidationError(
                {
                    "requires_reflection": "Add a reflection prompt to the module, or untick "
                    "this: learners cannot write a reflection without one."
                }
            )

    def knowledge_checks(self):
        return [block for block in self.body if block.block_type == "knowledge_check"]

    def reflection_prompts(self):
        return [block for block in self.body if block.block_type == "reflection_prompt"]


# --- Learner records --------------------------------------------------------------------------


class Enrolment(models.Model):
    """A person taking a course. One per person and course; a refresher reopens it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments"
    )
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="enrolments")
    enrolled_at = models.DateTimeField(default=timezone.now)
    round_started_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the current round began: enrolment, or the latest refresher. Knowledge "
        "check attempts from before it do not count towards this round.",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current round was completed."
    )
    last_module = models.ForeignKey(
        ModulePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_one_enrolment")
        ]
        indexes = [models.Index(fields=["course", "completed_at"])]

    def __str__(self):
        return f"{self.user} on {self.course}"


class ModuleProgress(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="progress")
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(
        default=timezone.now, help_text="When the learner first opened the module."
    )
    finished_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text='When the learner said "I have finished this module" in the current round.',
    )
    completed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the module was complete in the current round: opened, marked as "
        "finished, every knowledge check passed and, where the module needs one, a reflection "
        "written. Set by whichever came last.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "module"], name="courses_one_progress")
        ]

    def __str__(self):
        return f"{self.enrolment} — {self.module}"


class QuizAttempt(models.Model):
    """One submission of one knowledge check. The best attempt counts."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="attempts")
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="+")
    check_id = models.CharField(max_length=64, help_text="The knowledge check block's id.")
    answers = models.JSONField(default=dict)
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["enrolment", "module", "check_id"])]

    def __str__(self):
        return f"{self.enrolment}: {self.correct}/{self.total}"


# How long a deleted reflection can be restored before the retention sweep removes it.
REFLECTION_UNDO_DAYS = 7


class ReflectionManager(models.Manager):
    """Reflections the peer has not deleted: the only ones any page, share or export reads."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllReflectionsManager(models.Manager):
    """Every reflection, deleted ones included: for undo, erasure and the retention sweep."""


class Reflection(models.Model):
    """A peer's own words at a reflection prompt. Private unless they share it with their
    mentor, which is a `ReflectionShare` naming that mentor and the mentorship."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections"
    )
    # Kept when the module page is gone: the reflection stays with its owner, under the title
    # the module had (`module_title`, written when the reflection is saved).
    module = models.ForeignKey(
        ModulePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    module_title = models.CharField(max_length=255, blank=True)
    prompt_id = models.CharField(max_length=64)
    prompt = models.TextField(help_text="The prompt as it read when the peer wrote this.")
    body = SanitisedHTMLField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the peer deleted it. Hidden from everyone at once; it can be restored "
        "for REFLECTION_UNDO_DAYS, then the retention sweep removes it for good.",
    )

    objects = ReflectionManager()
    all_objects = AllReflectionsManager()

    class Meta:
        ordering = ["-updated_at"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "module", "prompt_id"], name="courses_one_reflection_per_prompt"
            )
        ]

    def __str__(self):
        return f"Reflection by {self.user} on {self.title}"

    @property
    def title(self) -> str:
        """The module's title, or the one it had when the module page is gone."""
        return self.module.title if self.module_id else self.module_title


class ReflectionShare(models.Model):
    """A peer's consent for one named person to read one reflection, given within one
    relationship (a mentorship, named by `lms.policy.MentorRelationship.key`). It ends when the
    peer stops sharing or the relationship ends; the row stays as the record of who could read
    it, and when. A later relationship, even with the same person, needs a new share."""

    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="shares")
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    relationship = models.CharField(
        max_length=64, help_text="The relationship the consent was given in, e.g. mentorship:42."
    )
    shared_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reflection", "relationship"],
                condition=models.Q(ended_at__isnull=True),
                name="courses_one_open_share_per_relationship",
            )
        ]
        indexes = [models.Index(fields=["relationship", "ended_at"])]

    def __str__(self):
        return f"{self.reflection} shared with {self.shared_with}"


class CourseCompletion(models.Model):
    """One completed round of a course. Kept for history; pathways read these."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)
    refresher_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty when the course never needs a refresher."
    )
    # The enrolment's most recent completion, the one whose refresher counts. Kept by `save`
    # (adding a newer round's completion marks the older ones), so the refreshers coming up
    # are read from one small index instead of a newest-of-its-enrolment subquery per row.
    is_latest = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            models.Index(fields=["completed_at"]),
            models.Index(fields=["refresher_due_at"]),
            models.Index(
                fields=["refresher_due_at"],
                condition=models.Q(is_latest=True),
                name="courses_latest_refresher_idx",
            ),
        ]

    def __str__(self):
        return f"{self.enrolment} completed {self.completed_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            others = CourseCompletion.objects.filter(enrolment_id=self.enrolment_id)
            if others.filter(completed_at__gt=self.completed_at).exists():
                self.is_latest = False  # history added after a later round
            else:
                others.filter(is_latest=True).update(is_latest=False)
        super().save(*args, **kwargs)


def _private_storage():
    return storages["private"]


class Certificate(models.Model):
    completion = models.OneToOneField(
        CourseCompletion, on_delete=models.PROTECT, related_name="certificate"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    # A certificate outlives its course page: the title it was issued for is kept
    # (`course_title`), so the public check and the PDF still work without the page.
    course = models.ForeignKey(
        CoursePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates"
    )
    course_title = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    show_name = models.BooleanField(
        default=False, help_text="Show the holder's name on the public verification page."
    )
    pdf = models.FileField(storage=_private_storage, upload_to="certificates/", blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self):
        return f"Certificate {self.code}"

    @property
    def title(self) -> str:
        """The course's title as issued (the page's own while it exists and nothing was kept)."""
        return self.course_title or (self.course.title if self.course_id else "")

    @property
    def is_valid(self):
        return self.expires_at is None or timezone.now() < self.expires_at
