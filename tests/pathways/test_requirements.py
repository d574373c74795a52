"""Requirement kinds: each turns one requirement into a status for many people at once (met, in
progress with a fraction, expired, expiring soon) with a next step in plain words."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courses.models import CourseCompletion, Enrolment
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from lms.dates import add_months
from pathways.models import (
    Competence,
    CompetenceDomain,
    Evidence,
    PathwayMembership,
    Requirement,
    SignOff,
)
from pathways.requirements import (
    EXPIRED,
    EXPIRING_SOON,
    IN_PROGRESS,
    MET,
    NOT_STARTED,
    RequirementKind,
    Status,
    clock_for,
    registry,
)
from pathways.selectors import person_progress
from pathways.services import pathway_join, sign_off_withdraw
from tests.courses.builders import make_course
from tests.factories import MembershipFactory
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def framework():
    """Domain 1 with competences 1.1 and 1.2; domain 2 with 2.1, 2.2 and 2.3."""
    return make_framework()


@pytest.fixture
def trainee(framework, personas):
    """The Trainee stage (second of three) of the home organisation's pathway."""
    pathway = make_pathway(framework=framework, organisation=personas.home)
    return stages(pathway)[1]


@pytest.fixture
def safe_practice():
    return make_course("Safe Practice", modules=4)


def add_requirement(stage, kind, *, domains=(), competences=(), **fields) -> Requirement:
    """A requirement with its domains and competences written straight to the database, as the
    admin would have saved them (see test_admin.py for the admin itself)."""
    requirement = Requirement.objects.create(
        stage=stage, kind=kind, sort_order=stage.requirements.count(), **fields
    )
    framework = stage.pathway.framework
    Requirement.domains.through.objects.bulk_create(
        Requirement.domains.through(requirement=requirement, competencedomain=domain)
        for domain in CompetenceDomain.objects.filter(framework=framework, code__in=domains)
    )
    Requirement.competences.through.objects.bulk_create(
        Requirement.competences.through(requirement=requirement, competence=competence)
        for competence in Competence.objects.filter(framework=framework, code__in=competences)
    )
    return Requirement.objects.get(pk=requirement.pk)


def _status(requirement, user, now=NOW) -> Status:
    return registry.evaluate(requirement, [user.pk], clock_for([user.pk], now))[user.pk]


def _complete(user, course, at, refresher_due_at=None) -> CourseCompletion:
    enrolment, _ = Enrolment.objects.get_or_create(user=user, course=course)
    return CourseCompletion.objects.create(
        enrolment=enrolment, completed_at=at, refresher_due_at=refresher_due_at
    )


def _modules_done(user, course, count):
    enrolment, _ = enrolment_create(user=user, course=course)
    for module in list(live_modules(course=course))[:count]:
        module_finish(enrolment=enrolment, module=module)


def _sign(user, code, by, at=NOW - timedelta(days=1)) -> SignOff:
    competence = Competence.objects.get(code=code)
    return SignOff.objects.create(
        user=user, competence=competence, signed_off_by=by, signed_off_at=at
    )


def _evidence(user, kind, status, at=NOW - timedelta(days=1)) -> Evidence:
    return Evidence.objects.create(
        user=user, evidence_kind=kind, statement="<p>Mine</p>", status=status, submitted_at=at
    )


# --- Course completed --------------------------------------------------------------------------


def test_course_not_started_says_start_it(trainee, safe_practice, personas):
    requirement = add_requirement(trainee, "course_completed", course=safe_practice)

    status = _status(requirement, personas.peer)

    assert (status.state, status.done, status.total) == (NOT_STARTED, 0, 4)
    assert status.label == "Not started"
    assert status.next_step == "Start Safe Practice"
    assert not status.met


def test_course_half_done_shows_the_fraction_and_the_next_step(trainee, safe_practice, personas):
    requirement = add_requirement(trainee, "course_completed", course=safe_practice)
    _modules_done(personas.peer, safe_practice, 2)

    status = _status(requirement, personas.peer)

    assert (status.state, status.done, status.total) == (IN_PROGRESS, 2, 4)
    assert status.percent == 50
    assert status.label == "In progress"
    assert status.next_step == "Complete Safe Practice — 2 of 4 modules done"


