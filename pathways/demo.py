"""Demo pathways: the peer support competence framework, the shared "Peer worker career pathway"
from data/pathway.json, the demo peer and mentor on it, and a few dozen generated peers at Real
Lives Nottingham so that the readiness page has something true to show.

`seed_pathways(kernel, log)` is safe to run again: the framework is imported only when it differs
from the file, stages and requirements are found by their title and kind and updated in place,
and people already on the pathway (or already generated) are left alone. Courses come from
`courses.demo`, which runs first; a requirement whose course is missing is skipped with a note.

Requirement kinds that another app registers (supervision hours, mentored trainees) are added only
once that app has registered them; seed again after installing it.
"""

import json
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from courses.models import CoursePage
from pathways.frameworks import (
    FrameworkImportError,
    framework_export_csv,
    framework_import,
    parse_framework_csv,
)
from pathways.models import (
    Competence,
    CompetenceFramework,
    Evidence,
    EvidenceReview,
    Pathway,
    PathwayMembership,
    Requirement,
    SignOff,
    Stage,
    StageDecision,
)
from pathways.population import DEFAULT_SEED, generate_population
from pathways.requirements import registry
from pathways.selectors import readiness_for_organisation
from pathways.services import pathway_join

DATA = Path(__file__).resolve().parent / "data"
FRAMEWORK_NAME = "Peer support competence framework"
FRAMEWORK_SLUG = "peer-support"
PATHWAY_DESCRIPTION = (
    "From finding out whether peer work is for you to leading and training other peers. "
    "Each step is agreed with you, at your own pace."
)
STAGE_DESCRIPTIONS = {
    "Aspiring peer / volunteer": (
        "You are finding out whether peer work is for you, by starting the foundations course "
        "and putting your own lived experience into words."
    ),
    "Trainee peer worker": (
        "You are learning on the job as a paid apprentice, usually for about 15 months, with "
        "regular supervision from an experienced peer."
    ),
    "Peer support worker / PAL": (
        "You support people as a peer support worker or a PAL, using your lived experience to "
        "help them live the life they choose."
    ),
    "Senior peer / peer broker": (
        "You help people plan how to spend their personal budget, take on more complex work "
        "and mentor trainees."
    ),
    "Peer lead / peer trainer": (
        "You lead and train other peers, supervise their practice and help your organisation "
        "grow its peer roles."
    ),
}
GENERATED_PEERS = 48


@transaction.atomic
def seed_pathways(kernel, log) -> None:
    framework = _framework(log)
    pathway = _pathway(framework, log)
    _demo_people(kernel, pathway, framework, log)
    generate_population(
        organisation=kernel.nottingham,
        pathway=pathway,
        count=GENERATED_PEERS,
        seed=DEFAULT_SEED,
        log=log,
    )
    readiness = readiness_for_organisation(organisation=kernel.nottingham)
    expiring = ", ".join(f"{count} within {days} days" for days, count in readiness.expiry_counts)
    log(
        f"Readiness at {kernel.nottingham}: {len(readiness.people)} people, "
        f"{len(readiness.ready)} ready to progress, renewals due: {expiring}."
    )


# --- The framework and the pathway ------------------------------------------------------------


def _framework(log) -> CompetenceFramework:
    parsed = parse_framework_csv((DATA / "competences.csv").read_bytes())
    framework = CompetenceFramework.objects.filter(slug=FRAMEWORK_SLUG).first()
    if framework is not None and _same_as_file(framework, parsed):
        log(f"Competence framework “{framework.name}”: unchanged")
        return framework
    try:
        result = framework_import(
            framework_name=FRAMEWORK_NAME, framework_slug=FRAMEWORK_SLUG, parsed=parsed
        )
    except FrameworkImportError as error:
        for problem in error.problems:
            log(f"competences.csv: {problem}")
        raise
    for line in result.summary():
        log(f"Competence framework: {line}")
    return result.framework


def _same_as_file(framework, parsed) -> bool:
    """The framework already holds exactly what the file says (compared through an export, so
    that the order counts too). Importing it again would change nothing but the audit log."""
    stored = parse_framework_csv(framework_export_csv(framework=framework).encode())
    return not parsed.problems and stored.domains == parsed.domains


