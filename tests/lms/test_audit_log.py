"""The audit log in the product: an organisation's admins read their organisation's events
(filtered by person, kind and date, and as CSV); superusers read any organisation's and every
event; everyone else gets a 404. Reading the log is itself audited, and nothing changes an event.
"""

import csv
import io
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from lms.audit import KIND_LABELS
from lms.models import AuditEvent, Organisation
from lms.services import audit_record
from tests.factories import UserFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


def _url(organisation: Organisation) -> str:
    return reverse("lms:audit-log", args=[organisation.slug])


def _event(*, actor, action, organisation, subject_user=None, when=None):
    """An event as audit_record writes it, at a chosen moment (created, never updated)."""
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        organisation=organisation,
        subject_user=subject_user,
        created_at=when or timezone.now(),
    )


@pytest.fixture
def log(personas):
    """Events at Home (about Pat, by Cam and Mo), one at Other, one with no organisation."""
    day = timezone.make_aware(datetime(2026, 3, 10, 12, 0))
    return {
        "concern": _event(
            actor=personas.mentor,
            action="mentoring.concern.raised",
            organisation=personas.home,
            subject_user=personas.peer,
            when=day,
        ),
        "stage": _event(
            actor=personas.coordinator,
            action="pathways.stage.confirmed",
            organisation=personas.home,
            subject_user=personas.peer,
            when=day + timedelta(days=5),
        ),
        "coverage": _event(
            actor=personas.coordinator,
            action="mentoring.coverage.read",
            organisation=personas.home,
            when=day + timedelta(days=10),
        ),
        "other": _event(
            actor=personas.other_coordinator,
            action="pathways.stage.confirmed",
            organisation=personas.other,
            subject_user=personas.other_peer,
            when=day + timedelta(days=5),
        ),
        "nowhere": _event(
            actor=None, action="pathways.framework.imported", organisation=None, when=day
        ),
    }


def _rows(response) -> list[list[str]]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [
        [" ".join(cell.get_text().split()) for cell in row.find_all(["th", "td"])]
        for row in soup.select("table.table tbody tr")
    ]


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- What an org admin reads ------------------------------------------------------------------


def test_org_admin_reads_their_organisations_events_newest_first_in_plain_words(
    client, personas, log
):
    client.force_login(personas.org_admin)
    response = client.get(_url(personas.home))
    assert response.status_code == 200
    rows = _rows(response)
    # The page's own read comes first, then Home's events newest first.
    assert rows[0][1:3] == ["Ola Admin", "Read the audit log"]
    assert [row[2] for row in rows[1:]] == [
        "Read supervision coverage",
        "Confirmed a move to the next stage",
        "Raised a concern",
    ]
    assert rows[2][1:4] == ["Cam Coordinator", "Confirmed a move to the next stage", "Pat Peer"]
    shown = " ".join(" ".join(row) for row in rows)
    assert "Oz Peer" not in shown and "Ode Coordinator" not in shown
    assert "Imported a competence framework" not in shown
    # Nobody from another organisation is offered in the person filter either.
    assert "Oz Peer" not in response.content.decode()


def test_each_event_shows_the_record_it_is_about(client, personas):
    event = audit_record(
        actor=personas.coordinator,
        action="membership.added",
        subject=personas.peer.memberships.get(),
        subject_user=personas.peer,
        organisation=personas.home,
    )
    client.force_login(personas.org_admin)
    rows = _rows(client.get(_url(personas.home)))
    assert rows[1][1:] == [
        "Cam Coordinator",
        "Gave someone a role",
        "Pat Peer",
        f"Membership {event.subject_id}",
    ]


def test_every_kind_written_in_the_code_has_a_plain_english_label():
    # A kind with no label would show as its code; each label is a short sentence.
    assert all(label and label[0].isupper() for label in KIND_LABELS.values())
    assert len(set(KIND_LABELS.values())) == len(KIND_LABELS)


