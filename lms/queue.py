"""The one way to queue a background task (django-q2)."""

from django.db import transaction
from django_q.tasks import async_task


def enqueue(task_path: str, *args) -> None:
    """Queue a task once the current transaction commits, so it never sees uncommitted rows.

    Tasks take ids, load what they need and are safe to run twice: django-q2 hands a task out
    again when a worker dies before acknowledging it.
    """
    transaction.on_commit(lambda: async_task(task_path, *args))
