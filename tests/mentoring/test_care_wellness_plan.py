"""Wellness action plans: a peer's own plan in fixed sections, stored cleaned, private; shared
only with their current mentor by their choice, and never readable once that mentorship ends.
Coordinators never see a plan; every read by the mentor is audited."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Role
from mentoring.models import (
    WELLNESS_PLAN_SECTIONS,
    EndReason,
    Mentorship,
    WellnessPlan,
    WellnessPlanEntry,
)
from mentoring.services.care import wellness_plan_save, wellness_plan_share
from mentoring.services.pairing import mentorship_end
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

URL = reverse("mentoring:wellness-plan")
KEEPS_ME_WELL = WELLNESS_PLAN_SECTIONS[0][0]
TRIGGERS = dict((label, key) for key, label in WELLNESS_PLAN_SECTIONS)["Triggers"]
PLAN_WORDS = "Walking the dog at dawn keeps me steady."


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _mentorship(personas, *, status=Mentorship.ACTIVE, trainee=None, mentor=None):
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=trainee or personas.peer,
        mentor=mentor or personas.mentor,
        status=status,
        started_at=timezone.now() - timedelta(days=40),
    )


def _plan_url(user):
    return reverse("mentoring:mentee-plan", args=[user.pk])


@pytest.fixture
def mentorship(personas):
    return _mentorship(personas)


@pytest.fixture
def shared(personas, mentorship):
    wellness_plan_save(user=personas.peer, sections={KEEPS_ME_WELL: f"<p>{PLAN_WORDS}</p>"})
    wellness_plan_share(user=personas.peer, share=True)
    return mentorship


# --- Writing your own plan --------------------------------------------------------------------


def test_the_page_has_one_text_box_for_each_section(client, personas):
    client.force_login(personas.peer)

    soup = BeautifulSoup(client.get(URL).content.decode(), "html.parser")

    names = [textarea["name"] for textarea in soup.find_all("textarea")]
    assert names == [key for key, _ in WELLNESS_PLAN_SECTIONS]
    assert "Triggers" in soup.get_text()


def test_a_peer_saves_their_plan_and_empty_sections_are_not_stored(client, personas):
    client.force_login(personas.peer)

    response = client.post(URL, {KEEPS_ME_WELL: PLAN_WORDS, TRIGGERS: "  "}, follow=True)

    plan = WellnessPlan.objects.get(user=personas.peer)
    entries = dict(plan.entries.values_list("section", "body"))
    assert entries == {KEEPS_ME_WELL: f"<p>{PLAN_WORDS}</p>"}
    assert "Your plan is saved. Only you can read it." in _text(response)
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.find("textarea", attrs={"name": KEEPS_ME_WELL}).get_text().strip() == PLAN_WORDS


def test_clearing_a_section_removes_it(client, personas):
    wellness_plan_save(
        user=personas.peer, sections={KEEPS_ME_WELL: "<p>x</p>", TRIGGERS: "<p>y</p>"}
    )
    client.force_login(personas.peer)

    client.post(URL, {KEEPS_ME_WELL: "", TRIGGERS: "Loud rooms"})

    assert dict(WellnessPlanEntry.objects.values_list("section", "body")) == {
        TRIGGERS: "<p>Loud rooms</p>"
    }


def test_what_a_peer_types_is_stored_cleaned(client, personas):
    client.force_login(personas.peer)

    client.post(URL, {KEEPS_ME_WELL: "<script>alert(1)</script><b>Bold</b> words"})

    body = WellnessPlanEntry.objects.get().body
    assert "<script" not in body
    assert "&lt;b&gt;Bold&lt;/b&gt; words" in body


def test_a_section_that_is_too_long_is_refused_and_the_words_are_kept(client, personas):
    client.force_login(personas.peer)
    long_words = "word " * 1100

    response = client.post(URL, {KEEPS_ME_WELL: long_words, TRIGGERS: "Loud rooms"})

    assert response.status_code == 200
    assert "There is a problem" in _text(response)
    assert "Loud rooms" in _text(response)
    assert not WellnessPlanEntry.objects.exists()


def test_saving_an_unknown_section_is_refused(personas):
    with pytest.raises(ValidationError):
        wellness_plan_save(user=personas.peer, sections={"nonsense": "<p>x</p>"})


@pytest.mark.parametrize("who", ["coordinator", "org_admin", "editor"])
def test_people_who_are_not_peers_or_mentors_have_no_plan_page(client, personas, who):
    client.force_login(getattr(personas, who))

    assert client.get(URL).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, personas):
    for url in (URL, _plan_url(personas.peer)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_each_person_sees_only_their_own_plan(client, personas):
    wellness_plan_save(user=personas.peer, sections={KEEPS_ME_WELL: f"<p>{PLAN_WORDS}</p>"})
    client.force_login(personas.other_peer)

    assert PLAN_WORDS not in _text(client.get(URL))


# --- Sharing ---------------------------------------------------------------------------------


def test_sharing_is_offered_only_to_someone_with_a_current_mentor(client, personas):
    client.force_login(personas.peer)
    assert 'name="share"' not in client.get(URL).content.decode()

    _mentorship(personas, status=Mentorship.PROPOSED)
    assert 'name="share"' not in client.get(URL).content.decode()

    Mentorship.objects.update(status=Mentorship.ACTIVE)
    page = _text(client.get(URL))
    assert 'name="share"' in page
    assert f"Me and my mentor, {personas.mentor.display_name}" in page


def test_a_peer_shares_their_plan_with_their_mentor_and_can_stop(client, personas, mentorship):
    client.force_login(personas.peer)

    response = client.post(URL, {KEEPS_ME_WELL: PLAN_WORDS, "share": mentorship.pk}, follow=True)

    plan = WellnessPlan.objects.get()
    assert plan.shared_with == mentorship
    assert plan.shared_at is not None
    assert f"{personas.mentor.display_name} can read it." in _text(response)
    today = timezone.localtime().strftime("%-d %b %Y")
    page = _text(client.get(URL))
    assert (
        f"You share this plan with {personas.mentor.display_name}, your mentor, since {today}"
        in page
    )

    client.post(URL, {KEEPS_ME_WELL: PLAN_WORDS, "share": "private"})

    plan.refresh_from_db()
    assert (plan.shared_with, plan.shared_at) == (None, None)


def test_sharing_with_someone_elses_mentorship_is_refused(client, personas):
    other = _mentorship(personas, trainee=UserFactory(), mentor=personas.mentor)
    _mentorship(personas)
    client.force_login(personas.peer)

    response = client.post(URL, {KEEPS_ME_WELL: PLAN_WORDS, "share": other.pk})

    assert response.status_code == 200
    assert not WellnessPlan.objects.filter(shared_with=other).exists()


def test_sharing_without_a_current_mentor_is_refused_by_the_service(personas):
    _mentorship(personas, status=Mentorship.ENDED)

    with pytest.raises(ValidationError, match="current mentor"):
        wellness_plan_share(user=personas.peer, share=True)


# --- The mentor reading a shared plan ---------------------------------------------------------


def test_the_mentor_cannot_read_the_plan_until_it_is_shared(client, personas, mentorship):
    wellness_plan_save(user=personas.peer, sections={KEEPS_ME_WELL: f"<p>{PLAN_WORDS}</p>"})
    client.force_login(personas.mentor)

    assert client.get(_plan_url(personas.peer)).status_code == 404

    wellness_plan_share(user=personas.peer, share=True)
    page = _text(client.get(_plan_url(personas.peer)))

    assert PLAN_WORDS in page
    assert "What keeps me well" in page


def test_every_read_of_a_shared_plan_is_audited(client, personas, shared):
    client.force_login(personas.mentor)

    client.get(_plan_url(personas.peer))
    client.get(_plan_url(personas.peer))

    reads = AuditEvent.objects.filter(action="mentoring.wellness_plan.read")
    assert reads.count() == 2
    event = reads.first()
    assert event.actor == personas.mentor
    assert event.subject_user == personas.peer
    assert event.organisation == personas.home


def test_a_paused_mentorship_still_lets_the_mentor_read_the_plan(client, personas, shared):
    Mentorship.objects.filter(pk=shared.pk).update(status=Mentorship.PAUSED)
    client.force_login(personas.mentor)

    assert PLAN_WORDS in _text(client.get(_plan_url(personas.peer)))


def test_ending_the_mentorship_stops_the_sharing(client, personas, shared):
    mentorship_end(mentorship=shared, by=personas.peer, reason=EndReason.GOALS_MET)
    client.force_login(personas.mentor)

    assert WellnessPlan.objects.get().shared_with is None
    assert client.get(_plan_url(personas.peer)).status_code == 404


def test_an_ended_mentorship_is_refused_even_if_the_plan_still_points_at_it(
    client, personas, shared
):
    # Belt and braces: the read checks the mentorship itself, not only the plan's pointer.
    Mentorship.objects.filter(pk=shared.pk).update(status=Mentorship.ENDED)
    client.force_login(personas.mentor)

    assert WellnessPlan.objects.get().shared_with_id == shared.pk
    assert client.get(_plan_url(personas.peer)).status_code == 404
    assert not AuditEvent.objects.filter(action="mentoring.wellness_plan.read").exists()


def test_a_new_mentor_does_not_inherit_a_plan_shared_with_the_last_one(client, personas, shared):
    Mentorship.objects.filter(pk=shared.pk).update(status=Mentorship.ENDED)
    newcomer = UserFactory()
    MembershipFactory(user=newcomer, organisation=personas.home, role=Role.MENTOR)
    _mentorship(personas, mentor=newcomer)
    client.force_login(newcomer)

    assert client.get(_plan_url(personas.peer)).status_code == 404


@pytest.mark.parametrize(
    "who", ["coordinator", "org_admin", "other_mentor", "other_coordinator", "editor", "peer"]
)
def test_nobody_but_the_current_mentor_can_read_a_shared_plan(client, personas, shared, who):
    client.force_login(getattr(personas, who))

    assert client.get(_plan_url(personas.peer)).status_code == 404


def test_another_mentor_in_the_organisation_cannot_read_the_plan(client, personas, shared):
    colleague = UserFactory()
    MembershipFactory(user=colleague, organisation=personas.home, role=Role.MENTOR)
    client.force_login(colleague)

    assert client.get(_plan_url(personas.peer)).status_code == 404


def test_the_mentor_cannot_read_another_mentees_plan_by_changing_the_id(client, personas, shared):
    somebody = UserFactory()
    wellness_plan_save(user=somebody, sections={KEEPS_ME_WELL: "<p>Not yours.</p>"})
    client.force_login(personas.mentor)

    assert client.get(_plan_url(somebody)).status_code == 404


# --- Cost -------------------------------------------------------------------------------------


def test_the_plan_pages_run_the_same_number_of_queries_for_1_and_all_sections(
    client, personas, shared, django_assert_num_queries
):
    def fill():
        wellness_plan_save(
            user=personas.peer,
            sections={key: f"<p>About {label}.</p>" for key, label in WELLNESS_PLAN_SECTIONS},
        )

    client.force_login(personas.mentor)
    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: client.get(_plan_url(personas.peer)), fill
    )
    client.force_login(personas.peer)
    WellnessPlanEntry.objects.exclude(section=KEEPS_ME_WELL).delete()
    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(URL), fill)
