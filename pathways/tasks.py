"""Background tasks for pathways. Queue them with `lms.queue.enqueue`; the nightly readiness
rebuild and snapshot run from django-q2 schedules (made by migrations)."""

from django.urls import reverse

from lms.emails import absolute_url, send_email_once
from lms.models import Organisation
from pathways.models import EvidenceReview, StageDecision
from pathways.readiness_keeping import (
    readiness_rebuild,
    readiness_refresh,
    readiness_refresh_pathway,
)
from pathways.services import readiness_snapshot_take


def send_evidence_review_email(review_id: int) -> None:
    """Tell the person their evidence was reviewed, once (the review is the key)."""
    review = (
        EvidenceReview.objects.select_related("evidence__user", "evidence__competence", "reviewer")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        return
    send_email_once(
        f"email:evidence_reviewed:{review.pk}",
        template="evidence_reviewed",
        to=[review.evidence.user.email],
        context={"review": review, "pathway_url": absolute_url(reverse("pathways:mine"))},
    )


def send_stage_decision_email(decision_id: int) -> None:
    """Tell the person about a stage decision, once (the decision is the key)."""
    decision = (
        StageDecision.objects.select_related("membership__user", "to_stage", "decided_by")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None:
        return
    send_email_once(
        f"email:stage_decision:{decision.pk}",
        template="stage_decision",
        to=[decision.membership.user.email],
        context={"decision": decision, "pathway_url": absolute_url(reverse("pathways:mine"))},
    )


def take_readiness_snapshots() -> int:
    """Record today's readiness for every organisation; safe to run twice in a day."""
    count = 0
    for organisation in Organisation.objects.all():
        readiness_snapshot_take(organisation=organisation)
        count += 1
    return count


def refresh_readiness(user_ids: list[int]) -> int:
    """Re-evaluate these people's kept readiness (queued after each event that changes it)."""
    return readiness_refresh(user_ids=user_ids)


def refresh_pathway_readiness(pathway_id: int) -> int:
    """Re-evaluate everyone on a pathway, after its stages or requirements were edited."""
    return readiness_refresh_pathway(pathway_id=pathway_id)


def rebuild_readiness() -> int:
    """Nightly: re-evaluate everyone; logs and returns how many kept rows were wrong."""
    return readiness_rebuild()
