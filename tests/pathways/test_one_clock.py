"""One pause clock (issue 11): every dated thing moves by the time a person was paused, and
every page that shows a date shows the clock's date, the same everywhere.

The table walks each dated thing for Pat Peer with no pause, a finished five-month pause and a
pause still running, renders every page that shows it through the test client, and reads the
dates out of the pages' <time datetime="…"> elements.

Pat's world, counted back from today:
- Safe Practice (valid 12 months) completed 350 days ago: the refresher (and the certificate's
  validity) falls due in about 15 days on the un-paused clock.
- An action agreed in a supervision session 260 days ago, due 90 days ago.
- Confirmed supervision of an hour 260 days ago and an hour 40 days ago; the next stage asks
  for 3 hours in the last 6 months and 8 months in the current stage (reached 300 days ago).
- The five-month pause ran from 243 to 91 days ago (152 days); the running one began 30 days
  ago.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from courses.models import Certificate, CourseCompletion, Enrolment
from lms.clock import clock_for
from lms.dates import add_months
from lms.models import Membership, Role
from mentoring.models import ActionItem, Mentorship, SessionFormat, SupervisionSession
from pathways.models import PathwayMembership, Requirement, WellbeingPause
from pathways.readiness_keeping import readiness_fill
from pathways.services import pathway_join
from tests.courses.builders import make_course
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

NONE, FINISHED, RUNNING = "no pause", "finished five-month pause", "running pause"
PAUSED_DAYS = {NONE: 0, FINISHED: 152, RUNNING: 30}


def _ago(days: int):
    return timezone.now() - timedelta(days=days)


def _today() -> date:
    return timezone.localdate()


@pytest.fixture(params=[NONE, FINISHED, RUNNING])
def pause(request, personas):
    if request.param == FINISHED:
        WellbeingPause.objects.create(user=personas.peer, started_at=_ago(243), ended_at=_ago(91))
    elif request.param == RUNNING:
        WellbeingPause.objects.create(user=personas.peer, started_at=_ago(30))
    return request.param


@pytest.fixture
def world(personas):
    peer, mentor, home = personas.peer, personas.mentor, personas.home
    # Records count in the organisation's context from when the person joined it.
    Membership.objects.filter(user__in=[peer, mentor]).update(
        active_from=_today() - timedelta(days=800)
    )
    course = make_course("Safe Practice", modules=1, validity_months=12)
    completed = _ago(350)
    enrolment = Enrolment.objects.create(
        user=peer, course=course, enrolled_at=completed, completed_at=completed
    )
    completion = CourseCompletion.objects.create(
        enrolment=enrolment, completed_at=completed, refresher_due_at=add_months(completed, 12)
    )
    certificate = Certificate.objects.create(
        completion=completion,
        user=peer,
        course=course,
        code="CLOCKTEST1234567890abcdef",
        issued_at=completed,
        expires_at=completion.refresher_due_at,
    )
    pathway = make_pathway(framework=make_framework(), organisation=home)
    volunteer, trainee, _ = stages(pathway)
    Requirement.objects.create(
        stage=volunteer, kind="course_completed", course=course, sort_order=0
    )
    Requirement.objects.create(
        stage=trainee, kind="supervision_hours", amount=3, within_months=6, sort_order=0
    )
    Requirement.objects.create(stage=trainee, kind="time_in_stage", amount=8, sort_order=1)
    pathway_join(user=peer, pathway=pathway)
    PathwayMembership.objects.filter(user=peer).update(stage_reached_at=_ago(300))
    mentorship = Mentorship.objects.create(
        organisation=home,
        trainee=peer,
        mentor=mentor,
        status=Mentorship.ACTIVE,
        created_at=_ago(365),
        started_at=_ago(365),
        trainee_confirmed_at=_ago(365),
        mentor_confirmed_at=_ago(365),
    )
    old, recent = (
        SupervisionSession.objects.create(
            mentorship=mentorship,
            held_on=_today() - timedelta(days=days),
            duration_minutes=60,
            format=SessionFormat.ONLINE,
            status=SupervisionSession.CONFIRMED,
            confirmed_at=_ago(days),
        )
        for days in (260, 40)
    )
    action = ActionItem.objects.create(
        session=old,
        description="Read the lone working policy",
        owner=peer,
        due_on=old.held_on + timedelta(days=170),
    )
    return {
        "course": course,
        "completion": completion,
        "certificate": certificate,
        "mentorship": mentorship,
        "session": old,
        "recent": recent,
        "action": action,
    }


# --- Reading dates out of pages ----------------------------------------------------------------


def _soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html.parser")


def _days(response, selector: str) -> list[date]:
    """Every <time datetime> inside the elements `selector` picks."""
    return [
        date.fromisoformat(time["datetime"])
        for element in _soup(response).select(selector)
        for time in element.find_all("time")
    ]


def _text(response) -> str:
    return " ".join(_soup(response).get_text(" ").split())


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def _export_refresher(client, personas) -> date:
    response = _get(
        client,
        personas.coordinator,
        reverse("courses:learner-records", args=[personas.home.slug]),
        export="csv",
    )
    rows = _csv_rows(response)
    headings = rows[0]
    [pat] = [row for row in rows[1:] if row[0] == "Pat Peer"]
    return date.fromisoformat(pat[headings.index("Refresher due")])


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _expected(stored, pause: str):
    """The stored date moved later by the paused time between the start and it."""
    return timezone.localdate(stored + timedelta(days=PAUSED_DAYS[pause]))


# --- (a) the date moves by the paused time; (b) every page shows the same date ----------------


def test_the_refresher_date_moves_by_the_pause_and_every_page_agrees(
    client, personas, world, pause
):
    stored = world["completion"].refresher_due_at
    expected = _expected(stored, pause)
    peer, coordinator, slug = personas.peer, personas.coordinator, personas.home.slug
    certificate = world["certificate"]

    shown = {
        "learner records": _days(
            _get(client, coordinator, reverse("courses:learner-records", args=[slug])),
            "[data-due=refresher]",
        ),
        "learner records export": [_export_refresher(client, personas)],
        "person's pathway (coordinator)": _days(
            _get(client, coordinator, reverse("pathways:person", args=[slug, peer.pk])),
            "[data-due=renewal]",
        ),
        "my pathway (peer)": _days(
            _get(client, peer, reverse("pathways:mine")), "[data-due=renewal]"
        ),
        "certificates (peer)": _days(
            _get(client, peer, reverse("courses:certificates")), "[data-due=certificate]"
        ),
        "course page (peer)": _days(
            _get(client, peer, world["course"].url), "[data-due=refresher]"
        ),
    }

    assert shown == dict.fromkeys(shown, [expected])
    # The stored dates stay the un-paused baseline.
    certificate.refresh_from_db()
    assert certificate.expires_at == stored
    assert CourseCompletion.objects.get().refresher_due_at == stored


def test_the_public_certificate_check_says_valid_today_with_no_date_a_pause_could_be_read_from(
    client, personas, world, pause
):
    certificate = world["certificate"]

    page = client.get(reverse("courses:certificate-verify", args=[certificate.code]))

    assert page.status_code == 200
    assert "Valid today" in _text(page)
    assert "until" not in _text(page)
    assert _days(page, "dd") == []


def test_the_refresher_is_listed_where_its_clock_date_falls(client, personas, world, pause):
    """Due in about 15 days without a pause (on the coordinator's 30-day list and the 90-day
    readiness list); about 45 days with the running pause (90-day list only); about 167 days
    after the five-month pause (on neither)."""
    readiness_fill()  # made with factories, not through the services that queue a refresh
    expected = _expected(world["completion"].refresher_due_at, pause)
    coordinator, slug = personas.coordinator, personas.home.slug

    dashboard = _get(client, coordinator, "/")
    readiness = _get(client, coordinator, reverse("pathways:readiness", args=[slug]))
    due_records = _get(
        client,
        coordinator,
        reverse("courses:learner-records", args=[slug]),
        status="refresher_due",
    )

    in_30_days = [expected] if pause == NONE else []
    in_90_days = [expected] if pause != FINISHED else []
    assert _days(dashboard, "[data-list=refreshers-due]") == in_30_days
    assert _days(dashboard, "[data-list=refreshers-overdue]") == []
    assert _days(readiness, "[data-due=renewal]") == in_90_days
    assert _days(due_records, "[data-due=refresher]") == in_30_days


def test_an_action_due_date_moves_by_the_pause_since_it_was_agreed_and_every_page_agrees(
    client, personas, world, pause
):
    """Agreed 260 days ago, due 90 days ago: the five-month pause lay between, so it moves 152
    days (to the future); the running pause began after it was due, so it does not move."""
    stored = world["action"].due_on
    expected = stored + timedelta(days=152) if pause == FINISHED else stored
    peer, mentor = personas.peer, personas.mentor
    mentorship_url = reverse("mentoring:mentorship", args=[world["mentorship"].pk])

    shown = {
        "dashboard (peer)": _days(_get(client, peer, "/"), "[data-due=action]"),
        "mentorship (peer)": _days(_get(client, peer, mentorship_url), "[data-due=action]"),
        "mentorship (mentor)": _days(_get(client, mentor, mentorship_url), "[data-due=action]"),
        "session (peer)": _days(
            _get(client, peer, reverse("mentoring:session", args=[world["session"].pk])),
            "[data-due=action]",
        ),
    }

    assert shown == dict.fromkeys(shown, [expected])
    world["action"].refresh_from_db()
    assert world["action"].due_on == stored
    # Past or not, Pat reads kind words about her own date, never "overdue".
    panel = _text(_get(client, peer, "/"))
    assert "overdue" not in panel.lower()
    if expected < _today():
        assert "pick it up when you are ready" in panel


def test_paused_months_do_not_eat_hours_in_the_window_nor_count_as_time_in_stage(
    client, personas, world, pause
):
    """3 hours in the last 6 months: the window reaches back by the time paused inside it, so
    after the five-month pause the hour from 260 days ago still counts. 8 months in stage,
    reached 300 days ago: paused time does not count."""
    page = _text(_get(client, personas.peer, reverse("pathways:mine")))

    hours = "2 of 3 so far" if pause == FINISHED else "1 of 3 so far"
    assert hours in page
    if pause == FINISHED:
        assert "Keep going — 4.9 of 8.0 months so far" in page
    else:
        assert "months so far" not in page  # met


def test_supervision_falls_due_a_period_after_the_last_session_on_the_mentees_clock(
    client, personas, world, pause
):
    """Monthly supervision, last confirmed 40 days ago: due 9 days ago. The finished pause was
    before that session, so it moves nothing. The running pause (30 days) stretches her period
    back over that session, so she counts as supervised, and pushes the date 30 days on."""
    response = _get(client, personas.coordinator, reverse("mentoring:coverage", args=["home-org"]))
    due = world["recent"].held_on + timedelta(days=31)
    text = _text(response)

    if pause == RUNNING:
        assert _days(response, "td[data-due=supervision]") == [due + timedelta(days=30)]
        assert _days(response, "li [data-due=supervision]") == []
        assert "No supervision in this period (0)" in text
    else:
        assert _days(response, "td[data-due=supervision]") == [due]
        assert _days(response, "li [data-due=supervision]") == [due]
        # Marked for staff, in the gentle words this page keeps to (it never says "overdue").
        assert f"Supervision due since {due.day} " in text


def test_the_one_clock_loads_everyones_pauses_in_one_query(personas, django_assert_num_queries):
    people = [UserFactory() for _ in range(5)]
    for person in people:
        WellbeingPause.objects.create(user=person, started_at=_ago(20), ended_at=_ago(10))

    with django_assert_num_queries(1):
        clock = clock_for([person.pk for person in people])

    assert {uid: len(periods) for uid, periods in clock.pauses.items()} == dict.fromkeys(
        [person.pk for person in people], 1
    )


# --- Due and overdue told apart: past, soon and far -------------------------------------------


@pytest.fixture
def three_refreshers(personas):
    """Three peers at Home Org whose Safe Practice refresher is past, soon and far."""
    course = make_course("Safe Practice", modules=1, validity_months=12)
    people = {}
    for name, days in (("Past Peer", -40), ("Soon Peer", 10), ("Far Peer", 200)):
        person = UserFactory(display_name=name)
        MembershipFactory(
            user=person,
            organisation=personas.home,
            role=Role.PEER,
            active_from=_today() - timedelta(days=800),
        )
        enrolment = Enrolment.objects.create(
            user=person, course=course, completed_at=_ago(400), enrolled_at=_ago(400)
        )
        completion = CourseCompletion.objects.create(
            enrolment=enrolment,
            completed_at=_ago(400),
            refresher_due_at=timezone.now() + timedelta(days=days),
        )
        Certificate.objects.create(
            completion=completion,
            user=person,
            course=course,
            code=f"CODE{name.split()[0].upper()}0123456789",
            issued_at=_ago(400),
            expires_at=completion.refresher_due_at,
        )
        people[name] = (person, timezone.localdate(completion.refresher_due_at))
    return course, people


def test_the_coordinator_panel_lists_overdue_first_and_never_a_past_date_as_due(
    client, personas, three_refreshers
):
    _, people = three_refreshers
    response = _get(client, personas.coordinator, "/")
    soup = _soup(response)

    overdue = soup.select_one("[data-list=refreshers-overdue]")
    due = soup.select_one("[data-list=refreshers-due]")
    text = " ".join(soup.get_text(" ").split())
    assert text.index("1 refresher overdue") < text.index("1 refresher due in the next 30 days")
    assert "Past Peer" in overdue.get_text() and "Overdue since" in overdue.get_text()
    assert "Soon Peer" in due.get_text() and "Past Peer" not in due.get_text()
    assert "Far Peer" not in text
    assert all(day >= _today() for day in _days(response, "[data-list=refreshers-due]"))


def test_learner_records_mark_overdue_refreshers_for_staff(client, personas, three_refreshers):
    _, people = three_refreshers
    soup = _soup(
        _get(
            client,
            personas.coordinator,
            reverse("courses:learner-records", args=[personas.home.slug]),
        )
    )

    cells = {
        row.find("th").get_text(strip=True): row.select_one("[data-due=refresher]")
        for row in soup.select("tbody tr")
    }
    past = people["Past Peer"][1]
    assert " ".join(cells["Past Peer"].get_text(" ").split()) == (
        f"Overdue since {past.day} {past:%b %Y}"
    )
    for name in ("Soon Peer", "Far Peer"):
        assert "Overdue" not in cells[name].get_text()
        assert _days_of(cells[name]) == [people[name][1]]


def _days_of(element) -> list[date]:
    return [date.fromisoformat(time["datetime"]) for time in element.find_all("time")]


def test_the_export_marks_an_overdue_refresher_in_the_status(client, personas, three_refreshers):
    response = _get(
        client,
        personas.coordinator,
        reverse("courses:learner-records", args=[personas.home.slug]),
        export="csv",
    )
    rows = _csv_rows(response)
    status = {row[0]: row[4] for row in rows[1:]}

    past = three_refreshers[1]["Past Peer"][1]
    assert status["Past Peer"] == f"Completed, refresher overdue since {past.isoformat()}"
    assert status["Soon Peer"] == status["Far Peer"] == "Completed"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Past Peer", "Your refresher is ready when you are."),
        ("Soon Peer", "Your refresher is due by"),
        ("Far Peer", "A refresher keeps this course up to date: it is due by"),
    ],
)
def test_peers_read_kind_words_about_their_own_refresher(
    client, personas, three_refreshers, name, words
):
    course, people = three_refreshers
    person = people[name][0]

    course_page = _text(_get(client, person, course.url))
    certificates = _text(_get(client, person, reverse("courses:certificates")))

    assert words in course_page
    for page in (course_page, certificates):
        assert "overdue" not in page.lower()
    if name == "Past Peer":
        assert "Your refresher is ready when you are" in certificates


def test_readiness_lists_lapsed_renewals_first_marked_overdue(client, personas, three_refreshers):
    course, people = three_refreshers
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    volunteer = stages(pathway)[0]
    Requirement.objects.create(
        stage=volunteer, kind="course_completed", course=course, sort_order=0
    )
    for person, _ in people.values():
        pathway_join(user=person, pathway=pathway)
    readiness_fill()  # the joins queue a refresh that runs on commit; a test never commits

    response = _get(
        client, personas.coordinator, reverse("pathways:readiness", args=[personas.home.slug])
    )
    text = _text(response)

    past, soon = people["Past Peer"][1], people["Soon Peer"][1]
    assert text.index("Renewals overdue (1)") < text.index("Expiring in the next 90 days")
    overdue = _soup(response).find(id="overdue-heading").find_parent("section")
    assert "Past Peer" in overdue.get_text() and "Overdue since" in overdue.get_text()
    assert _days_of(overdue) == [past]
    expiring = _soup(response).find(id="expiring-heading").find_parent("section")
    assert _days_of(expiring) == [soon]
    # The peer herself reads kind words on her pathway, never "overdue".
    mine = _text(_get(client, people["Past Peer"][0], reverse("pathways:mine")))
    assert "Ready to renew when you are" in mine or "ready to renew when you are" in mine
    assert "overdue" not in mine.lower()
