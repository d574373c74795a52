"""Writes for pathways: joining a pathway, stage decisions, pauses, aspirations, evidence and
sign-offs, and readiness snapshots."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.models import Organisation, User
from lms.queue import enqueue
from lms.sanitiser import clean_html
from lms.selectors import organisation_shared_by
from lms.services import audit_record
from lms.uploads import display_filename
from pathways.files import evidence_file_to_store
from pathways.models import (
    Aspirations,
    Competence,
    Evidence,
    EvidenceReview,
    Pathway,
    PathwayMembership,
    ReadinessSnapshot,
    SignOff,
    Stage,
    StageDecision,
    WellbeingPause,
)
from pathways.readiness_keeping import readiness_refresh_later
from pathways.readiness_selectors import kept_readiness
from pathways.selectors import person_progress

# --- Joining and moving along a pathway -------------------------------------------------------


def pathway_join(
    *,
    user: User,
    pathway: Pathway,
    stage: Stage | None = None,
    by: User | None = None,
    organisation: Organisation | None = None,
) -> PathwayMembership:
    """Put a person on a pathway (at its first stage unless told otherwise); idempotent. When
    a coordinator (`by`) does it, it is their decision and goes in the audit log."""
    stage = stage or pathway.stages.order_by("sort_order").first()
    if stage is None:
        raise ValidationError(f"{pathway} has no stages yet.")
    try:
        with transaction.atomic():
            membership, created = PathwayMembership.objects.get_or_create(
                user=user, pathway=pathway, defaults={"stage": stage}
            )
    except IntegrityError:
        membership, created = PathwayMembership.objects.get(user=user, pathway=pathway), False
    if created:
        readiness_refresh_later(user_ids=[user.pk])
    if created and by is not None:
        audit_record(
            actor=by,
            action="pathways.pathway.joined",
            subject=membership,
            subject_user=user,
            organisation=organisation,
            detail={"pathway": pathway.pk, "stage": stage.pk},
        )
    return membership


@transaction.atomic
def stage_decide(
    *,
    membership: PathwayMembership,
    to_stage: Stage,
    outcome: str,
    note: str,
    by: User,
    organisation: Organisation | None = None,
) -> StageDecision:
    """Record a coordinator's decision on a proposed move. Only a confirmed decision moves the
    person, and only from the stage they were at when the decision was asked for."""
    membership = PathwayMembership.objects.select_for_update().get(pk=membership.pk)
    progress = person_progress(user=membership.user)
    if progress is None or progress.next_stage is None or progress.next_stage.pk != to_stage.pk:
        raise ValidationError(
            f"{membership.user} is no longer working towards {to_stage}. "
            "Reload the page to see where they are now."
        )
    if outcome == StageDecision.CONFIRMED and not progress.ready:
        raise ValidationError(
            f"{membership.user} has not met every requirement for {to_stage} yet."
        )
    if outcome == StageDecision.NOT_YET:
        same = _same_not_yet_just_recorded(membership, to_stage=to_stage, note=note, by=by)
        if same is not None:
            return same  # the same form sent again: recorded and told once
    decision = StageDecision.objects.create(
        membership=membership,
        from_stage=membership.stage,
        to_stage=to_stage,
        outcome=outcome,
        note=note.strip(),
        decided_by=by,
    )
    if outcome == StageDecision.CONFIRMED:
        membership.stage = to_stage
        membership.stage_reached_at = decision.decided_at
        membership.save(update_fields=["stage", "stage_reached_at"])
    audit_record(
        actor=by,
        action=f"pathways.stage.{outcome}",
        subject=decision,
        subject_user=membership.user,
        organisation=organisation,
        detail={"to_stage": to_stage.pk},
    )
    enqueue("pathways.tasks.send_stage_decision_email", decision.pk)
    readiness_refresh_later(user_ids=[membership.user_id])
    return decision


# The same words from the same person within this time are taken as the same form sent again
# (a double click, a reload) when it carried no one-time token (lms.submissions).
REPEAT_WINDOW = timedelta(minutes=10)


def _same_not_yet_just_recorded(membership, *, to_stage, note, by) -> StageDecision | None:
    return (
        StageDecision.objects.filter(
            membership=membership,
            from_stage=membership.stage,
            to_stage=to_stage,
            outcome=StageDecision.NOT_YET,
            note=note.strip(),
            decided_by=by,
            decided_at__gte=timezone.now() - REPEAT_WINDOW,
        )
        .order_by("-decided_at")
        .first()
    )


# --- Pauses and aspirations -------------------------------------------------------------------


def pause_start(*, user: User, private_note: str = "") -> WellbeingPause:
    """Start a wellbeing pause (or return the one already running)."""
    try:
        with transaction.atomic():
            pause = WellbeingPause.objects.create(user=user, private_note=private_note.strip())
            readiness_refresh_later(user_ids=[user.pk])  # paused: not ready, clocks stopped
            return pause
    except IntegrityError:
        return WellbeingPause.objects.get(user=user, ended_at__isnull=True)


@transaction.atomic
def pause_end(*, user: User) -> WellbeingPause | None:
    pause = WellbeingPause.objects.filter(user=user, ended_at__isnull=True).first()
    if pause is not None:
        pause.ended_at = timezone.now()
        pause.save(update_fields=["ended_at"])
        readiness_refresh_later(user_ids=[user.pk])
    return pause


def pause_notes_clear_old(*, now) -> int:
    """Blank the private note of pauses that ended more than the retention period ago. The
    dates stay: they are what stopped the person's clocks."""
    cutoff = now - timedelta(days=settings.PAUSE_NOTE_RETENTION_DAYS)
    return (
        WellbeingPause.objects.filter(ended_at__lt=cutoff)
        .exclude(private_note="")
        .update(private_note="")
    )


