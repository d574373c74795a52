"""Records past their retention period are removed by the daily task; the rest are kept
(docs/privacy.md, "How long records are kept")."""

import logging
import os
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from lms.dates import add_months
from lms.models import DataExport, Invitation
from lms.retention import retention_apply
from lms.tasks import apply_retention
from mentoring.models import (
    Concern,
    ConcernResponse,
    MentoringSettings,
    MentorRequest,
)
from pathways.models import WellbeingPause
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SECRET = "Marker-retention-secret words about Pat's health"


def _invitation(personas, *, expired_days_ago, accepted=False, email="someone@example.org"):
    return InvitationFactory(
        organisation=personas.home,
        email=email,
        expires_at=NOW - timedelta(days=expired_days_ago),
        accepted_at=NOW if accepted else None,
    )


def _closed_concern(organisation, about, *, closed_months_ago, description=SECRET):
    closed_at = add_months(NOW, -closed_months_ago)
    concern = Concern.objects.create(
        organisation=organisation,
        about=about,
        kind=Concern.WELLBEING,
        description=description,
        status=Concern.CLOSED,
        raised_at=closed_at - timedelta(days=10),
    )
    ConcernResponse.objects.create(
        concern=concern, action_taken=SECRET, responded_at=closed_at - timedelta(days=5)
    )
    ConcernResponse.objects.create(
        concern=concern, action_taken=SECRET, closes=True, responded_at=closed_at
    )
    return concern


def _request(personas, *, status, answered_days_ago, message=SECRET):
    answered = NOW - timedelta(days=answered_days_ago)
    return MentorRequest.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        message=message,
        answer_note=message,
        status=status,
        respond_by=answered,
        answered_at=answered,
    )


def _pause(user, *, ended_days_ago):
    ended = None if ended_days_ago is None else NOW - timedelta(days=ended_days_ago)
    return WellbeingPause.objects.create(
        user=user,
        started_at=NOW - timedelta(days=(ended_days_ago or 0) + 30),
        ended_at=ended,
        private_note=SECRET,
    )


def _exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


# --- Each kind of record ------------------------------------------------------------------------


def test_invitations_expired_past_the_period_are_removed_and_others_kept(personas, settings):
    settings.INVITATION_RETENTION_DAYS = 90
    old = _invitation(personas, expired_days_ago=91, email="old@example.org")
    recent = _invitation(personas, expired_days_ago=89, email="recent@example.org")
    open_one = _invitation(personas, expired_days_ago=-3, email="open@example.org")
    accepted = _invitation(personas, expired_days_ago=400, accepted=True, email="in@example.org")

    removed = retention_apply(now=NOW)

    assert removed["expired invitations"] == 1
    assert not _exists(old)
    assert all(_exists(kept) for kept in (recent, open_one, accepted))


def test_closed_concerns_past_the_period_go_with_their_responses(personas):
    old = _closed_concern(personas.home, personas.peer, closed_months_ago=25)
    recent = _closed_concern(personas.home, personas.peer, closed_months_ago=23)
    still_open = _closed_concern(personas.home, personas.peer, closed_months_ago=60)
    Concern.objects.filter(pk=still_open.pk).update(status=Concern.OPEN)

    removed = retention_apply(now=NOW)

    assert removed["closed concerns"] == 1
    assert not _exists(old)
    assert not ConcernResponse.objects.filter(concern_id=old.pk).exists()
    assert _exists(recent) and _exists(still_open)
    assert ConcernResponse.objects.filter(concern=recent).count() == 2


def test_each_organisation_keeps_concerns_for_the_period_it_set(personas):
    MentoringSettings.objects.create(organisation=personas.home, concern_retention_months=6)
    MentoringSettings.objects.create(organisation=personas.other, concern_retention_months=36)
    home_old = _closed_concern(personas.home, personas.peer, closed_months_ago=7)
    home_recent = _closed_concern(personas.home, personas.peer, closed_months_ago=5)
    other_30 = _closed_concern(personas.other, personas.other_peer, closed_months_ago=30)
    other_37 = _closed_concern(personas.other, personas.other_peer, closed_months_ago=37)

    removed = retention_apply(now=NOW)

    assert removed["closed concerns"] == 2
    assert not _exists(home_old) and not _exists(other_37)
    # Home's shorter period does not reach Other Org's concerns, nor the default of 24 months.
    assert _exists(home_recent) and _exists(other_30)


