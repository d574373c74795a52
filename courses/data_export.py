"""Courses' part of "Download my data" (the kernel's `data_export` hook): enrolments, progress,
knowledge-check attempts, reflections with whom each was shared, completions and certificates
with their PDFs. A fixed number of queries, however much there is."""

from django.db.models import Prefetch

from courses.models import (
    Certificate,
    CourseCompletion,
    Enrolment,
    ModuleProgress,
    QuizAttempt,
    Reflection,
    ReflectionShare,
)
from courses.selectors import clock_certificates, clock_refreshers
from lms.data_export import ExportFile, ExportPart, name, plain, when
from lms.models import User


def courses_export_part(user: User) -> ExportPart:
    certificates, files = _certificates(user)
    records = [
        *_enrolments(user),
        *_progress(user),
        *_attempts(user),
        *_reflections(user),
        *_completions(user),
        *certificates,
    ]
    return ExportPart(filename="courses.json", records=records, files=files)


def _enrolments(user: User) -> list[dict]:
    enrolments = Enrolment.objects.filter(user=user).select_related(
        "course", "assigned_by", "last_module"
    )
    return [
        {
            "Record": "Enrolment",
            "Course": enrolment.course.title,
            "Enrolled": when(enrolment.enrolled_at),
            "Assigned by": name(enrolment.assigned_by),
            "Current round started": when(enrolment.round_started_at),
            "Completed": when(enrolment.completed_at),
            "Last module opened": enrolment.last_module.title if enrolment.last_module else None,
        }
        for enrolment in enrolments.order_by("enrolled_at", "pk")
    ]


def _progress(user: User) -> list[dict]:
    progress = ModuleProgress.objects.filter(enrolment__user=user).select_related(
        "enrolment__course", "module"
    )
    return [
        {
            "Record": "Module progress",
            "Course": row.enrolment.course.title,
            "Module": row.module.title,
            "First opened": when(row.visited_at),
            "Marked as finished": when(row.finished_at),
            "Completed": when(row.completed_at),
        }
        for row in progress.order_by("visited_at", "pk")
    ]


def _attempts(user: User) -> list[dict]:
    attempts = QuizAttempt.objects.filter(enrolment__user=user).select_related(
        "enrolment__course", "module"
    )
    return [
        {
            "Record": "Knowledge check attempt",
            "Course": attempt.enrolment.course.title,
            "Module": attempt.module.title,
            "Knowledge check": attempt.check_id,
            "Answers chosen (ids)": attempt.answers,
            "Right": attempt.correct,
            "Questions": attempt.total,
            "Passed": attempt.passed,
            "When": when(attempt.created_at),
        }
        for attempt in attempts.order_by("created_at", "pk")
    ]


def _reflections(user: User) -> list[dict]:
    shares = ReflectionShare.objects.select_related("shared_with").order_by("shared_at", "pk")
    reflections = (
        # Deleted reflections still held for undo are the person's data too.
        Reflection.all_objects.filter(user=user)
        .select_related("module")
        .prefetch_related(Prefetch("shares", queryset=shares))
    )
    return [
        {
            "Record": "Reflection",
            "Module": reflection.title,
            "Prompt": reflection.prompt,
            "Your words": plain(reflection.body),
            "Written": when(reflection.created_at),
            "Last changed": when(reflection.updated_at),
            "Deleted": when(reflection.deleted_at),
            "Shared with": [
                {
                    "Person": name(share.shared_with),
                    "Shared": when(share.shared_at),
                    "Stopped sharing": when(share.ended_at),
                }
                for share in reflection.shares.all()
            ],
        }
        for reflection in reflections.order_by("created_at", "pk")
    ]


def _completions(user: User) -> list[dict]:
    completions = list(
        CourseCompletion.objects.filter(enrolment__user=user)
        .select_related("enrolment__course")
        .order_by("completed_at", "pk")
    )
    clock_refreshers(completions, user_id=user.pk)  # the dates the pages show
    return [
        {
            "Record": "Course completed",
            "Course": completion.enrolment.course.title,
            "Completed": when(completion.completed_at),
            "Refresher due": when(completion.refresher_due_at),
        }
        for completion in completions
    ]


def _certificates(user: User) -> tuple[list[dict], list[ExportFile]]:
    records, files = [], []
    certificates = Certificate.objects.filter(user=user).select_related("course")
    for certificate in clock_certificates(certificates.order_by("issued_at", "pk")):
        file = None
        if certificate.pdf:
            file = ExportFile(
                storage=certificate.pdf.storage,
                path=certificate.pdf.name,
                name=f"courses/certificates/{certificate.code}.pdf",
            )
            files.append(file)
        records.append(
            {
                "Record": "Certificate",
                "Course": certificate.title,
                "Code": certificate.code,
                "Issued": when(certificate.issued_at),
                "Valid until": when(certificate.valid_until),
                "Your name shown on the public check": certificate.show_name,
                "File": file.zip_name if file else None,
            }
        )
    return records, files