def aspirations_save(*, user: User, body: str) -> Aspirations:
    """A person's goals in their own words (cleaned by the one sanitiser when stored)."""
    aspirations, _ = Aspirations.objects.update_or_create(
        user=user, defaults={"body": body, "updated_at": timezone.now()}
    )
    return aspirations


# --- Evidence and sign-off --------------------------------------------------------------------


def evidence_submit(
    *,
    user: User,
    competence: Competence | None = None,
    evidence_kind: str = "",
    statement: str = "",
    upload=None,
) -> Evidence:
    """A peer offers evidence: words, a file, or both. The file is checked by its content."""
    if competence is None and not evidence_kind:
        raise ValidationError("Choose the competence or the kind of evidence this is for.")
    if not statement.strip() and upload is None:
        raise ValidationError({"statement": "Write a statement or attach a file (or both)."})
    if upload is None:
        same = (
            Evidence.objects.filter(
                user=user,
                competence=competence,
                evidence_kind=evidence_kind,
                statement=clean_html(statement),
                file="",
                status=Evidence.SUBMITTED,
                submitted_at__gte=timezone.now() - REPEAT_WINDOW,
            )
            .order_by("-submitted_at")
            .first()
        )
        if same is not None:
            return same  # the same words sent again: one piece of evidence
    stored = evidence_file_to_store(upload) if upload is not None else None
    evidence = Evidence(
        user=user, competence=competence, evidence_kind=evidence_kind, statement=statement
    )
    if stored is not None:
        evidence.original_filename = display_filename(upload.name)
        evidence.file.save(upload.name, stored, save=False)  # saved under a random name
    with transaction.atomic():
        evidence.save()
        readiness_refresh_later(user_ids=[user.pk])  # "waiting for review" is a next step
    return evidence


@transaction.atomic
def evidence_review(
    *,
    evidence: Evidence,
    reviewer: User,
    outcome: str,
    note: str = "",
    organisation: Organisation | None = None,
) -> EvidenceReview:
    """Sign evidence off (signing off its competence) or ask for more; the peer is told."""
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if evidence.user_id == reviewer.pk:
        raise ValidationError("You cannot review your own evidence.")
    if evidence.status != Evidence.SUBMITTED:
        raise ValidationError("This evidence has already been reviewed.")
    if outcome == Evidence.MORE_NEEDED and not note.strip():
        raise ValidationError({"note": "Say what more is needed, so they know what to add."})
    review = EvidenceReview.objects.create(
        evidence=evidence, reviewer=reviewer, outcome=outcome, note=note.strip()
    )
    evidence.status = outcome
    evidence.save(update_fields=["status"])
    if outcome == Evidence.SIGNED_OFF and evidence.competence_id:
        SignOff.objects.create(
            user=evidence.user,
            competence=evidence.competence,
            evidence=evidence,
            signed_off_by=reviewer,
            note=note.strip(),
        )
    audit_record(
        actor=reviewer,
        action=f"pathways.evidence.{outcome}",
        subject=evidence,
        subject_user=evidence.user,
        organisation=organisation or organisation_shared_by(user=reviewer, other=evidence.user),
    )
    enqueue("pathways.tasks.send_evidence_review_email", review.pk)
    readiness_refresh_later(user_ids=[evidence.user_id])
    return review


@transaction.atomic
def sign_off(*, user: User, competence: Competence, by: User, note: str = "") -> SignOff:
    """Sign off a competence directly (for example after observing practice)."""
    if user.pk == by.pk:
        raise ValidationError("You cannot sign off your own competences.")
    signoff = SignOff.objects.create(
        user=user, competence=competence, signed_off_by=by, note=note.strip()
    )
    audit_record(
        actor=by,
        action="pathways.sign_off",
        subject=signoff,
        subject_user=user,
        organisation=organisation_shared_by(user=by, other=user),
    )
    readiness_refresh_later(user_ids=[user.pk])
    return signoff


@transaction.atomic
def sign_off_withdraw(*, signoff: SignOff, by: User, note: str) -> SignOff:
    """Correct a sign-off made in error: a new record withdraws it; the original stays."""
    if not note.strip():
        raise ValidationError({"note": "Say why the sign-off is withdrawn."})
    if SignOff.objects.filter(withdraws=signoff).exists() or signoff.withdraws_id:
        raise ValidationError("This sign-off has already been corrected.")
    correction = SignOff.objects.create(
        user=signoff.user,
        competence=signoff.competence,
        signed_off_by=by,
        note=note.strip(),
        withdraws=signoff,
    )
    audit_record(
        actor=by,
        action="pathways.sign_off.withdrawn",
        subject=correction,
        subject_user=signoff.user,
        organisation=organisation_shared_by(user=by, other=signoff.user),
    )
    readiness_refresh_later(user_ids=[signoff.user_id])
    return correction


# --- Snapshots --------------------------------------------------------------------------------


def readiness_snapshot_take(*, organisation: Organisation, day=None) -> ReadinessSnapshot:
    """Record today's readiness figures for the trend; once a day per organisation."""
    day = day or timezone.localdate()
    figures = kept_readiness(organisation=organisation)
    snapshot, _ = ReadinessSnapshot.objects.update_or_create(
        organisation=organisation,
        taken_on=day,
        defaults={
            "headcount_by_stage": dict(figures.headcount),
            "ready_to_progress": figures.ready_count,
            "people": figures.people_count,
        },
    )
    return snapshot
