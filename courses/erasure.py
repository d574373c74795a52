"""The courses part of erasing a person (the kernel's `data_erase` hook, docs/privacy.md).

Their own words go: reflections (and every share of them) and the answers they chose in knowledge
checks. Enrolments, progress, completions and certificates stay as rows of the anonymised
placeholder, so an organisation's completion counts stay right; the certificate PDFs are deleted
from storage and each certificate gets a new code nobody knows, so the public check of the old
one answers "not found".
"""

from django.db import transaction
from django.utils import timezone

from courses.models import Certificate, QuizAttempt, Reflection, ReflectionShare
from courses.services import certificate_code
from lms.models import User


def erase_learner_data(user: User) -> None:
    """Delete the person's reflections, answers and certificate files. Idempotent."""
    # Deleted ones still offered for undo too.
    Reflection.all_objects.filter(user=user).delete()
    # Mentees' reflections shared with the person (as their mentor) are shared no longer.
    ReflectionShare.objects.filter(shared_with=user, ended_at=None).update(ended_at=timezone.now())
    QuizAttempt.objects.filter(enrolment__user=user).exclude(answers={}).update(answers={})
    for certificate in Certificate.objects.filter(user=user):
        _retire_certificate(certificate)


def _retire_certificate(certificate: Certificate) -> None:
    if certificate.pdf:
        name, storage = certificate.pdf.name, certificate.pdf.storage
        # Deleted only once the row no longer points at it, so a rolled-back erasure loses no file.
        transaction.on_commit(lambda: storage.delete(name))
    certificate.pdf = ""
    certificate.code = certificate_code()
    certificate.show_name = False
    certificate.save(update_fields=["pdf", "code", "show_name"])