def test_reading_the_log_is_audited(client, personas, log):
    client.force_login(personas.org_admin)
    client.get(_url(personas.home), {"kind": "mentoring.concern.raised"})
    event = AuditEvent.objects.filter(action="audit.log.read").get()
    assert (event.actor, event.organisation) == (personas.org_admin, personas.home)
    assert event.detail["kind"] == "mentoring.concern.raised"


def test_the_organisation_tabs_offer_the_log_to_org_admins_only(client, personas):
    client.force_login(personas.org_admin)
    members = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()
    assert f'href="{_url(personas.home)}"' in members
    client.force_login(personas.coordinator)
    members = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()
    assert _url(personas.home) not in members


# --- Filters ----------------------------------------------------------------------------------


def test_filter_by_person_finds_what_they_did_and_what_was_about_them(client, personas, log):
    client.force_login(personas.org_admin)
    by_pat = _rows(client.get(_url(personas.home), {"person": personas.peer.pk}))
    assert [row[2] for row in by_pat] == ["Confirmed a move to the next stage", "Raised a concern"]
    by_mo = _rows(client.get(_url(personas.home), {"person": personas.mentor.pk}))
    assert [row[2] for row in by_mo] == ["Raised a concern"]


def test_a_person_from_another_organisation_cannot_be_chosen(client, personas, log):
    client.force_login(personas.org_admin)
    response = client.get(_url(personas.home), {"person": personas.other_peer.pk})
    assert "Choose a person from the list." in response.content.decode()
    assert _rows(response) == []


def test_filter_by_kind_and_dates(client, personas, log):
    client.force_login(personas.org_admin)
    kind = _rows(client.get(_url(personas.home), {"kind": "pathways.stage.confirmed"}))
    assert [row[2] for row in kind] == ["Confirmed a move to the next stage"]
    dated = _rows(
        client.get(_url(personas.home), {"date_from": "2026-03-10", "date_to": "2026-03-15"})
    )
    assert [row[2] for row in dated] == [
        "Confirmed a move to the next stage",
        "Raised a concern",
    ]


def test_dates_the_wrong_way_round_are_explained_in_the_error_summary(client, personas, log):
    client.force_login(personas.org_admin)
    response = client.get(_url(personas.home), {"date_from": "2026-03-15", "date_to": "2026-03-10"})
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one(".error-summary")
    assert "The last day must be the same as or after the first day." in summary.get_text()
    assert summary.select_one('a[href="#id_date_to"]') is not None
    assert soup.title.get_text().startswith("Error:")
    assert _rows(response) == []
    assert not AuditEvent.objects.filter(action="audit.log.read").exists()


def test_a_date_that_is_not_a_date_is_explained(client, personas):
    client.force_login(personas.org_admin)
    response = client.get(_url(personas.home), {"date_from": "tomorrow"})
    assert "Enter the first day as a real date" in response.content.decode()


# --- CSV --------------------------------------------------------------------------------------