def _pathway(framework, log) -> Pathway:
    spec = json.loads((DATA / "pathway.json").read_text(encoding="utf-8"))
    pathway, created = Pathway.objects.get_or_create(
        name=spec["pathway"],
        organisation=None,
        defaults={"framework": framework, "description": PATHWAY_DESCRIPTION},
    )
    log(f"Pathway “{pathway}”: {'created' if created else 'found'}")
    stage_specs = sorted(spec["stages"], key=lambda item: item["order"])
    for sort_order, stage_spec in enumerate(stage_specs):
        stage = _stage(pathway, stage_spec, sort_order)
        for position, requirement_spec in enumerate(stage_spec["requirements"]):
            _requirement(stage, requirement_spec, position, framework, log)
    return pathway


def _stage(pathway, spec: dict, sort_order: int) -> Stage:
    fields = {
        "sort_order": sort_order,
        "pay_band": spec.get("band") or "",
        "description": STAGE_DESCRIPTIONS.get(spec["title"], ""),
    }
    stage = Stage.objects.filter(pathway=pathway, title=spec["title"]).first()
    if stage is None:
        stage = Stage(pathway=pathway, title=spec["title"], **fields)
        stage.save()
    else:
        _save_if_changed(stage, fields)
    return stage


def _requirement(stage, spec: dict, position: int, framework, log) -> None:
    kind = spec["kind"]
    if registry.get(kind) is None:
        log(
            f"“{stage}”: the {kind.replace('_', ' ')} requirement will appear once the mentoring "
            "app is installed (then seed again)."
        )
        return
    fields = {
        "sort_order": position,
        "course": None,
        "evidence_kind": spec.get("what", ""),
        "amount": spec.get("months", spec.get("hours", spec.get("count"))),
        "within_months": spec.get("within_months"),
        "renewal_months": spec.get("renew_months"),
    }
    if "course" in spec:
        fields["course"] = (
            CoursePage.objects.filter(title=spec["course"]).order_by("-live", "pk").first()
        )
        if fields["course"] is None:
            log(f"“{stage}”: skipped “{kind}” because the course “{spec['course']}” is missing.")
            return
    requirement = _find_requirement(stage, kind, fields)
    if requirement is None:
        requirement = Requirement(stage=stage, kind=kind, **fields)
        requirement.save()
    else:
        _save_if_changed(requirement, fields)
    if "domains" in spec:
        domains = list(framework.domains.filter(code__in=spec["domains"]))
        if {domain.pk for domain in requirement.domains.all()} != {d.pk for d in domains}:
            # Requirement is an Orderable, not a ClusterableModel, so its ParentalManyToMany
            # change is kept in memory until committed.
            requirement.domains.set(domains)
            requirement.domains.commit()


def _find_requirement(stage, kind: str, fields: dict) -> Requirement | None:
    """The stage's requirement of this kind (for the same course or evidence, where that is
    what tells two of the same kind apart)."""
    found = Requirement.objects.filter(stage=stage, kind=kind)
    if fields["course"] is not None:
        found = found.filter(course=fields["course"])
    if fields["evidence_kind"]:
        found = found.filter(evidence_kind=fields["evidence_kind"])
    return found.order_by("sort_order").first()


def _save_if_changed(instance, fields: dict) -> None:
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    if changed:
        instance.save()


# --- The demo people --------------------------------------------------------------------------

LIVED_EXPERIENCE = (
    "I have lived with depression and anxiety since my teens. What helped me most was meeting "
    "someone who had been through it too and did not judge me. I want to offer that to other "
    "people, and I know now when to look after myself first."
)
WELLNESS_PLAN = (
    "I have written my wellness action plan and talked it through with my supervisor. The "
    "contents stay private to me."
)
ACTIVE_LISTENING = (
    "At my placement I spent an hour with someone who was feeling very low. I listened without "
    "giving advice, said back what I had heard, and let them decide what to do next. Afterwards "
    "they told me it was the first time in weeks they had felt heard. In supervision we talked "
    "about how hard it was not to jump in with my own story."
)