def test_course_completed_is_met_with_nothing_left_to_do(trainee, safe_practice, personas):
    requirement = add_requirement(trainee, "course_completed", course=safe_practice)
    _complete(personas.peer, safe_practice, NOW - timedelta(days=10))

    status = _status(requirement, personas.peer)

    assert status.state == MET
    assert status.met and status.percent == 100
    assert status.label == "Done"
    assert status.next_step == ""
    assert status.expires_at is None


def test_course_completed_within_the_window_counts(trainee, safe_practice, personas):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, within_months=12
    )
    _complete(personas.peer, safe_practice, add_months(NOW, -11))

    assert _status(requirement, personas.peer).met


def test_course_completed_before_the_window_does_not_count(trainee, safe_practice, personas):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, within_months=12
    )
    _complete(personas.peer, safe_practice, add_months(NOW, -13))

    status = _status(requirement, personas.peer)

    assert not status.met
    assert status.state != MET


def test_course_completed_before_the_window_asks_for_a_refresher_not_more_modules(
    trainee, safe_practice, personas
):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, within_months=12
    )
    _modules_done(personas.peer, safe_practice, 4)
    CourseCompletion.objects.filter(enrolment__user=personas.peer).update(
        completed_at=add_months(NOW, -13)
    )

    status = _status(requirement, personas.peer)

    assert not status.met
    assert "4 of 4 modules done" not in status.next_step
    assert status.percent < 100


def test_renewal_far_off_is_met_and_says_when_to_renew(trainee, safe_practice, personas):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, renewal_months=12
    )
    completed = NOW - timedelta(days=100)
    _complete(personas.peer, safe_practice, completed)

    status = _status(requirement, personas.peer)

    assert status.state == MET
    assert status.expires_at == add_months(completed, 12)
    assert status.next_step == ""


def test_renewal_due_within_30_days_is_expiring_soon_but_still_met(
    trainee, safe_practice, personas
):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, renewal_months=12
    )
    _complete(personas.peer, safe_practice, add_months(NOW, -12) + timedelta(days=20))

    status = _status(requirement, personas.peer)

    assert status.state == EXPIRING_SOON
    assert status.met
    assert status.label == "Done, renewal due soon"
    assert status.next_step == "Take the Safe Practice refresher"
    assert status.expires_at == NOW + timedelta(days=20)


def test_renewal_past_its_date_is_expired_and_not_met(trainee, safe_practice, personas):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, renewal_months=12
    )
    _complete(personas.peer, safe_practice, add_months(NOW, -13))

    status = _status(requirement, personas.peer)

    assert status.state == EXPIRED
    assert not status.met
    assert status.label == "Needs renewing"
    assert status.next_step == "Take the Safe Practice refresher"


def test_the_latest_completion_renews_an_expired_one(trainee, safe_practice, personas):
    requirement = add_requirement(
        trainee, "course_completed", course=safe_practice, renewal_months=12
    )
    _complete(personas.peer, safe_practice, add_months(NOW, -25))
    _complete(personas.peer, safe_practice, add_months(NOW, -1))

    assert _status(requirement, personas.peer).state == MET


def test_course_refresher_date_counts_when_the_requirement_sets_no_renewal(
    trainee, safe_practice, personas
):
    requirement = add_requirement(trainee, "course_completed", course=safe_practice)
    _complete(
        personas.peer, safe_practice, add_months(NOW, -13), refresher_due_at=add_months(NOW, -1)
    )

    status = _status(requirement, personas.peer)

    assert status.state == EXPIRED
    assert status.expires_at == add_months(NOW, -1)


def test_course_started_kind_is_met_once_enrolled(trainee, safe_practice, personas):
    requirement = add_requirement(trainee, "course_started", course=safe_practice)

    before = _status(requirement, personas.peer)
    enrolment_create(user=personas.peer, course=safe_practice)
    after = _status(requirement, personas.peer)

    assert (before.state, before.next_step) == (NOT_STARTED, "Start Safe Practice")
    assert after.state == MET


