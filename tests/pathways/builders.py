"""Small real frameworks and pathways for tests."""

from pathways.models import (
    Competence,
    CompetenceDomain,
    CompetenceFramework,
    Pathway,
    Requirement,
    Stage,
)


def make_framework(domains=(("1", 2), ("2", 3))) -> CompetenceFramework:
    """A framework with the given (domain code, number of competences) pairs."""
    framework, _ = CompetenceFramework.objects.get_or_create(slug="test", defaults={"name": "Test"})
    order = 0
    for code, count in domains:
        domain = CompetenceDomain.objects.create(
            framework=framework, code=code, name=f"Domain {code}", order=int(code)
        )
        for number in range(1, count + 1):
            order += 1
            Competence.objects.create(
                framework=framework,
                domain=domain,
                code=f"{code}.{number}",
                name=f"Competence {code}.{number}",
                order=order,
            )
    return framework


def make_pathway(
    *,
    framework,
    organisation=None,
    stages=("Volunteer", "Trainee", "Peer worker"),
    name="Career pathway",
) -> Pathway:
    pathway = Pathway.objects.create(name=name, framework=framework, organisation=organisation)
    for order, title in enumerate(stages):
        Stage.objects.create(pathway=pathway, title=title, sort_order=order)
    return pathway


def add_requirement(stage: Stage, kind: str, *, domains=(), **fields) -> Requirement:
    requirement = Requirement.objects.create(
        stage=stage, kind=kind, sort_order=stage.requirements.count(), **fields
    )
    if domains:
        requirement.domains.set(
            CompetenceDomain.objects.filter(framework=stage.pathway.framework, code__in=domains)
        )
        requirement.save()  # a cluster writes its parental many-to-many values when saved
    return requirement


def stages(pathway) -> list[Stage]:
    return list(pathway.stages.order_by("sort_order"))
