"""No task is lost: the outbox row is written with the change that asks for it, survives a broker
outage, a lost task and a SECRET_KEY rotation, and the relay hands it over again (issue 11)."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule
from django_q.signing import BadSignature, SignedPackage

from lms.models import Invitation, OutboxTask
from lms.queue import enqueue, key_fingerprint, relay, run
from lms.services import invitation_create

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens here: Redis is "down"


@pytest.fixture
def redis_broker_down(monkeypatch):
    """django-q2 with the Redis broker, and Redis unreachable."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", CLOSED_PORT)


def _invite(personas):
    return invitation_create(
        organisation=personas.home,
        email="robin@example.org",
        role="peer",
        invited_by=personas.coordinator,
    )


def _age(row, *, seconds, handed=False):
    """Make the row look `seconds` old (created, and handed over if `handed`)."""
    then = timezone.now() - timedelta(seconds=seconds)
    fields = {"created_at": then}
    if handed:
        fields["handed_at"] = then
    OutboxTask.objects.filter(pk=row.pk).update(**fields)


def test_the_outbox_row_is_written_with_the_change_and_rolled_back_with_it(personas, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        _invite(personas)
        assert OutboxTask.objects.filter(task="lms.tasks.send_invitation_email").count() == 1
        raise RuntimeError("the request failed after the invitation was written")

    assert not Invitation.objects.exists()
    assert not OutboxTask.objects.exists()
    assert mailoutbox == []


def test_after_commit_the_task_is_handed_over_runs_and_is_marked_done(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(personas)

    row = OutboxTask.objects.get()
    assert (row.task, row.args) == ("lms.tasks.send_invitation_email", [invitation.pk])
    assert row.status == OutboxTask.DONE
    assert row.handovers == 1
    assert row.key_fingerprint == key_fingerprint()
    assert len(mailoutbox) == 1


def test_enqueue_refuses_what_is_not_one_of_our_tasks(db):
    for path in ("os.system", "lms.services.invitation_create", "django_q.tasks.async_task"):
        with pytest.raises(ValueError, match="not a task of ours"):
            enqueue(path, 1)
    assert not OutboxTask.objects.exists()


def test_with_the_redis_broker_down_the_invitation_is_still_made_and_its_email_goes_later(
    client, personas, mailoutbox, django_capture_on_commit_callbacks, redis_broker_down, caplog
):
    client.force_login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("lms:invite", args=[personas.home.slug]),
            {"email": "robin@example.org", "role": "peer"},
        )

    assert response.status_code == 302
    assert Invitation.objects.filter(email="robin@example.org").count() == 1
    row = OutboxTask.objects.get()
    assert row.status == OutboxTask.PENDING
    assert row.handovers == 0
    assert mailoutbox == []
    assert "waits in the outbox" in caplog.text

    # Within the grace period the relay leaves it (the hand-over may be on its way).
    assert relay()["handed"] == 0
    # Redis is back; the relay's next round hands it over, and the email goes once.
    Conf.ORM, Conf.SYNC = "default", True
    _age(row, seconds=60, handed=True)
    assert relay()["handed"] == 1
    assert relay()["handed"] == 0
    row.refresh_from_db()
    assert row.status == OutboxTask.DONE
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["robin@example.org"]


def test_while_the_broker_stays_down_the_relay_keeps_the_task_waiting(
    personas, mailoutbox, django_capture_on_commit_callbacks, redis_broker_down
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(personas)
    row = OutboxTask.objects.get()
    for _ in range(10):  # ten minutes of outage: never given up, never counted as a hand-over
        _age(row, seconds=60, handed=True)
        assert relay()["broker_down"] == 1
    row.refresh_from_db()
    assert (row.status, row.handovers) == (OutboxTask.PENDING, 0)
    assert mailoutbox == []


def test_a_task_the_broker_lost_is_handed_over_again_after_timeout_and_retry(
    personas, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, settings, caplog
):
    """The Redis broker loses a task whose worker is killed: the row stays 'handed'."""
    monkeypatch.setattr("lms.queue.async_task", lambda *args, **kwargs: "lost")
    with django_capture_on_commit_callbacks(execute=True):
        _invite(personas)
    row = OutboxTask.objects.get()
    assert row.status == OutboxTask.HANDED
    monkeypatch.undo()
    Conf.SYNC = True

    _age(row, seconds=settings.TASK_RESEND_AFTER_SECONDS - 5, handed=True)
    assert relay()["handed_again"] == 0  # the ORM broker's own retry may still come
    _age(row, seconds=settings.TASK_RESEND_AFTER_SECONDS + 5, handed=True)
    with caplog.at_level(logging.WARNING, logger="lms.queue"):
        assert relay()["handed_again"] == 1
    assert "has not finished" in caplog.text
    row.refresh_from_db()
    assert (row.status, row.handovers) == (OutboxTask.DONE, 2)
    assert len(mailoutbox) == 1


def test_a_task_that_keeps_failing_is_given_up_loudly(
    personas, django_capture_on_commit_callbacks, monkeypatch, settings, caplog
):
    def broken(invitation_id):
        raise RuntimeError("template missing")

    monkeypatch.setattr("lms.tasks.send_invitation_email", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        _invite(personas)  # inline, the task's error reaches the caller, as it always did
    row = OutboxTask.objects.get()
    assert "template missing" in row.last_error
    for _ in range(settings.TASK_MAX_HANDOVERS - 1):
        _age(row, seconds=settings.TASK_RESEND_AFTER_SECONDS + 5, handed=True)
        assert relay()["handed_again"] == 1
    _age(row, seconds=settings.TASK_RESEND_AFTER_SECONDS + 5, handed=True)
    with caplog.at_level(logging.ERROR, logger="lms.queue"):
        assert relay()["given_up"] == 1
    assert "Gave up on background task" in caplog.text
    assert "template missing" in caplog.text
    row.refresh_from_db()
    assert (row.status, row.handovers) == (OutboxTask.FAILED, settings.TASK_MAX_HANDOVERS)
    assert relay() == {"handed": 0, "handed_again": 0, "given_up": 0, "broker_down": 0}


def test_a_task_given_up_on_still_runs_when_its_hand_over_reaches_a_worker_late(
    personas, django_capture_on_commit_callbacks, mailoutbox
):
    """A cluster that was down for a while: the relay gave up, then a worker reaches one of the
    hand-overs. Its effect is claimed by key, so running it is right, and it happens once."""
    with django_capture_on_commit_callbacks(execute=False):
        invitation = _invite(personas)
    row = OutboxTask.objects.get()
    OutboxTask.objects.filter(pk=row.pk).update(status=OutboxTask.FAILED)

    run(row.pk)
    run(row.pk)

    row.refresh_from_db()
    assert row.status == OutboxTask.DONE
    assert [message.to for message in mailoutbox] == [[invitation.email]]


def test_a_failed_task_keeps_no_email_address_in_its_error(
    personas, django_capture_on_commit_callbacks, monkeypatch
):
    def refused(invitation_id):
        raise RuntimeError("550 mailbox unavailable: <robin@example.org>")

    monkeypatch.setattr("lms.tasks.send_invitation_email", refused)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        _invite(personas)

    error = OutboxTask.objects.get().last_error
    assert "550 mailbox unavailable" in error
    assert "robin@example.org" not in error


# --- SECRET_KEY rotation ------------------------------------------------------------------------


def test_django_q2_cannot_read_a_task_signed_with_another_secret_key(monkeypatch):
    """The fault: what was queued under the old key is unreadable under the new one."""
    monkeypatch.setattr(Conf, "SECRET_KEY", "old-key-" + "x" * 50)
    package = SignedPackage.dumps({"func": "lms.queue.run", "args": (1,)})
    monkeypatch.setattr(Conf, "SECRET_KEY", "new-key-" + "y" * 50)
    with pytest.raises(BadSignature):
        SignedPackage.loads(package)


def test_a_task_queued_before_a_secret_key_rotation_is_queued_again_and_runs_once(
    personas, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, settings, caplog
):
    # Queued through the ORM broker under the old key; the cluster has not run it yet.
    old_key, new_key = "old-key-" + "x" * 50, "new-key-" + "y" * 50
    settings.SECRET_KEY = old_key
    monkeypatch.setattr(Conf, "SECRET_KEY", old_key)
    monkeypatch.setattr(Conf, "SYNC", False)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(personas)
    row = OutboxTask.objects.get()
    assert row.status == OutboxTask.HANDED
    queued = OrmQ.objects.get()

    # The key is rotated and the cluster restarts: it cannot read the package, and drops it
    # (django_q.pusher: BadSignature → broker.fail).
    settings.SECRET_KEY = new_key
    monkeypatch.setattr(Conf, "SECRET_KEY", new_key)
    with pytest.raises(BadSignature):
        SignedPackage.loads(queued.payload)
    queued.delete()
    assert mailoutbox == []

    # The relay says what happened, naming the cause, and queues it again under the new key.
    _age(row, seconds=settings.TASK_RESEND_AFTER_SECONDS + 5, handed=True)
    with caplog.at_level(logging.ERROR, logger="lms.queue"):
        assert relay()["handed_again"] == 1
    assert "different SECRET_KEY" in caplog.text
    requeued = OrmQ.objects.get()
    task = SignedPackage.loads(requeued.payload)  # readable under the new key
    assert (task["func"], task["args"]) == ("lms.queue.run", (row.pk,))

    # The worker runs it: one email, with a link that works under the new key.
    Conf.SYNC = True
    from django_q.tasks import _sync

    _sync(requeued.payload)
    row.refresh_from_db()
    assert row.status == OutboxTask.DONE
    assert len(mailoutbox) == 1
    invitation.refresh_from_db()
    assert invitation.sent_nonce == invitation.nonce


# --- Schedules, start-up and the command ---------------------------------------------------------


def test_the_relay_runs_every_minute_and_the_report_nightly(db):
    relay_schedule = Schedule.objects.get(func="lms.tasks.relay_background_tasks")
    assert (relay_schedule.schedule_type, relay_schedule.minutes) == (Schedule.MINUTES, 1)
    assert relay_schedule.repeats == -1
    report = Schedule.objects.get(func="lms.tasks.report_background_work")
    assert report.schedule_type == Schedule.DAILY


def test_the_relay_runs_when_a_worker_of_the_cluster_starts(
    personas, mailoutbox, django_capture_on_commit_callbacks, redis_broker_down
):
    from django_q.signals import post_spawn

    with django_capture_on_commit_callbacks(execute=True):
        _invite(personas)
    row = OutboxTask.objects.get()
    _age(row, seconds=60, handed=True)
    Conf.ORM, Conf.SYNC = "default", True
    # Inline (tests), a spawn signal is not a cluster starting: nothing is handed over.
    post_spawn.send(sender="django_q", proc_name="Process-1")
    assert OutboxTask.objects.get().status == OutboxTask.PENDING
    Conf.SYNC = False
    post_spawn.send(sender="django_q", proc_name="Process-1")
    row.refresh_from_db()
    assert row.status == OutboxTask.HANDED
    assert OrmQ.objects.count() == 1  # in the broker, for the cluster's workers


def test_the_relay_command_hands_over_and_reports(
    personas, mailoutbox, django_capture_on_commit_callbacks, redis_broker_down, capsys
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(personas)
    _age(OutboxTask.objects.get(), seconds=60, handed=True)
    call_command("relay_tasks", "--report")
    assert "1 waiting" in capsys.readouterr().out
    Conf.ORM, Conf.SYNC = "default", True
    call_command("relay_tasks")
    out = capsys.readouterr().out
    assert "Handed over 1 waiting" in out
    assert "0 waiting" in out
    assert len(mailoutbox) == 1