def test_csv_streams_the_filtered_events_and_is_audited_as_a_download(client, personas, log):
    client.force_login(personas.org_admin)
    response = client.get(_url(personas.home), {"person": personas.peer.pk, "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:5] == ["When", "Organisation", "Who", "Who (account id)", "What"]
    assert [row[5] for row in rows[1:]] == ["pathways.stage.confirmed", "mentoring.concern.raised"]
    assert rows[1][6] == "Pat Peer"
    event = AuditEvent.objects.get(action="audit.log.exported")
    assert (event.actor, event.organisation) == (personas.org_admin, personas.home)
    assert event.detail["person"] == personas.peer.pk


def test_csv_cells_cannot_run_as_formulas(client, personas):
    sly = UserFactory(display_name='=HYPERLINK("http://evil.example")')
    audit_record(actor=sly, action="membership.added", organisation=personas.home)
    client.force_login(personas.org_admin)
    rows = _csv(client.get(_url(personas.home), {"export": "csv"}))
    assert '\'=HYPERLINK("http://evil.example")' in [row[2] for row in rows]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# --- Superusers -------------------------------------------------------------------------------


def test_superuser_reads_any_organisation_and_every_event(client, personas, log):
    root = UserFactory(email="root@example.org", display_name="Root", is_superuser=True)
    client.force_login(root)
    other = client.get(_url(personas.other))
    assert other.status_code == 200
    assert [row[3] for row in _rows(other)[1:]] == ["Oz Peer"]
    everything = client.get(reverse("lms:audit-log-all"))
    assert everything.status_code == 200
    page = " ".join(" ".join(row) for row in _rows(everything))
    assert "Imported a competence framework" in page  # an event with no organisation
    assert "Oz Peer" in page and "Pat Peer" in page
    assert AuditEvent.objects.filter(action="audit.log.read", organisation=None).count() == 1


def test_superuser_downloads_every_event(client, personas, log):
    root = UserFactory(email="root@example.org", is_superuser=True)
    client.force_login(root)
    rows = _csv(client.get(reverse("lms:audit-log-all"), {"export": "csv"}))
    assert {row[1] for row in rows[1:]} == {"", "Home Org", "Other Org"}


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["coordinator", "mentor", "peer", "editor", "other_org_admin", "other_coordinator"]
)
def test_only_the_organisations_admins_may_read_its_log(client, personas, log, who):
    client.force_login(getattr(personas, who))
    assert client.get(_url(personas.home)).status_code == 404
    assert client.get(_url(personas.home), {"export": "csv"}).status_code == 404
    assert client.get(reverse("lms:audit-log-all")).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="audit.log.").exists()


def test_org_admin_cannot_read_every_organisations_log(client, personas):
    client.force_login(personas.org_admin)
    assert client.get(reverse("lms:audit-log-all")).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, personas):
    for url in (_url(personas.home), reverse("lms:audit-log-all")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("lms:login"))


# --- Nothing changes an event -----------------------------------------------------------------


def test_no_product_url_changes_or_deletes_an_event(client, personas, log):
    client.force_login(personas.org_admin)
    before = list(AuditEvent.objects.order_by("pk").values_list("pk", "action"))
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(_url(personas.home))
        assert response.status_code == 405
    assert list(AuditEvent.objects.order_by("pk").values_list("pk", "action")) == before


def test_the_orm_refuses_to_change_or_delete_an_event(log):
    event = log["concern"]
    event.action = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_admin_offers_no_way_to_add_change_or_delete_and_reading_it_is_audited(
    client, personas, log
):
    root = UserFactory(email="root@example.org", is_superuser=True)
    client.force_login(root)
    event = log["concern"]
    listing = client.get("/admin/audit-log/")
    assert listing.status_code == 200
    assert client.get(f"/admin/audit-log/inspect/{event.pk}/").status_code == 200
    for url in (
        "/admin/audit-log/new/",
        f"/admin/audit-log/edit/{event.pk}/",
        f"/admin/audit-log/delete/{event.pk}/",
    ):
        assert client.get(url).status_code in {302, 403, 404}
        assert client.post(url, {"action": "changed"}).status_code in {302, 403, 404}
    assert AuditEvent.objects.get(pk=event.pk).action == "mentoring.concern.raised"
    reads = AuditEvent.objects.filter(action="audit.log.read", actor=root)
    assert reads.count() == 2
    assert {tuple(sorted(e.detail.items())) for e in reads} == {(("where", "admin"),)}


# --- Cost -------------------------------------------------------------------------------------


def _grow(personas, how_many):
    def grow():
        people = [UserFactory() for _ in range(3)]
        for number in range(how_many):
            audit_record(
                actor=people[number % 3],
                action="pathways.stage.confirmed",
                subject=personas.home,
                subject_user=people[(number + 1) % 3],
                organisation=personas.home,
            )

    return grow


@pytest.mark.parametrize("export", ["", "csv"])
def test_the_page_and_the_csv_cost_the_same_queries_however_many_events(
    client, personas, django_assert_num_queries, export
):
    _grow(personas, 3)()
    client.force_login(personas.org_admin)

    def action():
        response = client.get(_url(personas.home), {"export": export} if export else {})
        if export:
            _csv(response)
        assert response.status_code == 200

    assert_queries_do_not_grow(django_assert_num_queries, action, _grow(personas, 80))