def _demo_people(kernel, pathway, framework, log) -> None:
    stages = list(pathway.stages.order_by("sort_order"))
    coordinator = kernel.people["coordinator@demo.example"]
    competences = {
        c.code: c for c in Competence.objects.filter(framework=framework).select_related("domain")
    }
    evidence_kinds = list(
        Requirement.objects.filter(stage__pathway=pathway, kind="evidence")
        .order_by("stage__sort_order")
        .values_list("evidence_kind", flat=True)
    )
    now = timezone.now()

    peer = kernel.people["peer@demo.example"]
    _place(peer, pathway, stages, months_ago=[9, 4], by=coordinator, log=log)
    _sign_off(peer, [competences["1.1"], competences["1.2"]], coordinator, now - _months(3))
    _evidence(peer, evidence_kinds[0], LIVED_EXPERIENCE, now - _months(8), coordinator)
    if not Evidence.objects.filter(user=peer, competence=competences["3.5"]).exists():
        Evidence.objects.create(
            user=peer,
            competence=competences["3.5"],
            statement=ACTIVE_LISTENING,
            submitted_at=now - timedelta(days=2),
        )

    mentor = kernel.people["mentor@demo.example"]
    _place(mentor, pathway, stages, months_ago=[34, 26, 18, 10], by=coordinator, log=log)
    first_six = [c for c in competences.values() if c.domain.code in {"1", "2", "3", "4", "5", "6"}]
    _sign_off(mentor, first_six, coordinator, now - _months(20))
    _evidence(mentor, evidence_kinds[0], LIVED_EXPERIENCE, now - _months(33), coordinator)
    if len(evidence_kinds) > 1:
        _evidence(mentor, evidence_kinds[1], WELLNESS_PLAN, now - _months(19), coordinator)


def _months(months: float) -> timedelta:
    return timedelta(days=30.44 * months)


def _place(person, pathway, stages, *, months_ago: list[float], by, log) -> None:
    """Put a demo person on the pathway at stage len(months_ago), with the decisions that took
    them there; someone already on it is left where they are."""
    if PathwayMembership.objects.filter(user=person, pathway=pathway).exists():
        return
    now = timezone.now()
    reached = [now - _months(months) for months in months_ago]
    membership = pathway_join(user=person, pathway=pathway, stage=stages[len(months_ago) - 1])
    membership.joined_at, membership.stage_reached_at = reached[0], reached[-1]
    membership.save(update_fields=["joined_at", "stage_reached_at"])
    for step in range(1, len(reached)):
        StageDecision.objects.create(
            membership=membership,
            from_stage=stages[step - 1],
            to_stage=stages[step],
            outcome=StageDecision.CONFIRMED,
            decided_by=by,
            decided_at=reached[step],
        )
    log(f"{person.display_name} is at “{membership.stage}”")


def _sign_off(person, competences, by, when) -> None:
    held = set(
        SignOff.objects.filter(
            user=person, withdraws__isnull=True, withdrawn_by__isnull=True
        ).values_list("competence_id", flat=True)
    )
    for number, competence in enumerate(competences):
        if competence.pk not in held:
            SignOff.objects.create(
                user=person,
                competence=competence,
                signed_off_by=by,
                signed_off_at=when + timedelta(days=3 * number),
            )


def _evidence(person, evidence_kind: str, statement: str, when, reviewer) -> None:
    """Evidence of a named kind, signed off a few days after it was sent. Written directly
    rather than through the review service, which would email the person about old news."""
    if Evidence.objects.filter(user=person, evidence_kind=evidence_kind).exists():
        return
    evidence = Evidence.objects.create(
        user=person,
        evidence_kind=evidence_kind,
        statement=statement,
        status=Evidence.SIGNED_OFF,
        submitted_at=when,
    )
    EvidenceReview.objects.create(
        evidence=evidence,
        reviewer=reviewer,
        outcome=Evidence.SIGNED_OFF,
        reviewed_at=when + _months(0.2),
        note="Thank you. This is clear and in your own words.",
    )
