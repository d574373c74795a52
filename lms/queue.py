"""The one way to queue a background task (django-q2), through an outbox.

`enqueue` writes an `OutboxTask` row in the caller's transaction, so the task is asked for
exactly when the change that asks for it commits, and hands it to django-q2 after the commit.
If the broker cannot be reached (Redis down) the request still succeeds: the row stays pending
and the relay hands it over later. The broker carries only the row's id; the worker runs
`run(id)`, which loads the task and its arguments from the row and marks the row done.

`relay` (every minute from a django-q2 schedule, when a worker starts, and
`manage.py relay_tasks`) hands over again every row still pending after a short grace period,
and every row handed over but not finished after the task timeout and the broker's own retry
have passed: the Redis broker loses a task whose worker is killed, and a task signed with an
earlier SECRET_KEY cannot be read by the cluster and is dropped. So a task may run twice;
every task is safe to run twice: its effects are claimed by key (lms.effects).
"""

import logging
import re
import uuid
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django_q.conf import Conf
from django_q.tasks import async_task

from lms.models import OutboxTask

log = logging.getLogger(__name__)

RUNNER = "lms.queue.run"
RELAY_BATCH = 500
_current_task: ContextVar[int | None] = ContextVar("lms_outbox_task", default=None)


def enqueue(task_path: str, *args) -> OutboxTask:
    """Ask for a task, atomically with the caller's writes; it is handed to the broker once the
    transaction commits, so it never sees uncommitted rows. Tasks take ids (JSON values)."""
    _task_function(task_path)  # a typo fails here, in the request, not later in a worker
    row = OutboxTask.objects.create(task=task_path, args=list(args))
    transaction.on_commit(lambda: hand_over(row.pk))
    return row


def key_fingerprint() -> str:
    """Names the SECRET_KEY that signs what we hand to django-q2, without revealing it."""
    return salted_hmac("lms.queue.key_fingerprint", "task payloads").hexdigest()[:16]


def hand_over(outbox_id: int, *, previous: OutboxTask | None = None) -> bool:
    """Hand one outbox row to django-q2. False if the broker could not take it (the row is then
    pending again, for the relay). `previous` is the row as the relay read it: the hand-over is
    claimed by a conditional update on it, so two relays never hand one row over together."""
    rows = OutboxTask.objects.filter(pk=outbox_id)
    if previous is None:
        rows = rows.filter(status=OutboxTask.PENDING, handed_at__isnull=True)
    else:
        rows = rows.filter(status=previous.status, handed_at=previous.handed_at)
    claimed = rows.update(
        status=OutboxTask.HANDED,
        handed_at=timezone.now(),
        handovers=F("handovers") + 1,
        key_fingerprint=key_fingerprint(),
    )
    if not claimed:
        return False
    try:
        async_task(RUNNER, outbox_id)
    except Exception as error:
        if Conf.SYNC:
            raise  # the task ran inline (tests) and this is its own error, as without an outbox
        # Redis down, say. The change that asked for the task is committed and stays so; the
        # relay hands the task over when the broker is back.
        log.warning(
            "Could not hand background task #%s to the broker (%s: %s); it waits in the "
            "outbox for the relay.",
            outbox_id,
            type(error).__name__,
            error,
        )
        OutboxTask.objects.filter(pk=outbox_id, status=OutboxTask.HANDED).update(
            status=OutboxTask.PENDING, handovers=F("handovers") - 1
        )
        return False
    return True


def _task_function(task_path: str):
    module, _, name = task_path.rpartition(".")
    if not module.endswith(".tasks") or module.split(".")[0] not in {
        "lms",
        "courses",
        "pathways",
        "mentoring",
    }:
        raise ValueError(f"{task_path!r} is not a task of ours (an <app>.tasks function).")
    return import_string(task_path)


def current_task_id() -> int | None:
    """The outbox id of the task running now (the same for every run of one queued task), or
    None outside `run`. Tasks without a natural key for their effect use it in the key."""
    return _current_task.get()