# --- Competences signed off --------------------------------------------------------------------


def test_listed_competences_count_towards_a_fraction(trainee, personas):
    requirement = add_requirement(trainee, "competences_signed_off", competences=["1.1", "2.1"])

    nothing = _status(requirement, personas.peer)
    _sign(personas.peer, "1.1", personas.coordinator)
    half = _status(requirement, personas.peer)
    _sign(personas.peer, "2.1", personas.coordinator)
    both = _status(requirement, personas.peer)

    assert (nothing.state, nothing.done, nothing.total) == (NOT_STARTED, 0, 2)
    assert nothing.next_step == "Get 2 more competences signed off — 0 of 2 done"
    assert (half.state, half.done, half.total) == (IN_PROGRESS, 1, 2)
    assert half.next_step == "Get 1 more competence signed off — 1 of 2 done"
    assert (both.state, both.done, both.total) == (MET, 2, 2)


def test_a_whole_domain_counts_every_competence_in_it_and_no_other(trainee, personas):
    requirement = add_requirement(trainee, "competences_signed_off", domains=["2"])
    _sign(personas.peer, "1.1", personas.coordinator)
    _sign(personas.peer, "2.1", personas.coordinator)
    _sign(personas.peer, "2.2", personas.coordinator)

    partial = _status(requirement, personas.peer)
    _sign(personas.peer, "2.3", personas.coordinator)

    assert (partial.done, partial.total) == (2, 3)
    assert not partial.met
    assert _status(requirement, personas.peer).met


def test_domains_and_listed_competences_add_up_without_double_counting(trainee, personas):
    requirement = add_requirement(
        trainee, "competences_signed_off", domains=["1"], competences=["1.1", "2.3"]
    )

    status = _status(requirement, personas.peer)

    assert status.total == 3  # 1.1 and 1.2 from the domain, plus 2.3


def test_a_competence_signed_off_for_someone_else_does_not_count(trainee, personas):
    requirement = add_requirement(trainee, "competences_signed_off", domains=["1"])
    _sign(personas.mentor, "1.1", personas.coordinator)
    _sign(personas.mentor, "1.2", personas.coordinator)

    assert _status(requirement, personas.peer).done == 0
    assert _status(requirement, personas.mentor).met


def test_a_withdrawn_sign_off_no_longer_counts(trainee, personas):
    requirement = add_requirement(trainee, "competences_signed_off", domains=["1"])
    _sign(personas.peer, "1.1", personas.coordinator)
    mistaken = _sign(personas.peer, "1.2", personas.coordinator)
    assert _status(requirement, personas.peer).met

    sign_off_withdraw(signoff=mistaken, by=personas.coordinator, note="Signed off in error")

    status = _status(requirement, personas.peer)
    assert (status.done, status.total) == (1, 2)
    assert not status.met


def test_sign_offs_older_than_the_window_do_not_count(trainee, personas):
    requirement = add_requirement(
        trainee, "competences_signed_off", domains=["1"], within_months=24
    )
    _sign(personas.peer, "1.1", personas.coordinator, at=add_months(NOW, -23))
    _sign(personas.peer, "1.2", personas.coordinator, at=add_months(NOW, -25))

    assert _status(requirement, personas.peer).done == 1


def test_competence_requirement_is_described_by_its_domains(trainee, personas):
    one = add_requirement(trainee, "competences_signed_off", domains=["1"])
    both = add_requirement(trainee, "competences_signed_off", domains=["1", "2"])
    titled = add_requirement(
        trainee, "competences_signed_off", domains=["1"], title="Safe practice competences"
    )
    kind = registry.get("competences_signed_off")

    assert kind.describe(one) == "Competences signed off in domain 1"
    assert kind.describe(both) == "Competences signed off in domains 1, 2"
    assert kind.describe(titled) == "Safe practice competences"


# --- Evidence provided -------------------------------------------------------------------------