def test_a_concern_closed_without_a_response_counts_from_when_it_was_raised(personas):
    concern = Concern.objects.create(
        organisation=personas.home,
        about=personas.peer,
        kind=Concern.SAFEGUARDING,
        description=SECRET,
        status=Concern.CLOSED,
        raised_at=add_months(NOW, -25),
    )

    retention_apply(now=NOW)

    assert not _exists(concern)


def test_requests_that_never_became_a_mentorship_go_after_a_year(personas, settings):
    settings.MENTOR_REQUEST_RETENTION_DAYS = 365
    declined = _request(personas, status=MentorRequest.DECLINED, answered_days_ago=366)
    lapsed = _request(personas, status=MentorRequest.EXPIRED, answered_days_ago=400)
    recent = _request(personas, status=MentorRequest.DECLINED, answered_days_ago=300)
    accepted = _request(personas, status=MentorRequest.ACCEPTED, answered_days_ago=900)

    removed = retention_apply(now=NOW)

    assert removed["old mentor requests"] == 2
    assert not _exists(declined) and not _exists(lapsed)
    assert _exists(recent) and _exists(accepted)


def test_an_ended_pause_loses_its_note_but_keeps_the_dates_that_stop_the_clocks(personas, settings):
    settings.PAUSE_NOTE_RETENTION_DAYS = 180
    old = _pause(personas.peer, ended_days_ago=181)
    recent = _pause(personas.mentor, ended_days_ago=179)
    running = _pause(personas.coordinator, ended_days_ago=None)

    removed = retention_apply(now=NOW)

    assert removed["wellbeing pause notes cleared"] == 1
    old.refresh_from_db()
    assert old.private_note == ""
    assert (old.started_at, old.ended_at) == (
        NOW - timedelta(days=211),
        NOW - timedelta(days=181),
    )
    recent.refresh_from_db()
    running.refresh_from_db()
    assert recent.private_note == SECRET and running.private_note == SECRET


def _task(name, *, stopped_days_ago, success=True):
    stopped = NOW - timedelta(days=stopped_days_ago)
    return Task.objects.create(
        id=name,
        name=name,
        func="lms.tasks.send_invitation_email",
        args=(1,),
        started=stopped,
        stopped=stopped,
        success=success,
    )


def test_old_task_results_and_expired_sessions_are_removed(personas, settings, client):
    settings.TASK_RESULT_RETENTION_DAYS = 30
    old_success = _task("old-success", stopped_days_ago=31)
    old_failure = _task("old-failure", stopped_days_ago=45, success=False)
    recent = _task("recent", stopped_days_ago=2)
    client.force_login(personas.peer)  # a live session
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=NOW - timedelta(seconds=1)
    )

    removed = retention_apply(now=NOW)

    assert removed["background task results"] == 2
    assert not _exists(old_success) and not _exists(old_failure) and _exists(recent)
    assert removed["expired sign-in sessions"] == 1
    assert Session.objects.count() == 1
    assert client.get(reverse("lms:account")).status_code == 200


def test_expired_data_export_zips_lose_their_file_and_keep_their_row(personas, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(tmp_path)}},
    }
    expired, valid = (
        DataExport.objects.create(
            user=personas.peer,
            status=DataExport.READY,
            expires_at=NOW + timedelta(days=days),
        )
        for days in (-1, 3)
    )
    for export in (expired, valid):
        export.file.save(f"export-{export.pk}.zip", ContentFile(b"everything about Pat"))
    expired_path = expired.file.path

    removed = retention_apply(now=NOW)

    assert removed["expired data export files"] == 1
    expired.refresh_from_db()
    valid.refresh_from_db()
    assert not expired.file and valid.file
    assert not os.path.exists(expired_path)
    assert DataExport.objects.count() == 2


