"""Bad input gets a clear answer, never a 500 and never a partial write: characters no column can
store, ids too large for any table, `next` addresses that are not addresses, and text too long to
be worth cleaning (refused before the sanitiser sees it). The fuzz test
(tests/privacy/test_fuzz.py) sweeps every page; these pin each defence down."""

import html
from unittest import mock

import pytest
from django import forms
from django.urls import reverse

from courses.models import Reflection, ReflectionShare
from courses.services import enrolment_create, reflection_save
from lms.bad_input import INT64_MAX, TOO_LARGE_MESSAGE, UNSTORABLE_MESSAGE, safe_next_url
from lms.models import Invitation, Role
from lms.sanitiser import TEXT_MAX_CHARACTERS, SanitisedHTMLFormField
from mentoring.models import Concern, MentoringSettings, MentorProfile
from tests.courses.builders import make_course, reflection_prompt, text
from tests.factories import MembershipFactory, UserFactory
from tests.mentoring.builders import accepted, agree

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _mentored(personas):
    """Pat (the peer) with Mo (the mentor) as her mentor."""
    profile = MentorProfile.objects.create(user=personas.mentor, organisation=personas.home)
    return agree(accepted(personas.peer, profile))


# --- Characters no database can store ---------------------------------------------------------


def test_a_nul_in_a_query_string_is_a_clear_400(client, personas):
    client.force_login(personas.coordinator)

    response = client.get(reverse("lms:members", args=[personas.home.slug]), {"q": "a\x00b"})

    assert response.status_code == 400
    assert UNSTORABLE_MESSAGE in _page(response)


@pytest.mark.parametrize("export", ["csv\x00", "\x00"])
def test_a_nul_in_an_export_parameter_is_a_clear_400(client, personas, export):
    client.force_login(personas.coordinator)
    url = reverse("courses:learner-records", args=[personas.home.slug])

    response = client.get(url, {"export": export})

    assert response.status_code == 400
    assert "Nothing has been saved" in _page(response)


def test_a_nul_in_an_address_is_a_clear_400(client):
    response = client.get("/certificates/%00/")

    assert response.status_code == 400
    assert UNSTORABLE_MESSAGE in _page(response)


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_written(client, personas):
    client.force_login(personas.coordinator)

    response = client.post(
        reverse("lms:invite", args=[personas.home.slug]),
        {"email": "new\x00@example.org", "role": Role.PEER},
    )

    assert response.status_code == 400
    assert UNSTORABLE_MESSAGE in _page(response)
    assert not Invitation.objects.exists()


def test_a_lone_surrogate_arrives_as_a_replacement_character_never_a_500(client, personas):
    client.force_login(personas.coordinator)
    url = reverse("lms:members", args=[personas.home.slug])

    response = client.get(f"{url}?q=a%ED%A0%80b")

    assert response.status_code == 200


# --- Ids too large for any table --------------------------------------------------------------


@pytest.mark.parametrize("number", [str(INT64_MAX + 1), str(10**40), "9" * 5000])
def test_an_id_beyond_64_bits_in_an_address_is_not_found(client, personas, number):
    client.force_login(personas.peer)

    assert client.post(f"/learning/courses/{number}/enrol/").status_code == 404
    assert client.get(f"/mentoring/mentorships/{number}/").status_code == 404


@pytest.mark.parametrize("number", [str(INT64_MAX + 1), "-" + "9" * 20, "9" * 5000])
def test_a_number_beyond_64_bits_in_a_form_or_query_is_a_clear_400(client, personas, number):
    client.force_login(personas.coordinator)
    url = reverse("courses:learner-records", args=[personas.home.slug])

    response = client.get(url, {"course": number})
    posted = client.post(
        reverse("courses:assign", args=[personas.home.slug]), {"course": number, "role": "peer"}
    )

    assert response.status_code == posted.status_code == 400
    assert TOO_LARGE_MESSAGE in _page(response)


def test_a_password_of_twenty_digits_is_still_a_password(client, personas):
    response = client.post(
        reverse("lms:login"), {"username": personas.peer.email, "password": "9" * 25}
    )

    assert response.status_code == 200  # wrong password, said on the page: not a 400
    assert TOO_LARGE_MESSAGE not in _page(response)


def test_the_largest_64_bit_id_is_simply_not_found(client, personas):
    client.force_login(personas.peer)

    assert client.post(reverse("courses:enrol", args=[INT64_MAX])).status_code == 404


