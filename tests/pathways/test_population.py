"""The demo pathway seed and the bulk population generator."""

from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.db.models import F, Max
from django.test import override_settings
from wagtail import hooks

from courses.models import Certificate, CourseCompletion, Enrolment
from lms.demo import seed_kernel
from lms.models import AuditEvent, Membership, Role, User
from pathways import models
from pathways.demo import seed_pathways
from pathways.population import email_for, generate_population
from pathways.readiness_keeping import kept_truths, places_evaluate, truth_of
from pathways.readiness_selectors import kept_readiness, ready_now
from pathways.selectors import readiness_for_organisation

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
GENERATED = "@generated.demo.example"


def _quiet(line):
    pass


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The whole demo, as `seed_demo` makes it (every app's `seed_demo` hook, so supervision
    comes from the app that records it), seeded once for this module (seeding courses takes
    seconds) inside a transaction that is rolled back after its last test; each test runs in a
    savepoint within it."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        kernel = seed_kernel()
        for seed in hooks.get_hooks("seed_demo"):
            seed(kernel, _quiet)
        yield kernel
        transaction.set_rollback(True)


def _pathway():
    return models.Pathway.objects.get(name="Peer worker career pathway", organisation=None)


def _generate(kernel, *, count=30, seed=7, prefix="test"):
    return generate_population(
        organisation=kernel.nottingham,
        pathway=_pathway(),
        count=count,
        seed=seed,
        email_prefix=prefix,
        log=_quiet,
        now=NOW,
    )


def _counts() -> dict[str, int]:
    tables = [
        User,
        Membership,
        AuditEvent,
        Enrolment,
        CourseCompletion,
        Certificate,
        models.CompetenceFramework,
        models.Competence,
        models.Pathway,
        models.Stage,
        models.Requirement,
        models.Requirement.domains.through,
        models.PathwayMembership,
        models.StageDecision,
        models.SignOff,
        models.Evidence,
        models.EvidenceReview,
        models.WellbeingPause,
    ]
    return {table._meta.label: table.objects.count() for table in tables}


def _snapshot(prefix: str) -> list[tuple]:
    """What a generated person is made of, without the ids (which differ between runs)."""
    people = []
    for place in (
        models.PathwayMembership.objects.filter(user__email__startswith=prefix)
        .select_related("user", "stage")
        .order_by("user__email")
    ):
        user = place.user
        people.append(
            (
                user.email,
                user.display_name,
                place.stage.title,
                place.stage_reached_at,
                sorted(
                    CourseCompletion.objects.filter(enrolment__user=user).values_list(
                        "enrolment__course__title", "completed_at"
                    )
                ),
                sorted(
                    models.SignOff.objects.filter(user=user).values_list(
                        "competence__code", "signed_off_at"
                    )
                ),
                sorted(
                    models.Evidence.objects.filter(user=user).values_list(
                        "evidence_kind", "status", "submitted_at"
                    )
                ),
                sorted(
                    models.StageDecision.objects.filter(membership=place).values_list(
                        "to_stage__title", "outcome", "decided_at"
                    )
                ),
                list(
                    models.WellbeingPause.objects.filter(user=user).values_list(
                        "started_at", "ended_at"
                    )
                ),
            )
        )
    return people


def test_seed_builds_the_pathway_from_the_data(seeded):
    stages = list(_pathway().stages.order_by("sort_order"))

    assert [stage.title for stage in stages] == [
        "Aspiring peer / volunteer",
        "Trainee peer worker",
        "Peer support worker / PAL",
        "Senior peer / peer broker",
        "Peer lead / peer trainer",
    ]
    assert stages[1].pay_band == "3 (apprentice)"
    safe_practice = stages[1].requirements.get(course__title="Safe Practice")
    assert safe_practice.renewal_months == 12
    signed_off = stages[2].requirements.get(kind="competences_signed_off")
    assert sorted(signed_off.domains.values_list("code", flat=True)) == list("123456")
    # Kinds another app registers (mentoring's supervision hours) come from the same file.
    supervision = stages[1].requirements.get(kind="supervision_hours")
    assert (supervision.amount, supervision.within_months) == (12, 6)
    assert stages[3].requirements.get(kind="mentored_trainees").amount == 1
    assert stages[4].requirements.get(kind="supervision_hours_given").amount == 20


