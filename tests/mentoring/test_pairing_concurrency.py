"""Races settled by the database: a mentor's capacity holds when requests are accepted at the
same moment, and two expiry runs at once lapse each request once.

Run on PostgreSQL (`DATABASE_URL=postgres://...`): SQLite lets one writer in at a time, so two
threads cannot race there."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from lms.models import User
from mentoring.models import MentorRequest, Mentorship
from mentoring.services.pairing import mentor_request_answer, mentor_requests_expire
from tests.mentoring.builders import ask, make_mentor, make_peer

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite lets only one writer in at a time (IMMEDIATE transactions), so threads "
        "cannot race there; run with DATABASE_URL set to PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _at_once(jobs):
    """Run each job in its own thread (with its own connection), all starting together.
    Returns what each returned, or the message of the ValidationError it raised."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def run(job):
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except ValidationError as error:
            results.append(error.messages[0])
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[job]) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


def test_two_acceptances_at_once_take_a_single_free_place_once(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=1)
    requests = [ask(make_peer(personas.home, name), maya) for name in ("Ali Peer", "Bo Peer")]

    def accept(pk):
        def job():
            mentor_request = MentorRequest.objects.get(pk=pk)
            mentor = User.objects.get(pk=maya.user_id)
            mentor_request_answer(mentor_request=mentor_request, by=mentor, accept=True)
            return "accepted"

        return job

    results = _at_once([accept(mentor_request.pk) for mentor_request in requests])

    assert Mentorship.objects.filter(mentor=maya.user).count() == 1
    assert sorted(results) == [
        "You are at your capacity of 1 mentee, so you cannot accept this now. You can decline "
        "kindly, or end or change a mentorship first.",
        "accepted",
    ]
    statuses = sorted(MentorRequest.objects.values_list("status", flat=True))
    assert statuses == [MentorRequest.ACCEPTED, MentorRequest.PENDING]


def test_five_acceptances_at_once_never_pass_a_capacity_of_two(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    requests = [ask(make_peer(personas.home, f"Peer {n}"), maya) for n in range(5)]

    def accept(pk):
        def job():
            mentor_request = MentorRequest.objects.get(pk=pk)
            mentor = User.objects.get(pk=maya.user_id)
            mentor_request_answer(mentor_request=mentor_request, by=mentor, accept=True)
            return "accepted"

        return job

    results = _at_once([accept(mentor_request.pk) for mentor_request in requests])

    assert results.count("accepted") == 2
    assert Mentorship.objects.filter(mentor=maya.user).count() == 2


def test_two_expiry_runs_at_once_lapse_each_request_once_and_email_once(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=5)
    peers = [make_peer(personas.home, f"Peer {n}") for n in range(4)]
    for peer in peers:
        ask(peer, maya)
    mail.outbox = []
    later = timezone.now() + timezone.timedelta(days=30)

    results = _at_once([lambda: mentor_requests_expire(now=later)] * 2)

    assert sorted(results) == [0, 4]
    assert MentorRequest.objects.filter(status=MentorRequest.EXPIRED).count() == 4
    assert MentorRequest.objects.count() == 4
    lapsed = [message for message in mail.outbox if "could not answer in time" in message.body]
    assert sorted(message.to[0] for message in lapsed) == sorted(peer.email for peer in peers)
