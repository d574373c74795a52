"""Kernel models: people, organisations, roles, the audit log, invitations and the home page."""

import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.files.storage import storages
from django.db import models
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from wagtail.models import Page


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Email addresses are stored lower-case, so signing in is case-insensitive.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").strip().lower()})


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=150, help_text="The name other people see, in the form you prefer."
    )
    pronouns = models.CharField(
        max_length=40, blank=True, help_text="Optional, for example she/her."
    )
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the Wagtail admin (content editors)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session signed in before it (lms.sessions): a session remembers the
    # number it started with, and the middleware signs out one whose number is behind.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="lms_user_email_ci_unique"),
        ]
        indexes = [
            # Staff lists of people (readiness, people, records) are ordered by name, case
            # aside, then id: read in that order from here instead of sorting everyone.
            models.Index(Lower("display_name"), "id", name="lms_user_name_order_idx"),
        ]

    def __str__(self):
        return self.display_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name or self.email


# Long enough for a name, a postal address, an email and a phone number.
PRIVACY_CONTACT_MAX = 500


class Organisation(models.Model):
    """An employer, intermediary or training provider of peer workers."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    require_two_factor_for_staff = models.BooleanField(
        default=False,
        help_text="Coordinators and organisation admins must sign in with a second factor.",
    )
    privacy_contact = models.TextField(
        max_length=PRIVACY_CONTACT_MAX,
        blank=True,
        help_text="Who to contact about personal data at this organisation, shown on the "
        "privacy notice. Plain text.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    PEER = "peer", "Peer"
    MENTOR = "mentor", "Mentor"
    COORDINATOR = "coordinator", "Coordinator"
    ORG_ADMIN = "org_admin", "Organisation admin"


# Roles that look after other people in their organisation.
STAFF_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN})


class MembershipQuerySet(models.QuerySet):
    def active(self, on=None):
        """Memberships in force on a day (today by default)."""
        day = on or timezone.localdate()
        return self.filter(active_from__lte=day).filter(
            models.Q(active_to__isnull=True) | models.Q(active_to__gt=day)
        )


class Membership(models.Model):
    """One role a person holds in one organisation, for a period. A person may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    active_from = models.DateField(default=timezone.localdate)
    active_to = models.DateField(
        null=True, blank=True, help_text="The first day the role no longer applies. Empty: ongoing."
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            # One open-ended membership per person, organisation and role: a repeated or
            # concurrent "add role" cannot create a second one.
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=models.Q(active_to__isnull=True),
                name="lms_membership_one_open_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(active_to__isnull=True)
                | models.Q(active_to__gt=models.F("active_from")),
                name="lms_membership_ends_after_it_starts",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "role"]),
            # "When did this person join this organisation", asked once per record by every
            # organisation-context filter (lms.policy.in_organisation_context): without it the
            # database may scan the whole organisation's memberships for each record.
            models.Index(fields=["user", "organisation"], name="lms_membership_user_org"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}, {self.organisation}"


