"""Every write in the learning loop: enrolment, progress, knowledge checks, reflections and
certificates."""

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail import hooks

from courses.certificates import render_certificate_pdf
from courses.models import (
    REFLECTION_MAX_CHARACTERS,
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
from courses.selectors import (
    ModuleState,
    enrolments_done_but_not_completed,
    live_modules,
    missing_prerequisites,
    module_state,
)
from lms.dates import add_months
from lms.models import Organisation, User
from lms.policy import mentor_relationship
from lms.queue import enqueue
from lms.sanitiser import clean_html, html_to_text
from lms.selectors import organisation_shared_by
from lms.services import audit_record


class PrerequisitesNotMet(ValidationError):
    def __init__(self, missing: list[CoursePage]):
        self.missing = missing
        titles = ", ".join(course.title for course in missing)
        super().__init__(f"Complete {titles} first.")


def learning_changed(*, user_ids: list[int]) -> None:
    """Tell the higher layers (the `learning_changed` hook) that these people's learning
    records changed: enrolled, a module or a course completed, a refresher started. Called in
    the transaction that changed them, so what an answer queues commits with the change."""
    for answer in hooks.get_hooks("learning_changed"):
        answer(user_ids)


# --- Enrolment --------------------------------------------------------------------------------


def enrolment_create(
    *, user: User, course: CoursePage, assigned_by: User | None = None
) -> tuple[Enrolment, bool]:
    """Enrol a person (or return their existing enrolment). Prerequisites must be complete."""
    existing = Enrolment.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing, False
    missing = missing_prerequisites(user=user, course=course)
    if missing:
        raise PrerequisitesNotMet(missing)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(user=user, course=course, assigned_by=assigned_by)
            learning_changed(user_ids=[user.pk])
    except IntegrityError:
        # The same request arrived twice at once; the first one enrolled them.
        return Enrolment.objects.get(user=user, course=course), False
    return enrolment, True


@dataclass
class AssignmentResult:
    enrolled: list[User] = field(default_factory=list)
    already_enrolled: list[User] = field(default_factory=list)
    missing_prerequisites: list[User] = field(default_factory=list)


def enrolment_assign(
    *, course: CoursePage, people: list[User], by: User, organisation: Organisation | None = None
) -> AssignmentResult:
    """A coordinator assigns a course to people; each is told what happened to whom. Each new
    enrolment is a decision about that person, so each is one event in the audit log."""
    result = AssignmentResult()
    for person in people:
        try:
            enrolment, created = enrolment_create(user=person, course=course, assigned_by=by)
        except PrerequisitesNotMet:
            result.missing_prerequisites.append(person)
            continue
        (result.enrolled if created else result.already_enrolled).append(person)
        if created:
            audit_record(
                actor=by,
                action="courses.enrolment.assigned",
                subject=enrolment,
                subject_user=person,
                organisation=organisation,
                detail={"course": course.pk},
            )
    return result


# --- Progress ---------------------------------------------------------------------------------


def module_visit(
    *, enrolment: Enrolment, module: ModulePage, progress: ModuleProgress | None = None
) -> ModuleProgress:
    """Record that the learner opened the module, and that it is where they left off. Opening
    a module never completes it: the learner says when they have finished
    (`module_finish`). With their `progress` on it already read, opening it again writes
    nothing (and opens no transaction) unless it was not where they left off."""
    if progress is None:
        progress, _ = _progress_for(enrolment, module)
    if enrolment.last_module_id != module.pk:
        Enrolment.objects.filter(pk=enrolment.pk).update(last_module=module)
        enrolment.last_module = module
    return progress


def _progress_for(enrolment: Enrolment, module: ModulePage) -> tuple[ModuleProgress, bool]:
    try:
        with transaction.atomic():
            return ModuleProgress.objects.get_or_create(enrolment=enrolment, module=module)
    except IntegrityError:
        return ModuleProgress.objects.get(enrolment=enrolment, module=module), False


@transaction.atomic
def module_finish(*, enrolment: Enrolment, module: ModulePage) -> ModuleState:
    """The learner says "I have finished this module" (they have it open, so it counts as
    opened too, and as where they left off). The module completes now if its checks are passed
    and any reflection it needs is written, or later, when the last of those is done. Saying it
    twice changes nothing."""
    progress = module_visit(enrolment=enrolment, module=module)
    now = None
    if progress.finished_at is None:
        now = timezone.now()
        if ModuleProgress.objects.filter(pk=progress.pk, finished_at__isnull=True).update(
            finished_at=now
        ):
            progress.finished_at = now
        else:
            now = None
            progress.refresh_from_db(fields=["finished_at", "completed_at"])
    return module_complete_if_done(enrolment=enrolment, module=module, progress=progress, at=now)


@transaction.atomic
def module_complete_if_done(
    *,
    enrolment: Enrolment,
    module: ModulePage,
    progress: ModuleProgress | None = None,
    at: datetime | None = None,
) -> ModuleState:
    """Complete the module if the learner has opened it, said they have finished it, passed
    every check and written any reflection it needs, all in this round; then the course, if
    that was the last module. Called after each of those steps, so whichever comes last
    completes it, at the moment it happened (`at`, else now). Returns the module's state."""
    state = module_state(enrolment=enrolment, module=module, progress=progress)
    if state.ready_to_complete and not state.complete:
        now = at or timezone.now()
        if ModuleProgress.objects.filter(pk=state.progress.pk, completed_at__isnull=True).update(
            completed_at=now
        ):
            state.progress.completed_at = now
            learning_changed(user_ids=[enrolment.user_id])
        else:
            state.progress.refresh_from_db(fields=["finished_at", "completed_at"])
    if state.complete:
        course_complete_if_done(enrolment=enrolment)
    return state


@transaction.atomic
def course_complete_if_done(*, enrolment: Enrolment) -> CourseCompletion | None:
    """Record completion once every live module is complete, with its certificate. Correct
    however calls interleave: the enrolment's row is locked before the modules' states are
    read, so of two modules finishing at once the second to take the lock sees the first one's
    committed completion (on PostgreSQL each statement reads what is committed when it starts;
    SQLite lets one writer in at a time). The lock also makes the claim happen once a round."""
    # FOR NO KEY UPDATE is enough to serialise completions of one enrolment, and unlike FOR
    # UPDATE it does not conflict with the key-share lock that inserting a progress row takes
    # on its enrolment, so it never waits on, or deadlocks with, a module merely being opened.
    locked = Enrolment.objects.select_for_update(no_key=True).filter(pk=enrolment.pk).first()
    if locked is None or locked.completed_at is not None:
        return None
    module_ids = set(live_modules(course=enrolment.course).values_list("pk", flat=True))
    done = dict(
        ModuleProgress.objects.filter(
            enrolment=enrolment, completed_at__isnull=False, module_id__in=module_ids
        ).values_list("module_id", "completed_at")
    )
    if not module_ids or set(done) != module_ids:
        return None
    # The course was done when its last module was: a completion found later (by the nightly
    # repair, or after a module is unpublished) keeps that date, and so do its certificate and
    # its refresher date.
    now = max(done.values())
    claimed = Enrolment.objects.filter(pk=enrolment.pk, completed_at__isnull=True).update(
        completed_at=now
    )
    if not claimed:
        return None
    enrolment.completed_at = now
    course = enrolment.course
    due = add_months(now, course.validity_months) if course.validity_months else None
    completion = CourseCompletion.objects.create(
        enrolment=enrolment, completed_at=now, refresher_due_at=due
    )
    learning_changed(user_ids=[enrolment.user_id])
    if course.certificate_enabled:
        certificate = Certificate.objects.create(
            completion=completion,
            user=enrolment.user,
            course=course,
            course_title=course.title,
            code=certificate_code(),
            issued_at=now,
            expires_at=due,
        )
        enqueue("courses.tasks.render_certificate_pdf", certificate.pk)
    return completion


REPAIR_BATCH_SIZE = 500


def course_completions_repair(
    *, course_ids: list[int] | None = None, batch_size: int | None = None
) -> list[int]:
    """Complete every open enrolment (on the given courses, or all) whose current round has
    every live module complete but no completion: after a lost race, or once a module was
    unpublished or deleted. Goes through `course_complete_if_done`, certificate included, one
    short transaction per enrolment, in batches. Never removes a completion. Returns the ids of
    the enrolments it completed."""
    repaired, after_id = [], 0
    while after_id is not None:
        ids, after_id = enrolments_done_but_not_completed(
            course_ids=course_ids, after_id=after_id, limit=batch_size or REPAIR_BATCH_SIZE
        )
        for enrolment in Enrolment.objects.filter(pk__in=ids).select_related("course", "user"):
            if course_complete_if_done(enrolment=enrolment) is not None:
                repaired.append(enrolment.pk)
    return sorted(repaired)


# Letters and digits only: the code is read out and typed by third parties, and a code starting
# with "-" or "=" would be taken for a formula in a spreadsheet export.
CERTIFICATE_CODE_ALPHABET = string.ascii_letters + string.digits


def certificate_code() -> str:
    """An unguessable verification code (24 letters and digits, about 143 bits)."""
    return "".join(secrets.choice(CERTIFICATE_CODE_ALPHABET) for _ in range(24))


@transaction.atomic
def refresher_start(*, enrolment: Enrolment) -> Enrolment:
    """Open a completed course again for a refresher. Earlier completions and certificates stay."""
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.completed_at is None:
        raise ValidationError("You are already working through this course.")
    enrolment.completed_at = None
    enrolment.last_module = None
    enrolment.round_started_at = timezone.now()
    enrolment.save(update_fields=["completed_at", "last_module", "round_started_at"])
    ModuleProgress.objects.filter(enrolment=enrolment).update(completed_at=None, finished_at=None)
    learning_changed(user_ids=[enrolment.user_id])
    return enrolment


# --- Knowledge checks -------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question_id: str
    chosen: list[str]
    correct: bool
    feedback: list[tuple[str, str]]  # (answer text, feedback) for each chosen answer


@dataclass
class CheckResult:
    attempt: QuizAttempt
    questions: list[QuestionResult]

    @property
    def passed(self) -> bool:
        return self.attempt.passed


def _find_check(module: ModulePage, check_id: str):
    for block in module.knowledge_checks():
        if block.id == check_id:
            return block
    raise ValidationError(
        "That knowledge check is not on this module any more. Reload the page and try again."
    )


def mark_check(check, answers: dict[str, list[str]]) -> tuple[list[QuestionResult], int]:
    """Mark answers ({question id: [answer ids]}) against a knowledge check block. Every
    question must be answered with answers that belong to it."""
    results, problems = [], []
    for number, question in enumerate(check.value["questions"].bound_blocks, start=1):
        chosen = answers.get(question.id) or []
        options = {answer.id: answer.value for answer in question.value["answers"].bound_blocks}
        if not chosen:
            problems.append(f"Answer question {number}.")
            continue
        if any(answer_id not in options for answer_id in chosen) or (
            question.value["kind"] == "single" and len(chosen) > 1
        ):
            problems.append(
                f"The answer to question {number} was not one of the choices. "
                "Reload the page and try again."
            )
            continue
        right = {answer_id for answer_id, answer in options.items() if answer["correct"]}
        results.append(
            QuestionResult(
                question_id=question.id,
                chosen=chosen,
                correct=set(chosen) == right,
                feedback=[(options[a]["text"], options[a]["feedback"]) for a in chosen],
            )
        )
    if problems:
        raise ValidationError(problems)
    return results, sum(result.correct for result in results)


@transaction.atomic
def knowledge_check_submit(
    *, enrolment: Enrolment, module: ModulePage, check_id: str, answers: dict[str, list[str]]
) -> CheckResult:
    """Mark and store an attempt. The module completes once every check has a passing attempt."""
    check = _find_check(module, check_id)
    results, correct = mark_check(check, answers)
    total = len(results)
    passed = correct * 100 >= enrolment.course.pass_mark * total
    attempt = QuizAttempt.objects.create(
        enrolment=enrolment,
        module=module,
        check_id=check_id,
        answers={r.question_id: r.chosen for r in results},
        correct=correct,
        total=total,
        passed=passed,
    )
    if passed:
        module_complete_if_done(enrolment=enrolment, module=module)
    return CheckResult(attempt=attempt, questions=results)


# --- Reflections ------------------------------------------------------------------------------


def reflection_save(*, user: User, module: ModulePage, prompt_id: str, body: str) -> Reflection:
    """Save (or update) a peer's reflection at a prompt, cleaned by the one sanitiser."""
    prompt = next((block for block in module.reflection_prompts() if block.id == prompt_id), None)
    if prompt is None:
        raise ValidationError({"body": "That reflection prompt is not on this module any more."})
    if len(html_to_text(body)) > REFLECTION_MAX_CHARACTERS:
        raise ValidationError(
            {
                "body": f"Your reflection is longer than "
                f"{REFLECTION_MAX_CHARACTERS:,} characters. Shorten it."
            }
        )
    cleaned = clean_html(body)
    if not cleaned:
        raise ValidationError({"body": "Write your reflection before saving it."})
    now = timezone.now()
    # A reflection deleted at this prompt and still offered for undo gives way to the new one.
    Reflection.all_objects.filter(
        user=user, module=module, prompt_id=prompt_id, deleted_at__isnull=False
    ).delete()
    try:
        with transaction.atomic():
            reflection, _ = Reflection.objects.update_or_create(
                user=user,
                module=module,
                prompt_id=prompt_id,
                defaults={
                    "body": cleaned,
                    "prompt": prompt.value["prompt"],
                    "module_title": module.title,
                    "updated_at": now,
                },
            )
    except IntegrityError:
        # Saved twice at once: the other request created it; this one updates it.
        reflection = Reflection.objects.get(user=user, module=module, prompt_id=prompt_id)
        reflection.body, reflection.updated_at = cleaned, now
        reflection.save(update_fields=["body", "updated_at"])
    if module.requires_reflection:
        _reflection_written(user, module)
    return reflection


def _reflection_written(user: User, module: ModulePage) -> None:
    """A module that needs a reflection may complete now, if the reflection came last."""
    enrolment = (
        Enrolment.objects.filter(user=user, course__path=module.path[: -ModulePage.steplen])
        .select_related("course")
        .first()
    )
    if enrolment is not None:
        module_complete_if_done(enrolment=enrolment, module=module)


class NobodyToShareWith(Exception):
    """The peer has no mentor today, so a reflection cannot be shared with anyone."""


@transaction.atomic
def reflection_share(*, reflection: Reflection) -> ReflectionShare:
    """Share a reflection with the peer's mentor of today, named, within their mentorship.
    Sharing twice keeps the one share."""
    relationship = mentor_relationship(person=reflection.user)
    if relationship is None:
        raise NobodyToShareWith
    share, created = ReflectionShare.objects.get_or_create(
        reflection=reflection,
        relationship=relationship.key,
        ended_at=None,
        defaults={"shared_with_id": relationship.mentor_id},
    )
    if created:
        _audit_sharing(reflection, "courses.reflection.shared", relationship.organisation_id)
    return share


@transaction.atomic
def reflection_unshare(*, reflection: Reflection) -> int:
    """Stop sharing a reflection with anyone. Returns how many shares ended."""
    ended = ReflectionShare.objects.filter(reflection=reflection, ended_at=None).update(
        ended_at=timezone.now()
    )
    if ended:
        relationship = mentor_relationship(person=reflection.user)
        organisation_id = relationship.organisation_id if relationship else None
        _audit_sharing(reflection, "courses.reflection.unshared", organisation_id)
    return ended


def reflection_shares_end(*, relationship: str) -> int:
    """A relationship ended (e.g. a mentorship): every reflection shared in it stops being
    shared. Called by the app that owns the relationship."""
    return ReflectionShare.objects.filter(relationship=relationship, ended_at=None).update(
        ended_at=timezone.now()
    )


def _audit_sharing(reflection: Reflection, action: str, organisation_id: int | None) -> None:
    audit_record(
        actor=reflection.user,
        action=action,
        subject=reflection,
        subject_user=reflection.user,
        organisation=Organisation.objects.filter(pk=organisation_id).first(),
    )


@transaction.atomic
def reflection_delete(*, reflection: Reflection) -> Reflection:
    """Delete a reflection softly: from now on nobody sees it, its mentor included, and every
    share of it ends. The peer can restore it for `REFLECTION_UNDO_DAYS`; then the retention
    sweep removes it for good (`reflections_remove_deleted`)."""
    now = timezone.now()
    ReflectionShare.objects.filter(reflection=reflection, ended_at=None).update(ended_at=now)
    Reflection.objects.filter(pk=reflection.pk).update(deleted_at=now)
    reflection.deleted_at = now
    return reflection


def reflection_restore(*, reflection: Reflection) -> Reflection:
    """Undo a delete while it may still be undone. It comes back private: the shares that ended
    stay ended, so the peer decides afresh whom to share it with."""
    if reflection.deleted_at is None:
        return reflection
    if reflection.deleted_at < timezone.now() - timedelta(days=REFLECTION_UNDO_DAYS):
        raise ValidationError("This reflection was deleted too long ago to bring back.")
    Reflection.all_objects.filter(pk=reflection.pk).update(deleted_at=None)
    reflection.deleted_at = None
    module = reflection.module and reflection.module.specific
    if module is not None and module.requires_reflection:
        # The module may have waited for exactly this reflection.
        _reflection_written(reflection.user, module)
    return reflection


def reflections_remove_deleted(now) -> dict[str, int]:
    """The courses part of the daily retention sweep: reflections deleted more than
    `REFLECTION_UNDO_DAYS` ago are removed for good, with their (ended) shares."""
    cutoff = now - timedelta(days=REFLECTION_UNDO_DAYS)
    old = Reflection.all_objects.filter(deleted_at__lt=cutoff)
    old_ids = list(old.values_list("pk", flat=True))
    if not old_ids:
        return {"deleted reflections": 0}
    Reflection.all_objects.filter(pk__in=old_ids).delete()
    return {"deleted reflections": len(old_ids)}


# --- Certificates -----------------------------------------------------------------------------


def certificate_set_show_name(*, certificate: Certificate, show_name: bool) -> Certificate:
    """The holder chooses whether the public verification page shows their name."""
    certificate.show_name = show_name
    certificate.save(update_fields=["show_name"])
    audit_record(
        actor=certificate.user,
        action="courses.certificate.name_shown" if show_name else "courses.certificate.name_hidden",
        subject=certificate,
        subject_user=certificate.user,
        # The holder's own choice, made outside any organisation's pages: it is filed under
        # the first organisation they belong to, so that one admin can see it.
        organisation=organisation_shared_by(user=certificate.user, other=certificate.user),
    )
    return certificate


def certificate_ensure_pdf(*, certificate: Certificate) -> Certificate:
    """Make sure the certificate's PDF exists (the background task normally makes it first)."""
    if not certificate.pdf:
        certificate.pdf.save(
            f"{certificate.code}.pdf", render_certificate_pdf(certificate), save=False
        )
        Certificate.objects.filter(pk=certificate.pk, pdf="").update(pdf=certificate.pdf.name)
    return certificate
