"""Queries and worker CPU a request for the lean pages, for docs/performance.md. Not a test (timings
never go in tests): run it by name, on a quiet machine,

    python -m pytest -q -s -p no:cacheprovider tests/courses/measure_lean_pages.py

Each page is requested in-process through Django's test client, warmed with a few requests,
then requested REQUESTS times; the CPU time of this process (`time.process_time`, so time spent
waiting for the database server or for other processes is not counted) is divided by REQUESTS.
The data: a peer enrolled on a course of 12 modules (the first with a knowledge check) beside 30
other learners, and 500 mentors for the trainee's shortlist.
"""

import time

import pytest
from django.urls import reverse

from courses.models import ModulePage
from courses.services import enrolment_create
from lms.models import Role
from mentoring.population import generate_mentors
from mentoring.services.matching import trainee_preferences_save
from tests.courses.builders import make_course, simple_check, text
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import count_queries

REQUESTS = 200
WARM = 5


def _measure(label, client, url):
    for _ in range(WARM):
        assert client.get(url).status_code == 200
    queries = count_queries(lambda: client.get(url))
    started = time.process_time()
    for _ in range(REQUESTS):
        client.get(url)
    cpu_ms = (time.process_time() - started) * 1000 / REQUESTS
    print(f"| {label} | {queries} | {cpu_ms:.1f} |")


@pytest.mark.django_db
def test_measure_lean_pages(client, personas):
    bodies = [[text(), simple_check()]] + [[text()] for _ in range(11)]
    course = make_course("Safe Practice", modules=12, bodies=bodies)
    for _ in range(30):
        person = UserFactory()
        MembershipFactory(user=person, organisation=personas.home, role=Role.PEER)
        enrolment_create(user=person, course=course)
    enrolment_create(user=personas.peer, course=course)
    module = ModulePage.objects.child_of(course).live().order_by("path").first()
    generate_mentors(organisation=personas.home, count=500)
    trainee_preferences_save(
        user=personas.peer,
        specialisms=["personal_budgets", "housing"],
        languages=["urdu", "english"],
        area="Nottingham",
        format="online",
    )
    print("\n| page | queries | CPU ms a request |")
    client.force_login(personas.peer)
    _measure("module page (peer)", client, module.url)
    _measure("course page (peer)", client, course.url)
    _measure("dashboard (peer)", client, "/")
    _measure("mentor shortlist (trainee, 500 mentors)", client, reverse("mentoring:shortlist"))
    client.force_login(personas.coordinator)
    _measure("dashboard (coordinator)", client, "/")