class HistoryShare(models.Model):
    """A person's choice to let an organisation's staff see what they did before joining it.

    Without one, staff of an organisation see a person's records from the day the person joined
    it (see `lms.policy.history_visible_from`). The person may stop sharing at any time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="history_shares"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="history_shares"
    )
    shared_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=models.Q(ended_at__isnull=True),
                name="lms_one_open_history_share",
            )
        ]

    def __str__(self):
        return f"{self.user} shares their history with {self.organisation}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")

    def _pseudonymise_for_erasure(self, *, user_id: int, ref: str) -> int:
        """The one change the log allows: when a person is erased, the events that name them
        get an opaque reference, so the log still answers "who read what" without naming them.
        Only `actor_ref` / `subject_ref` are written; nothing else about an event can change."""
        base = models.QuerySet(model=self.model, using=self._db)
        actors = base.filter(actor_id=user_id).update(actor_ref=ref)
        subjects = models.QuerySet(model=self.model, using=self._db)
        return actors + subjects.filter(subject_user_id=user_id).update(subject_ref=ref)

    # Offered on the manager too (Django copies only public names unless told).
    _pseudonymise_for_erasure.queryset_only = False


class AuditEvent(models.Model):
    """Append-only record of a sensitive read or a decision: who, what, when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80)
    subject_type = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose record was read or decided on.",
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set when the actor or the person it is about is erased: "erased:<opaque>", the same for
    # every event of that person, so the log can still be read per person without a name.
    actor_ref = models.CharField(max_length=40, blank=True)
    subject_ref = models.CharField(max_length=40, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ("view",)
        # An organisation's log is read newest first, filtered by organisation.
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="lms_audit_org_created"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class ErasureRequestQuerySet(models.QuerySet):
    def open(self):
        """Requested and neither cancelled nor carried out yet."""
        return self.filter(cancelled_at__isnull=True, completed_at__isnull=True)

    def due(self, now=None):
        return self.open().filter(erase_after__lte=now or timezone.now())


class ErasureRequest(models.Model):
    """A decision to erase a person's data after a grace period, during which it can be
    cancelled. The row stays after the erasure as the record that it happened and why; it
    points at the anonymised placeholder the person's account becomes."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_requests"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation whose admin asked; empty when asked from the command line.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200)
    requested_at = models.DateTimeField(default=timezone.now)
    erase_after = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ErasureRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # Asking twice (or two tabs) cannot schedule two erasures of one person.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(cancelled_at__isnull=True, completed_at__isnull=True),
                name="lms_one_open_erasure_per_person",
            ),
        ]
        indexes = [models.Index(fields=["completed_at", "cancelled_at", "erase_after"])]

    def __str__(self):
        return f"Erasure of account {self.person_id} after {self.erase_after:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.cancelled_at is None and self.completed_at is None


def _new_nonce():
    return secrets.token_urlsafe(16)


class Invitation(models.Model):
    """An invitation to join an organisation in a role, sent by email.

    The link carries a token signed with SECRET_KEY over (id, nonce); re-sending rotates the
    nonce, which retires every earlier link.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField()
    display_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    nonce = models.CharField(max_length=32, default=_new_nonce)
    sent_nonce = models.CharField(
        max_length=32, blank=True, help_text="The nonce of the last link emailed (idempotent send)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email", "role"],
                condition=models.Q(accepted_at__isnull=True),
                name="lms_invitation_one_open_per_role",
            ),
        ]

    def __str__(self):
        return f"{self.email} as {self.get_role_display()} at {self.organisation}"

    @property
    def is_accepted(self):
        return self.accepted_at is not None

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at


def _private_storage():
    return storages["private"]


class ExpiringDownload:
    """A file made in the background for one person, downloadable until `expires_at`."""

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at

    @property
    def can_download(self) -> bool:
        return self.status == self.READY and bool(self.file) and not self.is_expired