def test_seed_gives_the_readiness_page_something_true_to_show(seeded):
    readiness = readiness_for_organisation(organisation=seeded.nottingham)

    assert len(readiness.people) >= 40
    assert len(readiness.ready) >= 3
    assert all(count for _, count in readiness.expiry_counts)
    assert any(person.paused for person in readiness.people)
    peer = models.PathwayMembership.objects.get(user__email="peer@demo.example")
    assert peer.stage.title == "Trainee peer worker"
    assert models.Evidence.objects.filter(user=peer.user, status="submitted").exists()


def test_seed_pathways_twice_changes_no_counts(seeded):
    before = _counts()

    seed_pathways(seeded, _quiet)

    assert _counts() == before


def test_generate_population_creates_consistent_people(seeded):
    created = _generate(seeded)

    people = User.objects.filter(email__startswith="test-", email__endswith=GENERATED)
    assert created == people.count() == 30
    assert models.PathwayMembership.objects.filter(user__in=people).count() == 30
    assert Membership.objects.filter(user__in=people, role=Role.PEER).count() == 30
    assert not people.exclude(password__startswith="!").exists()  # unusable, never hashed
    completions = CourseCompletion.objects.filter(enrolment__user__in=people)
    assert completions.exists()
    assert not completions.filter(enrolment__completed_at__isnull=True).exists()
    latest = Enrolment.objects.filter(user__in=people, completions__isnull=False).annotate(
        latest=Max("completions__completed_at")
    )
    assert not latest.exclude(completed_at=F("latest")).exists()
    assert Certificate.objects.filter(user__in=people).count() == completions.count()


def test_generate_population_is_the_same_with_the_same_seed(seeded):
    # Generated, read and rolled back: people with records cannot be deleted (docs/records.md).
    with transaction.atomic():
        _generate(seeded)
        first = _snapshot("test-")
        transaction.set_rollback(True)
    assert not User.objects.filter(email__startswith="test-").exists()

    _generate(seeded)

    assert _snapshot("test-") == first
    _generate(seeded, seed=8, prefix="other")
    assert [row[1:] for row in _snapshot("other-")] != [row[1:] for row in first]


def test_generate_population_skips_people_who_exist(seeded):
    assert _generate(seeded, count=10) == 10
    before = _counts()

    assert _generate(seeded, count=10) == 0
    assert _counts() == before
    assert _generate(seeded, count=12) == 2


def test_a_generated_population_has_ready_people_and_their_kept_readiness(seeded):
    _generate(seeded, count=40)

    people = User.objects.filter(email__startswith="test-", email__endswith=GENERATED)
    places = list(
        models.PathwayMembership.objects.filter(user__in=people).values_list("pk", flat=True)
    )
    kept = kept_truths(membership_ids=places, now=NOW)
    fresh = {s.membership_id: truth_of(s) for s in places_evaluate(membership_ids=places, now=NOW)}
    assert len(kept) == 40
    assert kept == fresh
    ready = {
        email
        for email, in_kept in models.KeptReadiness.objects.filter(user__in=people)
        .annotate(now_ready=ready_now(NOW))
        .values_list("user__email", "now_ready")
        if in_kept
    }
    # Every tenth person from the 3rd is made ready for their next stage, supervision and all.
    assert {email_for("test", number) for number in (3, 13, 23, 33)} <= ready


def test_the_demo_seed_keeps_everyones_readiness(seeded):
    fresh = readiness_for_organisation(organisation=seeded.nottingham)

    kept = kept_readiness(organisation=seeded.nottingham)

    assert kept.ready_count == len(fresh.ready) >= 3
    assert kept.people_count == len(fresh.people)
    assert kept.expiry_counts == fresh.expiry_counts