def run_scope() -> str:
    """A key part naming the queued task this run belongs to (the same for every retry of
    it), for effects that have no natural key; a fresh one when a task is called directly."""
    task_id = current_task_id()
    return f"task:{task_id}" if task_id is not None else f"direct:{uuid.uuid4().hex}"


def run(outbox_id: int):
    """What the broker runs: the outbox row's task, once; then the row is marked done."""
    row = OutboxTask.objects.filter(pk=outbox_id).first()
    # Only a finished row is skipped. A row the relay gave up on may still reach a worker late
    # (a cluster that was down for a while): running it then is right, since every effect is
    # claimed by key.
    if row is None or row.status == OutboxTask.DONE:
        return None
    function = _task_function(row.task)
    token = _current_task.set(row.pk)
    try:
        result = function(*row.args)
    except Exception as error:
        OutboxTask.objects.filter(pk=row.pk).update(last_error=_error_text(error))
        raise
    finally:
        _current_task.reset(token)
    OutboxTask.objects.filter(pk=row.pk).exclude(status=OutboxTask.DONE).update(
        status=OutboxTask.DONE, done_at=timezone.now(), last_error=""
    )
    return result


_EMAIL_ADDRESS = re.compile(r"[^\s<>@'\"]+@[^\s<>@'\"]+")


def _error_text(error: Exception) -> str:
    """What went wrong, for the operator's report and log, without email addresses (a mail
    server's refusal names the recipient)."""
    return _EMAIL_ADDRESS.sub("[address]", f"{type(error).__name__}: {error}")[:2000]


def relay(now=None) -> dict[str, int]:
    """Hand over what is waiting or was lost; give up, loudly, after TASK_MAX_HANDOVERS."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.TASK_RELAY_GRACE_SECONDS)
    stuck_before = now - timedelta(seconds=settings.TASK_RESEND_AFTER_SECONDS)
    fingerprint = key_fingerprint()
    counts = {"handed": 0, "handed_again": 0, "given_up": 0, "broker_down": 0}
    rows = OutboxTask.objects.filter(
        Q(status=OutboxTask.PENDING, created_at__lt=grace)
        & (Q(handed_at__isnull=True) | Q(handed_at__lt=grace))
        | Q(status=OutboxTask.HANDED, handed_at__lt=stuck_before)
    ).order_by("pk")[:RELAY_BATCH]
    for row in rows:
        if row.handovers >= settings.TASK_MAX_HANDOVERS:
            if OutboxTask.objects.filter(
                pk=row.pk, status=row.status, handed_at=row.handed_at
            ).update(status=OutboxTask.FAILED):
                counts["given_up"] += 1
                log.error(
                    "Gave up on background task #%s %s%s after %s hand-overs; last error: %s",
                    row.pk,
                    row.task,
                    tuple(row.args),
                    row.handovers,
                    row.last_error or "none recorded (it never finished)",
                )
            continue
        if row.status == OutboxTask.HANDED:
            if row.key_fingerprint and row.key_fingerprint != fingerprint:
                log.error(
                    "Background task #%s %s%s was queued under a different SECRET_KEY, so the "
                    "cluster could not read it (django-q2 signs tasks with SECRET_KEY) and "
                    "dropped it. Handing it over again under the current key.",
                    row.pk,
                    row.task,
                    tuple(row.args),
                )
            else:
                log.warning(
                    "Background task #%s %s%s was handed over at %s and has not finished (a "
                    "worker stopped, the broker lost it, or it failed: %s). Handing it over "
                    "again.",
                    row.pk,
                    row.task,
                    tuple(row.args),
                    row.handed_at.isoformat(),
                    row.last_error or "no error recorded",
                )
        try:
            handed = hand_over(row.pk, previous=row)
        except Exception:
            log.exception("Background task #%s %s failed (run inline).", row.pk, row.task)
            handed = True
        if handed:
            counts["handed_again" if row.status == OutboxTask.HANDED else "handed"] += 1
        elif OutboxTask.objects.filter(pk=row.pk, status=OutboxTask.PENDING).exists():
            counts["broker_down"] += 1
    if any(counts.values()):
        log.info("Background task relay: %s", counts)
    return counts