STATEMENT = "lived-experience statement"


@pytest.mark.parametrize(
    ("status", "state", "next_step"),
    [
        (None, NOT_STARTED, f"Provide {STATEMENT}"),
        (Evidence.SUBMITTED, IN_PROGRESS, f"Waiting for review: {STATEMENT}"),
        (Evidence.MORE_NEEDED, IN_PROGRESS, f"Add to your evidence: {STATEMENT}"),
        (Evidence.SIGNED_OFF, MET, ""),
    ],
)
def test_evidence_status_follows_its_review(trainee, personas, status, state, next_step):
    requirement = add_requirement(trainee, "evidence", evidence_kind=STATEMENT)
    if status:
        _evidence(personas.peer, STATEMENT, status)

    result = _status(requirement, personas.peer)

    assert (result.state, result.next_step) == (state, next_step)


def test_evidence_of_another_kind_does_not_count(trainee, personas):
    requirement = add_requirement(trainee, "evidence", evidence_kind=STATEMENT)
    _evidence(personas.peer, "DBS check", Evidence.SIGNED_OFF)

    assert _status(requirement, personas.peer).state == NOT_STARTED


def test_signed_off_evidence_counts_even_after_a_later_submission(trainee, personas):
    requirement = add_requirement(trainee, "evidence", evidence_kind=STATEMENT)
    _evidence(personas.peer, STATEMENT, Evidence.SIGNED_OFF, at=NOW - timedelta(days=30))
    _evidence(personas.peer, STATEMENT, Evidence.SUBMITTED, at=NOW - timedelta(days=1))

    assert _status(requirement, personas.peer).met


def test_evidence_with_a_renewal_expires(trainee, personas):
    requirement = add_requirement(trainee, "evidence", evidence_kind=STATEMENT, renewal_months=12)
    _evidence(personas.peer, STATEMENT, Evidence.SIGNED_OFF, at=add_months(NOW, -13))
    _evidence(
        personas.mentor,
        STATEMENT,
        Evidence.SIGNED_OFF,
        at=add_months(NOW, -12) + timedelta(days=10),
    )

    statuses = registry.evaluate(
        requirement,
        [personas.peer.pk, personas.mentor.pk],
        clock_for([personas.peer.pk, personas.mentor.pk], NOW),
    )

    assert statuses[personas.peer.pk].state == EXPIRED
    assert statuses[personas.mentor.pk].state == EXPIRING_SOON
    assert statuses[personas.mentor.pk].expires_at == NOW + timedelta(days=10)


# --- Time in stage -----------------------------------------------------------------------------


def _on_trainee_since(person, trainee, reached):
    return PathwayMembership.objects.create(
        user=person, pathway=trainee.pathway, stage=trainee, stage_reached_at=reached
    )


def test_time_in_stage_counts_months_since_the_stage_was_reached(personas, framework):
    pathway = make_pathway(framework=framework, organisation=personas.home)
    volunteer, trainee, _ = stages(pathway)
    requirement = add_requirement(trainee, "time_in_stage", amount=Decimal("6"))
    PathwayMembership.objects.create(
        user=personas.peer,
        pathway=pathway,
        stage=volunteer,
        stage_reached_at=NOW - timedelta(days=91),
    )
    PathwayMembership.objects.create(
        user=personas.mentor,
        pathway=pathway,
        stage=volunteer,
        stage_reached_at=NOW - timedelta(days=200),
    )

    statuses = registry.evaluate(
        requirement,
        [personas.peer.pk, personas.mentor.pk],
        clock_for([personas.peer.pk, personas.mentor.pk], NOW),
    )

    waiting, done = statuses[personas.peer.pk], statuses[personas.mentor.pk]
    assert (waiting.state, waiting.done, waiting.total) == (IN_PROGRESS, 3, 6)
    assert re.fullmatch(r"Keep going — 3(\.0)? of 6(\.0)? months so far", waiting.next_step)
    assert waiting.percent == 50
    assert done.state == MET


