"""Redis is optional in fact: with REDIS_URL set and Redis down, pages still serve, forms still
write exactly once, and the tasks they ask for wait in the outbox (issue 11)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_q.conf import Conf

from courses.services import enrolment_create
from lms.models import AuditEvent, Invitation, OutboxTask
from lms.queue import relay
from tests.courses.builders import make_course
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens here


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The settings REDIS_URL and TASK_BROKER=redis make, with Redis unreachable."""
    settings.CACHES = {
        "default": {
            "BACKEND": "lms.cache.FailOpenRedisCache",
            "LOCATION": CLOSED_PORT,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", CLOSED_PORT)


def test_redis_url_gives_a_cache_that_fails_open():
    """What the settings make of REDIS_URL, in a fresh interpreter, with Redis down."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(REDIS_URL=CLOSED_PORT, DJANGO_SETTINGS_MODULE="lms.settings")
    script = (
        "import django, json; django.setup()\n"
        "from django.conf import settings; from django.core.cache import cache\n"
        "cache.set('k', 1); print(json.dumps([settings.CACHES['default']['BACKEND'],"
        " cache.get('k', 'missed'), cache.add('k', 2), cache.get_or_set('g', 3)]))\n"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", script],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "lms.cache.FailOpenRedisCache",
        "missed",
        False,
        3,
    ]
    assert "cannot be reached" in result.stderr  # a warning in the log, once


def test_with_redis_down_people_sign_in_read_and_submit_and_each_write_happens_once(
    client, personas, redis_down, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    assert cache.get("anything", "missed") == "missed"  # the cache really is down
    course = make_course("Safe Practice", modules=1)
    enrolment_create(user=personas.coordinator, course=course)
    module = course.get_children().live().first()

    signed_in = client.post(
        reverse("lms:login"),
        {"username": personas.coordinator.email, "password": TEST_PASSWORD},
    )
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200  # the dashboard
    assert client.get(course.url).status_code == 200
    assert client.get(module.url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(
            reverse("lms:invite", args=[personas.home.slug]),
            {"email": "robin@example.org", "role": "peer"},
        )
    assert invited.status_code == 302
    assert client.get(invited.url).status_code == 200

    assert Invitation.objects.filter(email="robin@example.org").count() == 1
    assert AuditEvent.objects.filter(action="invitation.created").count() == 1
    row = OutboxTask.objects.get(task="lms.tasks.send_invitation_email")
    assert row.status == OutboxTask.PENDING  # the broker (Redis) is down too: it waits
    assert mailoutbox == []
    assert "cannot be reached" in caplog.text

    # Redis is back: the relay hands it over and the email goes, once.
    Conf.ORM, Conf.SYNC = "default", True
    OutboxTask.objects.filter(pk=row.pk).update(
        created_at=row.created_at.replace(year=2000), handed_at=row.created_at.replace(year=2000)
    )
    relay()
    relay()
    assert len(mailoutbox) == 1