class DataExport(ExpiringDownload, models.Model):
    """A person's request for everything held about them, and the zip made for it.

    One request at a time: a second request while one is being prepared is the same request. The
    zip lives in private storage and may be downloaded by its owner only, until `expires_at`;
    after that the row stays as the record that it was made (a retention task may delete both).
    """

    PENDING, READY, FAILED = "pending", "ready", "failed"
    STATUSES = [
        (PENDING, "Being prepared"),
        (READY, "Ready to download"),
        (FAILED, "Could not be made"),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    file = models.FileField(storage=_private_storage, upload_to="data-exports/", blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the zip can no longer be downloaded."
    )
    downloaded_at = models.DateTimeField(
        null=True, blank=True, help_text="The last time its owner downloaded it."
    )
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person was told it is ready (idempotent)."
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # Two clicks, two tabs or two web processes make one request, not two zips.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="lms_one_pending_data_export",
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"Data export for {self.user} requested {self.requested_at:%Y-%m-%d %H:%M}"


class ReportExport(ExpiringDownload, models.Model):
    """A spreadsheet of an organisation's records that staff asked for, built in the background.

    The person is sent to a page that shows its progress and then a download link. The file lives
    in private storage until `expires_at`, for the person who asked only, and only while they
    still hold a staff role in the organisation; the retention sweep then removes the file and
    the row stays as the record that it was made. `filters_key` names the kind and filters, so
    repeated clicks while one is being built make one job, not many (a partial unique key).
    """

    QUEUED, RUNNING, READY, FAILED = "queued", "running", "ready", "failed"
    STATUSES = [
        (QUEUED, "Waiting to start"),
        (RUNNING, "Being made"),
        (READY, "Ready to download"),
        (FAILED, "Could not be made"),
    ]
    IN_PROGRESS = (QUEUED, RUNNING)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_exports"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="report_exports"
    )
    kind = models.CharField(max_length=60)
    filters = models.JSONField(default=dict, blank=True)
    filters_key = models.CharField(max_length=64, help_text="A hash of the kind and filters.")
    status = models.CharField(max_length=20, choices=STATUSES, default=QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(storage=_private_storage, upload_to="report-exports/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the file can no longer be downloaded."
    )
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two clicks, two tabs or two web processes asking for the same spreadsheet while
            # one is being made get that one.
            models.UniqueConstraint(
                fields=["requested_by", "organisation", "filters_key"],
                condition=models.Q(status__in=["queued", "running"]),
                name="lms_one_report_export_in_progress",
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.kind} export for {self.requested_by} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.READY else 0
        return min(100, self.rows_done * 100 // self.rows_total)


class ThrottleHit(models.Model):
    """One counted request for a rate limit (lms.throttle). `key` is a keyed hash of the email
    address or network address, so the table holds neither."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"])]

    def __str__(self):
        return f"{self.scope} at {self.created_at:%Y-%m-%d %H:%M}"


class OutboxTask(models.Model):
    """One background task asked for: the outbox row written in the same transaction as the
    change that asked for it, so that no task is lost to a broker outage or a lost worker.

    `lms.queue.enqueue` writes it and hands it to django-q2 after the commit; `lms.queue.run`
    runs it and marks it done; `lms.queue.relay` hands over again any row that is still pending
    or was handed over and never finished (see docs/architecture.md, "Background work").
    """

    PENDING, HANDED, DONE, FAILED = "pending", "handed", "done", "failed"
    STATUSES = [
        (PENDING, "Waiting to be handed to the broker"),
        (HANDED, "Handed to the broker"),
        (DONE, "Done"),
        (FAILED, "Given up"),
    ]

    task = models.CharField(max_length=200, help_text="Dotted path of the task function.")
    args = models.JSONField(default=list, blank=True, help_text="Ids only.")
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    handed_at = models.DateTimeField(null=True, blank=True)
    handovers = models.PositiveIntegerField(default=0)
    key_fingerprint = models.CharField(
        max_length=16, blank=True, help_text="Which SECRET_KEY signed the last hand-over."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "handed_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self):
        return f"{self.task}{tuple(self.args)} #{self.pk} ({self.status})"


class SideEffect(models.Model):
    """A side effect a task has claimed, by an idempotency key that names it (for example
    "email:evidence_reviewed:42"): the unique key is checked in the database before the effect.

    A key is claimed and committed before any network I/O and marked done after it; a key left
    claimed means the worker stopped in the middle, and whether the effect happened is unknown
    (it is never tried again: at most once). `lms.tasks.report_background_work` lists them.
    """

    CLAIMED, DONE = "claimed", "done"
    STATUSES = [(CLAIMED, "Claimed"), (DONE, "Done")]

    key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=STATUSES, default=CLAIMED)
    claimed_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self):
        return f"{self.key} ({self.status})"


class SubmissionClaim(models.Model):
    """A form submitted once (lms.submissions): the one-time token its page carried, and where
    the first submission led, so a repeat (a double click, a reload, the back button) lands
    there without doing anything again. The unique token settles two at the same moment."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    result_url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"submission at {self.created_at:%Y-%m-%d %H:%M}"


class HomePage(Page):
    """The site root: a welcome for visitors and a dashboard for people who are signed in."""

    introduction = models.TextField(
        blank=True,
        help_text="A short welcome shown to visitors who are not signed in.",
    )

    content_panels = [*Page.content_panels, "introduction"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    template = "lms/home_page.html"

    def route(self, request, path_components):
        """As Wagtail routes, but a child that is only a step on the way to a deeper page (the
        course catalogue, on the way to a course or a module) becomes its own kind of page
        without reading its own fields: one query fewer, and a field it does need is read when
        it is first used. Its own page, or a missing one, is routed exactly as Wagtail does."""
        if len(path_components) < 2:
            return super().route(request, path_components)
        try:
            child = self.get_children().get(slug=path_components[0])
        except Page.DoesNotExist as error:
            raise Http404 from error
        child._cached_parent_obj = self  # treebeard's get_parent() reads it: no query
        return child.specific_deferred.route(request, path_components[1:])

    def get_context(self, request, *args, **kwargs):
        from lms.dashboard import panels_for_request

        context = super().get_context(request, *args, **kwargs)
        if request.user.is_authenticated:
            context["panels"] = panels_for_request(request)
        return context