def test_courses_remove_nothing_automatically(personas):
    # Learning records are the person's record until they are erased: no rule for them.
    assert not any("course" in kind or "certificate" in kind for kind in retention_apply(now=NOW))


# --- Logging, running twice, the schedule ------------------------------------------------------


def _everything_old(personas):
    _invitation(personas, expired_days_ago=200, email="pat.secret@example.org")
    _closed_concern(personas.home, personas.peer, closed_months_ago=30)
    _request(personas, status=MentorRequest.DECLINED, answered_days_ago=500)
    _pause(personas.peer, ended_days_ago=400)


def test_the_counts_are_logged_without_names_or_words(personas, caplog):
    _everything_old(personas)

    with caplog.at_level(logging.INFO, logger="lms.retention"):
        apply_retention()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "retention: removed 1 expired invitations" in logged
    assert "1 closed concerns" in logged
    assert "1 old mentor requests" in logged
    assert "1 wellbeing pause notes cleared" in logged
    for personal in ("Marker-retention", "pat.secret", "Pat Peer", "peer@example.org"):
        assert personal not in logged


def test_running_twice_removes_nothing_more(personas):
    _everything_old(personas)
    _closed_concern(personas.home, personas.peer, closed_months_ago=1)

    first = retention_apply(now=NOW)
    second = retention_apply(now=NOW)

    assert sum(first.values()) >= 4
    assert set(second.values()) == {0}
    assert Concern.objects.count() == 1
    assert Invitation.objects.count() == 0


def test_a_daily_schedule_runs_the_task():
    schedule = Schedule.objects.get(func="lms.tasks.apply_retention")
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1


# --- The organisation's own period ------------------------------------------------------------


def _settings_post(**changes):
    values = {
        "mentor_min_stage": "",
        "response_days": "7",
        "supervision_interval_days": "31",
        **{f"weight_{n}": "5" for n in ("language", "specialism", "format", "area", "capacity")},
        "concern_retention_months": "12",
    }
    return {**values, **changes}


def test_an_org_admin_sets_how_long_closed_concerns_are_kept(client, personas):
    client.force_login(personas.org_admin)
    url = reverse("mentoring:settings", args=[personas.home.slug])

    assert "Months to keep a closed concern" in client.get(url).content.decode()
    response = client.post(url, _settings_post())

    assert response.status_code == 302
    assert MentoringSettings.objects.get(organisation=personas.home).concern_retention_months == 12


def test_a_period_out_of_range_gets_a_clear_message_and_keeps_what_was_typed(client, personas):
    client.force_login(personas.org_admin)
    url = reverse("mentoring:settings", args=[personas.home.slug])

    response = client.post(url, _settings_post(concern_retention_months="500", response_days="9"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a number from 1 to 120." in page
    assert 'value="500"' in page and 'value="9"' in page
    assert not MentoringSettings.objects.filter(organisation=personas.home).exists()


def test_old_outbox_rows_and_done_keys_go_with_the_task_results_and_claims_stay(personas, settings):
    from lms.models import OutboxTask, SideEffect

    settings.TASK_RESULT_RETENTION_DAYS = 30
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=2)
    OutboxTask.objects.create(task="lms.tasks.apply_retention", status="done", done_at=old)
    kept_row = OutboxTask.objects.create(
        task="lms.tasks.apply_retention", status="done", done_at=recent
    )
    waiting = OutboxTask.objects.create(task="lms.tasks.apply_retention", created_at=old)
    SideEffect.objects.create(key="email:old", status="done", claimed_at=old, done_at=old)
    stale = SideEffect.objects.create(key="email:unknown", claimed_at=old)

    removed = retention_apply(now=NOW)

    assert removed["background task results"] == 2
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {kept_row.pk, waiting.pk}
    assert list(SideEffect.objects.values_list("pk", flat=True)) == [stale.pk]
