"""Every read the learning pages and dashboards need. Each list is scoped by user or
organisation and costs a fixed number of queries however much data there is."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import DenseRank, Substr
from django.utils import timezone

from courses.models import (
    REFLECTION_UNDO_DAYS,
    Certificate,
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModulePage,
    ModuleProgress,
    QuizAttempt,
    Reflection,
    ReflectionShare,
)
from lms.clock import Due, PauseClock, People, clock_for, overdue_first
from lms.models import Membership, Organisation, User
from lms.policy import MentorRelationship, in_organisation_context

REFRESHER_WARNING_DAYS = 30


# --- Courses and modules ----------------------------------------------------------------------


def live_courses(*, index_page=None) -> QuerySet[CoursePage]:
    courses = CoursePage.objects.live().public()
    if index_page is not None:
        courses = courses.child_of(index_page)
    return courses.prefetch_related("audiences", "prerequisites").order_by("level", "title")


def live_modules(*, course: CoursePage) -> QuerySet[ModulePage]:
    """The course's published modules in the editor's order (add `.defer_streamfields()` when
    the bodies are not needed)."""
    return ModulePage.objects.live().public().child_of(course).order_by("path")


def module_counts(*, courses: list[CoursePage]) -> dict[int, int]:
    """Live modules per course, in one query (a module's path starts with its course's)."""
    if not courses:
        return {}
    by_path = {course.path: course.pk for course in courses}
    prefix_length = len(courses[0].path)
    rows = (
        ModulePage.objects.live()
        .public()
        .order_by()  # Wagtail orders pages by path, which would split the GROUP BY per module
        .filter(depth=courses[0].depth + 1)
        .annotate(course_path=Substr("path", 1, prefix_length))
        .filter(course_path__in=list(by_path))
        .values("course_path")
        .annotate(modules=Count("pk"))
    )
    return {by_path[row["course_path"]]: row["modules"] for row in rows}


def course_completed_ids(*, user: User) -> set[int]:
    """Courses the person has ever completed."""
    return set(
        CourseCompletion.objects.filter(enrolment__user=user).values_list(
            "enrolment__course_id", flat=True
        )
    )


def missing_prerequisites(*, user: User, course: CoursePage) -> list[CoursePage]:
    prerequisites = course.prerequisites.all()
    if not isinstance(prerequisites, QuerySet):
        # A preview's course comes from a revision, whose prerequisites are an in-memory list.
        prerequisites = CoursePage.objects.filter(pk__in=[page.pk for page in prerequisites])
    required = list(prerequisites.live().order_by("title"))
    if not required:
        return []
    completed = course_completed_ids(user=user)
    return [prerequisite for prerequisite in required if prerequisite.pk not in completed]


# --- A person's status on courses -------------------------------------------------------------


@dataclass(frozen=True)
class CourseStatus:
    """Where a person is on one course, in words they would use."""

    enrolment: Enrolment | None
    modules_done: int
    modules_total: int
    refresher_due_at: datetime | None = None  # the clock's date (moved by any pause)
    refresher: Due | None = None

    @property
    def key(self) -> str:
        if self.enrolment is None:
            return "not_started"
        if self.enrolment.completed_at is None:
            return "in_progress"
        if self.refresher_due_at and self.refresher_due_at <= timezone.now() + timedelta(
            days=REFRESHER_WARNING_DAYS
        ):
            return "refresher_due"
        return "completed"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "in_progress": f"In progress, {self.percent}%",
            "refresher_due": "Refresher due",
            "completed": "Completed",
        }[self.key]

    @property
    def percent(self) -> int:
        if not self.modules_total:
            return 0
        return round(100 * min(self.modules_done, self.modules_total) / self.modules_total)


# --- Refresher and validity dates through the one clock (lms.clock) ---------------------------


def refresher_date(clock: PauseClock, user_id: int, completed_at, due):
    """A refresher date as the person's clock sees it: the stored date moved later by the time
    they were paused since completing. Pathways' "course completed" requirement computes the
    same date the same way, so every page agrees."""
    if due is None or completed_at is None:
        return due
    return clock.extend(user_id, completed_at, due)


def clock_refreshers(records, *, user_id=None, now=None, clock=None) -> PauseClock:
    """Put the clock's refresher date on each record (an enrolment annotated with
    `last_completed_at` and `refresher_due_at`, or a `CourseCompletion`): `refresher_due_at`
    becomes the clock's date and `refresher` its `Due`. One query for everyone's pauses."""
    records = list(records)
    if clock is None:
        ids = {user_id or _person_of(record) for record in records}
        clock = clock_for(sorted(ids), now)
    for record in records:
        completed = (
            record.completed_at
            if isinstance(record, CourseCompletion)
            else record.last_completed_at
        )
        due = refresher_date(
            clock, user_id or _person_of(record), completed, record.refresher_due_at
        )
        record.refresher_due_at = due
        record.refresher = clock.due(due, soon_days=REFRESHER_WARNING_DAYS)
    return clock


def _person_of(record) -> int:
    if isinstance(record, CourseCompletion):
        return record.enrolment.user_id
    return record.user_id


def clock_certificates(certificates, *, now=None) -> list[Certificate]:
    """Each certificate with `valid_until` (the clock's date: its stored expiry moved later by
    the holder's pauses since it was issued), `validity` (its `Due`) and `valid_now`."""
    certificates = list(certificates)
    clock = clock_for(sorted({c.user_id for c in certificates}), now)
    for certificate in certificates:
        certificate.valid_until = (
            clock.extend(certificate.user_id, certificate.issued_at, certificate.expires_at)
            if certificate.expires_at
            else None
        )
        certificate.validity = clock.due(certificate.valid_until, soon_days=REFRESHER_WARNING_DAYS)
        certificate.valid_now = certificate.valid_until is None or clock.now < (
            certificate.valid_until
        )
    return certificates


def enrolments_with_progress(*, user: User) -> QuerySet[Enrolment]:
    """The person's enrolments, each with modules done and the latest completion and its
    stored refresher date (`clock_refreshers` gives the clock's)."""
    latest = CourseCompletion.objects.filter(enrolment=OuterRef("pk")).order_by("-completed_at")
    return (
        Enrolment.objects.filter(user=user)
        .select_related("course", "last_module")
        .annotate(
            modules_done=Count(
                "progress",
                filter=Q(progress__completed_at__isnull=False, progress__module__live=True),
            ),
            last_completed_at=Subquery(latest.values("completed_at")[:1]),
            refresher_due_at=Subquery(latest.values("refresher_due_at")[:1]),
        )
    )


def course_statuses(*, user: User, courses: list[CoursePage]) -> dict[int, CourseStatus]:
    """Status of each course for one person, in a fixed number of queries."""
    totals = module_counts(courses=courses)
    enrolments = {}
    if user.is_authenticated:
        enrolments = {
            e.course_id: e for e in enrolments_with_progress(user=user).filter(course__in=courses)
        }
        if enrolments:
            clock_refreshers(enrolments.values(), user_id=user.pk)
    statuses = {}
    for course in courses:
        enrolment = enrolments.get(course.pk)
        statuses[course.pk] = CourseStatus(
            enrolment=enrolment,
            modules_done=enrolment.modules_done if enrolment else 0,
            modules_total=totals.get(course.pk, 0),
            refresher_due_at=enrolment.refresher_due_at if enrolment else None,
            refresher=getattr(enrolment, "refresher", None),
        )
    return statuses


def courses_in_progress(*, user: User) -> list[tuple[Enrolment, CourseStatus]]:
    enrolments = list(
        enrolments_with_progress(user=user)
        .filter(completed_at__isnull=True)
        .order_by("-enrolled_at")
    )
    totals = module_counts(courses=[e.course for e in enrolments])
    return [
        (e, CourseStatus(e, e.modules_done, totals.get(e.course_id, 0), e.refresher_due_at))
        for e in enrolments
    ]


def module_progress_for(*, enrolment: Enrolment | None) -> dict[int, ModuleProgress]:
    if enrolment is None:
        return {}
    return {p.module_id: p for p in ModuleProgress.objects.filter(enrolment=enrolment)}


def enrolment_for(*, user: User, course: CoursePage) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return Enrolment.objects.filter(user=user, course=course).select_related("last_module").first()


def enrolment_with_progress_for(
    *, user: User, course: CoursePage
) -> tuple[Enrolment | None, dict[int, ModuleProgress]]:
    """The person's enrolment on the course and their progress on each of its modules: one
    query once they have opened a module (each progress row brings its enrolment), two before."""
    if not user.is_authenticated:
        return None, {}
    rows = list(
        ModuleProgress.objects.filter(enrolment__user=user, enrolment__course=course)
        .select_related("enrolment")
        .order_by()
    )
    enrolment = (
        rows[0].enrolment if rows else Enrolment.objects.filter(user=user, course=course).first()
    )
    if enrolment is None:
        return None, {}
    enrolment.user = user  # whose it is: asking for its mentor or reflections needs no query
    for row in rows:
        row.enrolment = enrolment  # one object, however many rows brought it
    return enrolment, {row.module_id: row for row in rows}


def attempts_this_round(
    *, enrolment: Enrolment, module: ModulePage
) -> tuple[dict[str, QuizAttempt], set[str]]:
    """In one query: the most recent attempt at each knowledge check on the module in this
    round (`latest_attempts`), and the checks passed in it (`passed_check_ids`)."""
    latest, passed = {}, set()
    for attempt in QuizAttempt.objects.filter(
        enrolment=enrolment, module=module, created_at__gte=enrolment.round_started_at
    ):
        latest.setdefault(attempt.check_id, attempt)  # newest first
        if attempt.passed:
            passed.add(attempt.check_id)
    return latest, passed


def latest_attempts(*, enrolment: Enrolment, module: ModulePage) -> dict[str, QuizAttempt]:
    """The most recent attempt at each knowledge check on a module, in this round."""
    attempts = {}
    for attempt in QuizAttempt.objects.filter(
        enrolment=enrolment, module=module, created_at__gte=enrolment.round_started_at
    ):
        attempts.setdefault(attempt.check_id, attempt)  # newest first
    return attempts


def passed_check_ids(*, enrolment: Enrolment, module: ModulePage) -> set[str]:
    """Knowledge checks on the module with a passing attempt in the current round."""
    return set(
        QuizAttempt.objects.filter(
            enrolment=enrolment,
            module=module,
            passed=True,
            created_at__gte=enrolment.round_started_at,
        ).values_list("check_id", flat=True)
    )


def reflection_written_this_round(*, enrolment: Enrolment, module: ModulePage) -> bool:
    """Whether the learner has saved a reflection at any prompt on the module in this round."""
    return Reflection.objects.filter(
        user_id=enrolment.user_id, module=module, updated_at__gte=enrolment.round_started_at
    ).exists()


@dataclass(frozen=True)
class ModuleState:
    """What a learner has done on one module in the current round, and what is left.

    A module is complete once it is opened, marked as finished by the learner, every knowledge
    check on it has a passing attempt in this round and, where the editor asked for one, a
    reflection is saved in this round. Whichever comes last completes it."""

    progress: ModuleProgress | None
    checks_total: int
    checks_left: int
    reflection_needed: bool

    @property
    def opened(self) -> bool:
        return self.progress is not None

    @property
    def finished(self) -> bool:
        return self.progress is not None and self.progress.finished_at is not None

    @property
    def complete(self) -> bool:
        return self.progress is not None and self.progress.completed_at is not None

    @property
    def work_done(self) -> bool:
        """Every check passed and any reflection needed is written: the learner may finish."""
        return self.checks_left == 0 and not self.reflection_needed

    @property
    def ready_to_complete(self) -> bool:
        return self.opened and self.finished and self.work_done

    @property
    def left(self) -> list[str]:
        """What is left before the module can be finished, in words for the learner."""
        left = []
        if self.checks_left:
            if self.checks_total == 1:
                left.append("Pass the knowledge check above to finish this module.")
            elif self.checks_left == 1:
                left.append("Pass the last knowledge check above to finish this module.")
            else:
                left.append(
                    f"Pass the {self.checks_left} knowledge checks above to finish this module."
                )
        if self.reflection_needed:
            left.append("Save a reflection above to finish this module.")
        return left


def module_state(
    *,
    enrolment: Enrolment,
    module: ModulePage,
    progress: ModuleProgress | None = None,
    passed: set[str] | None = None,
) -> ModuleState:
    """Where the learner is on one module in the current round (`progress` and the `passed`
    checks if already loaded)."""
    if progress is None:
        progress = ModuleProgress.objects.filter(enrolment=enrolment, module=module).first()
    required = {block.id for block in module.knowledge_checks()}
    if passed is None:
        passed = passed_check_ids(enrolment=enrolment, module=module) if required else set()
    reflection_needed = (
        module.requires_reflection
        and bool(module.reflection_prompts())
        and not reflection_written_this_round(enrolment=enrolment, module=module)
    )
    return ModuleState(
        progress=progress,
        checks_total=len(required),
        checks_left=len(required - passed),
        reflection_needed=reflection_needed,
    )


def enrolments_done_but_not_completed(
    *, course_ids: list[int] | None = None, after_id: int = 0, limit: int = 500
) -> tuple[list[int], int | None]:
    """One batch of open enrolments (ids above `after_id`, at most `limit` looked at, in id
    order) whose every live module is complete in the current round but which have no
    completion: the ones a lost race, or content removed since, left behind. Returns their ids
    and the last id looked at (None when there are no more). The caller completes them through
    the service, which checks again under a lock."""
    enrolments = Enrolment.objects.filter(completed_at__isnull=True, pk__gt=after_id)
    if course_ids is not None:
        enrolments = enrolments.filter(course_id__in=course_ids)
    batch = list(
        enrolments.select_related("course")
        .annotate(
            modules_done=Count(
                "progress",
                filter=Q(progress__completed_at__isnull=False, progress__module__live=True),
            )
        )
        .order_by("pk")[:limit]
    )
    if not batch:
        return [], None
    totals = module_counts(courses=list({e.course_id: e.course for e in batch}.values()))
    done = [e.pk for e in batch if e.modules_done and e.modules_done >= totals.get(e.course_id, 0)]
    return done, batch[-1].pk


# --- Reflections and certificates -------------------------------------------------------------


def _with_current_share(
    reflections: QuerySet[Reflection], *, mentor: MentorRelationship | None
) -> QuerySet:
    """Attach `current_shares`: the open share with the person's mentor of today, if any. A
    share from an earlier relationship is not current, whatever its row says."""
    shares = ReflectionShare.objects.filter(
        ended_at=None, relationship=mentor.key if mentor else ""
    ).select_related("shared_with")
    return reflections.prefetch_related(
        Prefetch("shares", queryset=shares, to_attr="current_shares")
    )


def reflections_for_user(*, user: User, mentor: MentorRelationship | None) -> QuerySet[Reflection]:
    """The person's own reflections, each with whom it is shared today (`mentor`: the person's
    mentor relationship of today, from `lms.policy.mentor_relationship`)."""
    mine = Reflection.objects.filter(user=user).select_related("module")
    return _with_current_share(mine, mentor=mentor)


def reflections_deleted_recently(*, user: User) -> QuerySet[Reflection]:
    """The person's reflections they deleted and may still bring back (newest first)."""
    since = timezone.now() - timedelta(days=REFLECTION_UNDO_DAYS)
    return Reflection.all_objects.filter(user=user, deleted_at__gte=since).order_by("-deleted_at")


def reflections_on_module(
    *, user: User, module: ModulePage, mentor: MentorRelationship | None
) -> dict[str, Reflection]:
    mine = Reflection.objects.filter(user=user, module=module)
    return {r.prompt_id: r for r in _with_current_share(mine, mentor=mentor)}


def reflections_shared_in(*, peer: User, mentor_id: int, relationship: str) -> QuerySet:
    """The reflections a peer shares with this mentor in this relationship, and still shares.
    The app that owns the relationship checks it is current and audits the read."""
    return Reflection.objects.filter(
        user=peer,
        shares__shared_with_id=mentor_id,
        shares__relationship=relationship,
        shares__ended_at=None,
    ).select_related("module")


def certificates_for_user(*, user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(user=user).select_related("course")


def certificate_by_code(*, code: str) -> Certificate | None:
    return Certificate.objects.select_related("course", "user").filter(code=code).first()


# --- Organisations ----------------------------------------------------------------------------


def _people_in(organisation: Organisation):
    return Membership.objects.active().filter(organisation=organisation).values("user_id")


def learner_records(
    *,
    organisation: Organisation,
    course: CoursePage | None = None,
    status: str = "",
    person: User | None = None,
) -> QuerySet[Enrolment]:
    """Enrolments of the organisation's people in its context (made since they joined it, or
    shared with it: docs/privacy.md), with progress and latest certificate; never reflections."""
    latest_completion = CourseCompletion.objects.filter(enrolment=OuterRef("pk")).order_by(
        "-completed_at"
    )
    enrolments = in_organisation_context(
        Enrolment.objects.filter(user__in=_people_in(organisation)),
        organisation=organisation,
        person_field="user",
        moment_field="enrolled_at",
    )
    records = (
        enrolments.select_related("user", "course")
        .annotate(
            modules_done=Count(
                "progress",
                filter=Q(progress__completed_at__isnull=False, progress__module__live=True),
            ),
            last_completed_at=Subquery(latest_completion.values("completed_at")[:1]),
            refresher_due_at=Subquery(latest_completion.values("refresher_due_at")[:1]),
            certificate_code=Subquery(
                Certificate.objects.filter(completion__enrolment=OuterRef("pk"))
                .order_by("-issued_at")
                .values("code")[:1]
            ),
        )
        .order_by("user__display_name", "course__title")
    )
    if course is not None:
        records = records.filter(course=course)
    if person is not None:
        records = records.filter(user=person)
    soon = timezone.now() + timedelta(days=REFRESHER_WARNING_DAYS)
    if status == "in_progress":
        records = records.filter(completed_at__isnull=True)
    elif status == "completed":
        records = records.filter(completed_at__isnull=False)
    elif status == "refresher_due":
        # The clock's date is never earlier than the stored one: filter on the stored date, then
        # leave out those a pause has moved past the window.
        records = records.filter(
            Exists(
                CourseCompletion.objects.filter(
                    enrolment=OuterRef("pk"), refresher_due_at__lte=soon
                )
            )
        ).filter(refresher_due_at__lte=soon)
        records = records.exclude(pk__in=_moved_past(records, organisation, soon))
    return records


def organisation_clock(organisation: Organisation, now=None) -> PauseClock:
    """A clock that knows the pauses of everyone in the organisation (one query)."""
    return clock_for(People(query=_people_in(organisation)), now)


def _moved_past(records, organisation, soon) -> list[int]:
    """Records whose refresher a pause has moved later than `soon`: two queries (the pauses of
    the organisation's people, then the candidate records of those who have any)."""
    clock = organisation_clock(organisation)
    if not clock.pauses:
        return []
    rows = records.filter(user_id__in=list(clock.pauses)).values_list(
        "pk", "user_id", "last_completed_at", "refresher_due_at"
    )
    return [
        pk for pk, uid, completed, due in rows if refresher_date(clock, uid, completed, due) > soon
    ]


@dataclass
class OrganisationLearning:
    organisation: Organisation
    completions_this_month: int = 0
    overdue_count: int = 0
    due_count: int = 0
    refreshers_overdue: list = field(default_factory=list)  # the first few, longest overdue first
    refreshers_due: list = field(default_factory=list)  # the first few due, soonest first


def learning_summaries(*, organisations: list[Organisation], refreshers_shown: int = 5):
    """Completions this month, and refreshers overdue and due within 30 days (how many, and the
    first `refreshers_shown` of each) for several organisations. Dates are the clock's: a pause
    moves a refresher later, maybe out of the window.

    Counted in SQL, and only the rows shown are loaded, in a fixed number of queries however many
    organisations and people there are: the coordinator's home page shows this. People with a
    pause are the only ones whose dates can differ from the stored ones; only their rows are
    clocked one by one.
    """
    now = timezone.now()
    summaries = {o.pk: OrganisationLearning(o) for o in organisations}
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = _per_organisation(
        CourseCompletion.objects.filter(completed_at__gte=month_start), organisations
    )
    for row in this_month.values("organisation_id").annotate(n=Count("pk", distinct=True)):
        summaries[row["organisation_id"]].completions_this_month = row["n"]

    window = _per_organisation(_refreshers_due_queryset(now=now), organisations)
    people = Membership.objects.active().filter(organisation__in=organisations)
    clock = clock_for(People(query=people.values("user_id")), now)
    paused = list(clock.pauses)
    settled = window.exclude(enrolment__user_id__in=paused)
    counts = settled.values("organisation_id").annotate(
        overdue=Count("pk", distinct=True, filter=Q(refresher_due_at__lte=now)),
        due=Count("pk", distinct=True, filter=Q(refresher_due_at__gt=now)),
    )
    for row in counts:
        summaries[row["organisation_id"]].overdue_count = row["overdue"]
        summaries[row["organisation_id"]].due_count = row["due"]
    shown = _first_of_each(settled, now=now, shown=refreshers_shown)
    if paused:
        shown += list(
            window.filter(enrolment__user_id__in=paused).values_list("organisation_id", "pk")
        )
    rows = _refreshers_due_queryset(now=now).in_bulk({pk for _, pk in shown})
    clock_refreshers(rows.values(), clock=clock)
    by_date = sorted(set(shown), key=lambda pair: (rows[pair[1]].refresher_due_at, pair[1]))
    for organisation_id, pk in overdue_first(by_date, lambda pair: rows[pair[1]].refresher):
        summary, row = summaries[organisation_id], rows[pk]
        moved = row.enrolment.user_id in clock.pauses
        if row.refresher.overdue:
            summary.overdue_count += moved
            summary.refreshers_overdue.append(row)
        elif row.refresher.soon:
            summary.due_count += moved
            summary.refreshers_due.append(row)
    for summary in summaries.values():
        del summary.refreshers_overdue[refreshers_shown:]
        del summary.refreshers_due[refreshers_shown:]
    return list(summaries.values())


def _per_organisation(completions, organisations):
    """Each completion once for each organisation (of `organisations`) its person belongs to
    today, as `organisation_id`; a person with two roles there comes twice (count distinct)."""
    active = Membership.objects.active().filter(organisation__in=organisations)
    return completions.filter(enrolment__user__memberships__in=active).annotate(
        organisation_id=F("enrolment__user__memberships__organisation_id")
    )


def _first_of_each(completions, *, now, shown: int) -> list[tuple[int, int]]:
    """(organisation id, completion id) of the first `shown` overdue and the first `shown` due
    of each organisation, by stored date: ranked in the database over ids alone, the rows
    themselves loaded afterwards. A dense rank, so that the copies of one completion (a person
    with two roles) share a place."""
    overdue = Q(refresher_due_at__lte=now)
    place = Window(
        DenseRank(),
        partition_by=[F("organisation_id"), ExpressionWrapper(overdue, BooleanField())],
        order_by=[F("refresher_due_at").asc(), F("pk").asc()],
    )
    ranked = completions.annotate(place=place).filter(place__lte=shown)
    return list(ranked.values_list("organisation_id", "pk").distinct())


def _refreshers_due_queryset(days: int = REFRESHER_WARNING_DAYS, now=None):
    return CourseCompletion.objects.filter(
        enrolment__completed_at__isnull=False,
        refresher_due_at__lte=(now or timezone.now()) + timedelta(days=days),
        is_latest=True,
    ).select_related("enrolment__user", "enrolment__course")


def refreshers_due(*, organisation: Organisation, days: int = REFRESHER_WARNING_DAYS):
    """The organisation's latest completions whose refresher falls due within `days` (or is
    overdue) by the clock, overdue first, each with `refresher` (its `Due`)."""
    completions = list(
        _refreshers_due_queryset(days).filter(enrolment__user__in=_people_in(organisation))
    )
    clock_refreshers(completions)
    window = [c for c in completions if c.refresher.overdue or c.refresher.state != "later"]
    return overdue_first(window, lambda completion: completion.refresher)


# --- What removing course content would touch -------------------------------------------------


def learners_with_records_on(*, pages) -> int:
    """How many people have any learner record on these pages or anything below them: an
    enrolment, progress, knowledge-check answers, a reflection (deleted ones still offered for
    undo too) or a certificate."""
    ids = set()
    for page in pages:
        ids.update(page.get_descendants(inclusive=True).values_list("pk", flat=True))
    learner = "enrolment__user_id"
    people = set(Enrolment.objects.filter(course_id__in=ids).values_list("user_id", flat=True))
    people.update(ModuleProgress.objects.filter(module_id__in=ids).values_list(learner, flat=True))
    people.update(QuizAttempt.objects.filter(module_id__in=ids).values_list(learner, flat=True))
    reflections = Reflection.all_objects.filter(module_id__in=ids)
    people.update(reflections.values_list("user_id", flat=True))
    people.update(Certificate.objects.filter(course_id__in=ids).values_list("user_id", flat=True))
    return len(people)
