"""The pathways part of erasing a person (the kernel's `data_erase` hook, docs/privacy.md).

Their own words and files go: evidence statements and files, goals and aspirations, the private
notes of their wellbeing pauses. Their place on a pathway, stage decisions, sign-offs, the
evidence rows (now empty) and their pauses stay as rows of the anonymised placeholder: they are
the readiness history of the organisation and their counts must stay right.
"""

from django.db import transaction

from lms.models import User
from pathways.models import Aspirations, Evidence, WellbeingPause


def erase_pathway_data(user: User) -> None:
    """Delete the person's evidence words and files, aspirations and pause notes. Idempotent."""
    evidence = Evidence.objects.filter(user=user)
    for item in evidence.exclude(file=""):
        name, storage = item.file.name, item.file.storage
        # Deleted only once no row points at it, so a rolled-back erasure loses no file.
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
    evidence.update(statement="", file="", original_filename="")
    Aspirations.objects.filter(user=user).delete()
    WellbeingPause.objects.filter(user=user).exclude(private_note="").update(private_note="")