def test_time_in_stage_next_step_shows_months_to_one_decimal_place(personas, framework):
    pathway = make_pathway(framework=framework, organisation=personas.home)
    volunteer, trainee, _ = stages(pathway)
    requirement = add_requirement(trainee, "time_in_stage", amount=Decimal("6"))
    PathwayMembership.objects.create(
        user=personas.peer,
        pathway=pathway,
        stage=volunteer,
        stage_reached_at=NOW - timedelta(days=180),
    )

    status = _status(requirement, personas.peer)

    assert "5.9 of 6" in status.next_step
    assert "0000" not in status.next_step


# --- Validation and the registry ---------------------------------------------------------------


def test_a_requirement_of_an_unknown_kind_is_refused(trainee):
    requirement = Requirement(stage=trainee, kind="no_such_kind")

    with pytest.raises(ValidationError) as error:
        requirement.clean()

    assert "kind" in error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "missing"),
    [("course_completed", "course"), ("evidence", "evidence_kind"), ("time_in_stage", "amount")],
)
def test_a_requirement_without_the_field_its_kind_needs_is_refused(trainee, kind, missing):
    requirement = Requirement(stage=trainee, kind=kind)

    with pytest.raises(ValidationError) as error:
        requirement.clean()

    assert error.value.message_dict[missing] == ["This kind of requirement needs this."]


class _HasMentor(RequirementKind):
    """What a higher layer (mentoring) would register: met for the people in `mentored`."""

    key, label = "test_has_mentor", "Has a mentor"

    def __init__(self, mentored):
        self.mentored = mentored

    def evaluate(self, requirement, user_ids, clock):
        return {
            uid: Status(MET)
            if uid in self.mentored
            else Status(NOT_STARTED, 0, 1, "Choose a mentor from your shortlist")
            for uid in user_ids
        }


def test_a_kind_registered_by_another_app_takes_part_in_progress(trainee, personas, monkeypatch):
    monkeypatch.setitem(registry._kinds, "test_has_mentor", _HasMentor({personas.mentor.pk}))
    add_requirement(trainee, "test_has_mentor")
    pathway_join(user=personas.peer, pathway=trainee.pathway)

    progress = person_progress(user=personas.peer, now=NOW)

    assert ("test_has_mentor", "Has a mentor") in registry.choices()
    assert [r.description for r in progress.next_requirements] == ["Has a mentor"]
    assert progress.next_steps == ["Choose a mentor from your shortlist"]
    assert not progress.ready


# --- Set-based: the cost does not grow with the people -----------------------------------------


def _people(count):
    return [MembershipFactory().user for _ in range(count)]


KIND_QUERIES = {
    "course_started": 1,
    "course_completed": 3,
    "competences_signed_off": 2,
    "evidence": 1,
    "time_in_stage": 1,
}


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("kind", sorted(KIND_QUERIES))
def test_each_kind_costs_the_same_queries_for_3_and_30_people(
    trainee, safe_practice, django_assert_num_queries, kind, size
):
    fields = {
        "course_started": {"course": safe_practice},
        "course_completed": {"course": safe_practice, "renewal_months": 12},
        "competences_signed_off": {"domains": ["1", "2"]},
        "evidence": {"evidence_kind": STATEMENT},
        "time_in_stage": {"amount": Decimal("6")},
    }[kind]
    requirement = add_requirement(trainee, kind, **fields)
    requirement = (
        Requirement.objects.select_related("course", "stage")
        .prefetch_related("domains", "competences")
        .get(pk=requirement.pk)
    )
    people = _people(size)
    for number, person in enumerate(people):
        _on_trainee_since(person, trainee, NOW - timedelta(days=30 * number))
        if number % 2:
            _complete(person, safe_practice, NOW - timedelta(days=number))
            _sign(person, "1.1", None)
            _evidence(person, STATEMENT, Evidence.SIGNED_OFF)
    ids = [person.pk for person in people]
    clock = clock_for(ids, NOW)

    with django_assert_num_queries(KIND_QUERIES[kind]):
        statuses = registry.evaluate(requirement, ids, clock)

    assert set(statuses) == set(ids)
