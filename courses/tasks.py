"""Background tasks for courses. Queue them with `lms.queue.enqueue`."""

import logging

from courses.models import Certificate
from courses.services import certificate_ensure_pdf, course_completions_repair

logger = logging.getLogger(__name__)


def render_certificate_pdf(certificate_id: int) -> None:
    """Draw and store a certificate's PDF; does nothing if it already exists."""
    certificate = (
        Certificate.objects.select_related("user", "course").filter(pk=certificate_id).first()
    )
    if certificate is not None:
        certificate_ensure_pdf(certificate=certificate)


def repair_course_completions() -> list[int]:
    """Nightly: complete every open enrolment whose current round has every live module
    complete but no completion (certificate included), through the normal service. Logs and
    returns the repaired enrolments' ids only. Running it twice repairs nothing the second
    time."""
    repaired = course_completions_repair()
    if repaired:
        logger.warning("Repaired %d course completions: enrolments %s", len(repaired), repaired)
    else:
        logger.info("Course completions: nothing to repair")
    return repaired


def recompute_course_completions(course_id: int) -> list[int]:
    """A module of the course was unpublished or deleted: learners who have now completed every
    remaining live module get their completion. Nobody loses one. Returns the ids completed."""
    repaired = course_completions_repair(course_ids=[course_id])
    logger.info(
        "Course %s changed: %d enrolments completed: %s", course_id, len(repaired), repaired
    )
    return repaired
