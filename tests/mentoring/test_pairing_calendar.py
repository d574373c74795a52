"""The next session as an .ics file: RFC 5545 lines (CRLF, folded at 75 octets, escaped text),
a stable UID, times in UTC, and only for the two people in the mentorship."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from mentoring.calendar import escape_text, fold, next_session_ics
from mentoring.models import Mentorship
from mentoring.services.pairing import (
    mentorship_end,
    next_session_latest_date,
    next_session_set,
)
from tests.mentoring.builders import active, make_mentor, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentorship(personas):
    return active(personas.peer, make_mentor(personas.home, "Maya Mentor", pronouns="she/her"))


def _plan(mentorship, *, place="Room 2, Hope House; by the café", minutes=90, days=3):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return next_session_set(
        mentorship=mentorship,
        by=mentorship.mentor,
        starts_at=starts,
        minutes=minutes,
        place=place,
    )


def _unfold(body: str) -> list[str]:
    """Content lines as a calendar program reads them: split on CRLF, continuations joined."""
    assert body.endswith("\r\n")
    physical = body[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert all(len(line.encode()) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _properties(body: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in _unfold(body))


def test_the_file_is_one_event_with_utc_times_and_the_other_persons_name(
    client, personas, mentorship
):
    mentorship = _plan(mentorship)
    client.force_login(personas.peer)

    response = client.get(reverse("mentoring:calendar", args=[mentorship.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="supervision.ics"'
    body = response.content.decode()
    lines = _unfold(body)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    assert lines.count("BEGIN:VEVENT") == 1
    props = _properties(body)
    starts = mentorship.next_session_at.astimezone(UTC)
    assert props["DTSTART"] == starts.strftime("%Y%m%dT%H%M%SZ")
    assert props["DTEND"] == (starts + timedelta(minutes=90)).strftime("%Y%m%dT%H%M%SZ")
    assert props["DTSTAMP"].endswith("Z")
    assert props["SUMMARY"] == "Supervision with Maya Mentor"
    assert props["LOCATION"] == "Room 2\\, Hope House\\; by the café"
    assert props["UID"].startswith(f"mentorship-{mentorship.pk}-")
    assert "PRODID" in props


def test_the_uid_is_the_same_for_both_people_and_changes_with_the_time(personas, mentorship):
    mentorship = _plan(mentorship)
    for_trainee = _properties(next_session_ics(mentorship=mentorship, viewer=mentorship.trainee))
    for_mentor = _properties(next_session_ics(mentorship=mentorship, viewer=mentorship.mentor))
    again = _properties(next_session_ics(mentorship=mentorship, viewer=mentorship.trainee))
    moved = _properties(
        next_session_ics(mentorship=_plan(mentorship, days=10), viewer=mentorship.trainee)
    )

    assert for_trainee["UID"] == for_mentor["UID"] == again["UID"]
    assert moved["UID"] != for_trainee["UID"]
    assert for_mentor["SUMMARY"] == "Supervision with Pat Peer"


def test_long_lines_fold_within_75_octets_without_splitting_a_character():
    line = "LOCATION:" + "Café naïve résumé – " * 12
    folded = fold(line)

    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join([pieces[0], *[piece[1:] for piece in pieces[1:]]]) == line


def test_text_is_escaped():
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


def test_a_fixed_clock_gives_a_fixed_file(mentorship):
    mentorship.next_session_at = datetime(2030, 5, 6, 9, 30, tzinfo=UTC)
    mentorship.next_session_minutes = 60
    mentorship.next_session_place = ""

    body = next_session_ics(
        mentorship=mentorship,
        viewer=mentorship.trainee,
        now=datetime(2030, 5, 1, 12, 0, tzinfo=UTC),
    )

    props = _properties(body)
    assert props["DTSTAMP"] == "20300501T120000Z"
    assert props["DTSTART"] == "20300506T093000Z"
    assert props["DTEND"] == "20300506T103000Z"
    assert "LOCATION" not in props


def test_no_next_session_or_an_ended_mentorship_is_a_404(client, personas, mentorship):
    client.force_login(personas.peer)
    url = reverse("mentoring:calendar", args=[mentorship.pk])

    assert client.get(url).status_code == 404
    _plan(mentorship)
    assert client.get(url).status_code == 200
    mentorship_end(mentorship=mentorship, by=personas.peer, reason="goals_met")
    assert client.get(url).status_code == 404


def test_the_next_session_form_saves_and_refuses_the_past(client, personas, mentorship):
    client.force_login(personas.peer)
    url = reverse("mentoring:next-session", args=[mentorship.pk])
    tomorrow = timezone.localdate() + timedelta(days=1)

    past = client.post(
        url,
        {
            "date": (tomorrow - timedelta(days=3)).isoformat(),
            "start": "10:00",
            "minutes": 60,
            "place": "Keep me",
        },
    )
    saved = client.post(
        url,
        {"date": tomorrow.isoformat(), "start": "14:30", "minutes": 45, "place": "Online"},
        follow=True,
    )

    assert past.status_code == 200
    assert "The next session must be in the future." in text(past)
    assert 'value="Keep me"' in past.content.decode()
    mentorship = Mentorship.objects.get(pk=mentorship.pk)
    assert timezone.localtime(mentorship.next_session_at).date() == tomorrow
    assert timezone.localtime(mentorship.next_session_at).strftime("%H:%M") == "14:30"
    assert mentorship.next_session_minutes == 45
    page = text(saved)
    assert "The next session is saved." in page
    assert "for 45 minutes, Online." in page
    assert "Add it to your calendar (.ics file)" in page


@pytest.mark.parametrize("minutes", ["0", "481", "lots"])
def test_a_length_outside_one_minute_to_eight_hours_is_refused(
    client, personas, mentorship, minutes
):
    client.force_login(personas.peer)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        reverse("mentoring:next-session", args=[mentorship.pk]),
        {"date": tomorrow.isoformat(), "start": "10:00", "minutes": minutes},
    )

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert Mentorship.objects.get(pk=mentorship.pk).next_session_at is None


# --- How far ahead a session may be planned ---------------------------------------------------


def test_a_session_in_the_far_future_is_refused_with_what_was_typed_kept(
    client, personas, mentorship
):
    client.force_login(personas.peer)
    url = reverse("mentoring:next-session", args=[mentorship.pk])

    response = client.post(
        url, {"date": "9999-12-31", "start": "23:00", "minutes": 480, "place": "Keep me"}
    )

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "The next session must be within a year from today." in text(response)
    assert 'value="Keep me"' in response.content.decode()
    assert Mentorship.objects.get(pk=mentorship.pk).next_session_at is None
    assert client.get(reverse("mentoring:mentorship", args=[mentorship.pk])).status_code == 200


def test_a_year_from_today_is_the_last_day_that_can_be_chosen(client, personas, mentorship):
    client.force_login(personas.peer)
    url = reverse("mentoring:next-session", args=[mentorship.pk])
    last = next_session_latest_date()

    too_far = client.post(
        url, {"date": (last + timedelta(days=1)).isoformat(), "start": "09:00", "minutes": 60}
    )
    saved = client.post(url, {"date": last.isoformat(), "start": "09:00", "minutes": 60})

    assert "The next session must be within a year from today." in text(too_far)
    assert saved.status_code == 302
    planned = Mentorship.objects.get(pk=mentorship.pk).next_session_at
    assert timezone.localtime(planned).date() == last


def test_the_last_day_of_a_leap_day_year_ahead_is_28_february():
    assert next_session_latest_date(today=date(2028, 2, 29)) == date(2029, 2, 28)
    assert next_session_latest_date(today=date(2027, 3, 1)) == date(2028, 3, 1)


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
        timezone.now() + timedelta(days=400),
    ],
    ids=["year 9999", "400 days ahead"],
)
def test_the_service_refuses_a_session_more_than_a_year_ahead(mentorship, starts_at):
    with pytest.raises(ValidationError) as caught:
        next_session_set(
            mentorship=mentorship, by=mentorship.mentor, starts_at=starts_at, minutes=480
        )

    assert caught.value.message_dict == {
        "date": ["The next session must be within a year from today."]
    }
    assert Mentorship.objects.get(pk=mentorship.pk).next_session_at is None


def test_a_far_future_session_saved_before_the_rule_does_not_break_the_pages(
    client, personas, mentorship
):
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    Mentorship.objects.filter(pk=mentorship.pk).update(
        next_session_at=far, next_session_minutes=480
    )
    client.force_login(personas.peer)

    page = client.get(reverse("mentoring:mentorship", args=[mentorship.pk]))
    ics = client.get(reverse("mentoring:calendar", args=[mentorship.pk]))

    assert page.status_code == 200
    assert "31 December 9999" in text(page)
    assert ics.status_code == 200
    props = _properties(ics.content.decode())
    assert props["DTSTART"] == "99991231T230000Z"
    assert props["DTEND"] == "99991231T235959Z"