# --- next ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "courses:reflections",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "",
        "/a\x00b",
    ],
)
def test_next_is_only_ever_a_path_on_this_site(rf, value):
    assert safe_next_url(rf.get("/"), value) is None


def test_next_on_this_site_is_kept(rf):
    assert safe_next_url(rf.get("/"), "/reflections/?page=2") == "/reflections/?page=2"


@pytest.mark.parametrize("value", ["abc", "https://evil.example/", "//evil.example/"])
def test_sharing_a_reflection_with_a_bad_next_shares_it_and_goes_to_the_reflections(
    client, personas, value
):
    prompt = reflection_prompt("Why?")
    course = make_course("Next Course", modules=1, bodies=[[text(), prompt]])
    module = course.get_children().specific().get()
    enrolment_create(user=personas.peer, course=course)
    reflection = reflection_save(
        user=personas.peer, module=module, prompt_id=prompt["id"], body="<p>Mine.</p>"
    )
    _mentored(personas)
    client.force_login(personas.peer)

    response = client.post(
        reverse("courses:reflection-share", args=[reflection.pk]), {"shared": "yes", "next": value}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("courses:reflections")
    assert ReflectionShare.objects.filter(reflection=reflection, ended_at=None).count() == 1


# --- Length before cleaning ---------------------------------------------------------------------


def test_a_900_kb_reflection_of_tags_is_refused_before_the_sanitiser_sees_it(client, personas):
    prompt = reflection_prompt("What does being listened to mean to you?")
    course = make_course("Long Course", modules=1, bodies=[[text(), prompt]])
    module = course.get_children().specific().get()
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    body = "<b>" * 300_000  # 900 KB

    with (
        mock.patch("lms.sanitiser.clean_html") as clean_html,
        mock.patch("lms.sanitiser.text_to_html") as text_to_html,
    ):
        response = client.post(
            reverse("courses:reflection-save", args=[module.pk, prompt["id"]]),
            {f"{prompt['id']}-body": body},
        )

    assert response.status_code == 200
    assert "Your reflection is 900,000 characters long. Shorten it to 20,000 or fewer." in _page(
        response
    )
    clean_html.assert_not_called()
    text_to_html.assert_not_called()
    assert not Reflection.objects.exists()


def test_every_text_box_has_a_limit_checked_before_cleaning():
    field = SanitisedHTMLFormField()

    with (
        mock.patch("lms.sanitiser.clean_html") as clean_html,
        pytest.raises(forms.ValidationError) as refused,
    ):
        field.clean("<b>" * TEXT_MAX_CHARACTERS)

    assert "Shorten it to 20,000 or fewer." in str(refused.value)
    clean_html.assert_not_called()
    assert "maxlength" not in field.widget_attrs(field.widget)


def test_a_long_concern_is_refused_with_a_message_and_nothing_written(client, personas):
    mentorship = _mentored(personas)
    client.force_login(personas.mentor)

    response = client.post(
        reverse("mentoring:concern-new", args=[mentorship.pk]),
        {"kind": Concern.WELLBEING, "description": "<b>" * 300_000},
    )

    assert response.status_code == 200
    assert "at most 5000 characters (it has 900000)" in _page(response)
    assert not Concern.objects.exists()


# --- Numbers and dates in forms -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", str(2**31), "1e9", "9" * 30 + ".5"])
def test_a_wild_number_in_a_form_is_a_field_error(client, personas, value):
    client.force_login(personas.org_admin)
    before = list(MentoringSettings.objects.values_list("response_days", flat=True))
    response = client.post(
        reverse("mentoring:settings", args=[personas.home.slug]),
        {
            "response_days": value,
            "supervision_interval_days": "14",
            "weight_language": "10",
            "weight_specialism": "10",
            "weight_format": "10",
            "weight_area": "10",
            "weight_capacity": "5",
            "concern_retention_months": "24",
        },
    )

    assert response.status_code == 200
    assert "error" in _page(response).lower()
    assert list(MentoringSettings.objects.values_list("response_days", flat=True)) == before


@pytest.mark.parametrize("page", [str(2**40), "-1", "abc", "1.5"])
def test_people_search_with_a_wild_page_number_shows_a_page(client, personas, page):
    MembershipFactory(user=UserFactory(display_name="Someone"), organisation=personas.home)
    client.force_login(personas.coordinator)

    response = client.get(reverse("lms:members", args=[personas.home.slug]), {"page": page})

    assert response.status_code == 200
