"""A mentorship's next session as an iCalendar file (RFC 5545), written by hand: one event is
a few lines, and every calendar program reads them."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from lms.emails import absolute_url
from lms.models import User
from mentoring.models import Mentorship

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, each continuation starting with
    a space, never inside a UTF-8 character."""
    pieces, current, size = [], "", 0
    for char in line:
        octets = len(char.encode())
        # A continuation line's leading space counts towards its 75 octets.
        limit = MAX_OCTETS if not pieces else MAX_OCTETS - 1
        if size + octets > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += octets
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def next_session_ics(*, mentorship: Mentorship, viewer: User, now: datetime | None = None) -> str:
    """The mentorship's next agreed session as a one-event calendar, from `viewer`'s side."""
    starts = mentorship.next_session_at
    # Sessions are planned at most a year ahead; the end is still kept within the calendar
    # for a row saved before that rule, rather than overflowing.
    length = timedelta(minutes=mentorship.next_session_minutes)
    ends = starts + min(length, datetime.max.replace(tzinfo=UTC) - starts)
    other = mentorship.mentor if viewer.pk == mentorship.trainee_id else mentorship.trainee
    host = urlsplit(settings.SITE_URL).hostname or "peer-pathways"
    page = absolute_url(reverse("mentoring:mentorship", args=[mentorship.pk]))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Peer Pathways//Mentoring//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        # The same session keeps the same UID, so downloading it again updates the event.
        f"UID:mentorship-{mentorship.pk}-{_utc(starts)}@{host}",
        f"DTSTAMP:{_utc(now or timezone.now())}",
        f"DTSTART:{_utc(starts)}",
        f"DTEND:{_utc(ends)}",
        f"SUMMARY:{escape_text(f'Supervision with {other}')}",
    ]
    if mentorship.next_session_place:
        lines.append(f"LOCATION:{escape_text(mentorship.next_session_place)}")
    lines += [
        f"DESCRIPTION:{escape_text(f'Your mentorship page: {page}')}",
        f"URL:{page}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)
