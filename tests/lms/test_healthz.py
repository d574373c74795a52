"""/healthz/: what a load balancer asks, and the benchmark's trivial page. It answers "ok"
without touching the database (to a request without a session cookie, as a load balancer's is),
to anyone, and is never cached."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_answers_ok_without_a_single_query(client, django_assert_num_queries):
    client.get(reverse("healthz"))  # warm: the first request loads url patterns

    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_is_never_cached(client):
    response = client.get("/healthz/")

    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_answers_a_signed_in_person_too(client, personas):
    # The session and sign-in middleware still read the session: only a request without a
    # cookie is free of queries.
    client.force_login(personas.peer)

    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_head_works_and_writing_is_refused(client):
    assert client.head("/healthz/").status_code == 200
    assert client.post("/healthz/").status_code == 405
