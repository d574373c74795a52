"""Existing module progress under the new rule: a module is complete only once the learner has
opened it, said "I have finished this module", and passed every knowledge check on it.

Until now a module without a knowledge check counted as complete the moment it was opened, and
a module with checks the moment its last check was passed. So:

- Progress completed by passing knowledge checks keeps its completion, with ``finished_at`` set
  to ``completed_at``. Passing the last check was the learner's own deliberate act at the end
  of the module, the nearest thing to "I have finished" the old pages let them say, and it is
  recorded evidence of the work: taking the completion away would undo work they did in good
  faith. It is recognised by a passing attempt in the enrolment's current round.
- Progress "completed" only by opening the module (no passing attempt in the current round,
  which is every module without a knowledge check) becomes not complete: the module stays "in
  progress" until the learner says they have finished it. Opening a page is not evidence that
  it was read.
- Courses completed and certificates issued are kept as they are, with the enrolment's
  ``completed_at``: they are records of what was issued, which third parties may already have
  checked, and this migration does not rewrite history. A learner in a completed round may
  mark the reopened modules as finished; that never records a second completion for the round.

Going backwards restores the old rule's view: every opened module without knowledge checks is
complete again, as the old code would have made it on the next visit, and ``finished_at`` is
dropped by the previous migration.
"""

import json

from django.db import migrations
from django.db.models import Exists, F, OuterRef


def forwards(apps, schema_editor):
    ModuleProgress = apps.get_model("courses", "ModuleProgress")
    QuizAttempt = apps.get_model("courses", "QuizAttempt")
    passed_this_round = QuizAttempt.objects.filter(
        enrolment_id=OuterRef("enrolment_id"),
        module_id=OuterRef("module_id"),
        passed=True,
        created_at__gte=OuterRef("enrolment__round_started_at"),
    )
    completed = ModuleProgress.objects.filter(completed_at__isnull=False)
    completed.filter(Exists(passed_this_round)).update(finished_at=F("completed_at"))
    completed.filter(~Exists(passed_this_round)).update(completed_at=None, finished_at=None)


def _has_checks(body) -> bool:
    raw = json.loads(body) if isinstance(body, str) else list(getattr(body, "raw_data", body))
    return any(block["type"] == "knowledge_check" for block in raw or [])


def backwards(apps, schema_editor):
    ModulePage = apps.get_model("courses", "ModulePage")
    ModuleProgress = apps.get_model("courses", "ModuleProgress")
    text_only = [pk for pk, body in ModulePage.objects.values_list("pk", "body") if not _has_checks(body)]
    ModuleProgress.objects.filter(completed_at__isnull=True, module_id__in=text_only).update(
        completed_at=F("visited_at")
    )


class Migration(migrations.Migration):
    dependencies = [("courses", "0006_module_finishing")]

    operations = [migrations.RunPython(forwards, backwards)]
