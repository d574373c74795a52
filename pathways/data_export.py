"""Pathways' part of "Download my data" (the kernel's `data_export` hook): the person's place on
each pathway, stage decisions, wellbeing pauses with their private note (it is theirs),
aspirations, evidence with its files and reviews, and sign-offs. A fixed number of queries,
however much there is."""

from django.db.models import Prefetch

from lms.data_export import ExportFile, ExportPart, name, plain, when
from lms.models import User
from lms.uploads import display_filename
from pathways.models import (
    Aspirations,
    Evidence,
    EvidenceReview,
    PathwayMembership,
    SignOff,
    StageDecision,
    WellbeingPause,
)


def pathways_export_part(user: User) -> ExportPart:
    evidence, files = _evidence(user)
    records = [
        *_places(user),
        *_decisions(user),
        *_pauses(user),
        *_aspirations(user),
        *evidence,
        *_sign_offs(user),
    ]
    return ExportPart(filename="pathways.json", records=records, files=files)


def _places(user: User) -> list[dict]:
    places = PathwayMembership.objects.filter(user=user).select_related("pathway", "stage")
    return [
        {
            "Record": "Place on a pathway",
            "Pathway": place.pathway.name,
            "Joined": when(place.joined_at),
            "Stage": place.stage.title,
            "Stage reached": when(place.stage_reached_at),
        }
        for place in places.order_by("joined_at", "pk")
    ]


def _decisions(user: User) -> list[dict]:
    decisions = StageDecision.objects.filter(membership__user=user).select_related(
        "membership__pathway", "from_stage", "to_stage", "decided_by"
    )
    return [
        {
            "Record": "Stage decision",
            "Pathway": decision.membership.pathway.name,
            "From stage": decision.from_stage.title if decision.from_stage else None,
            "To stage": decision.to_stage.title,
            "Decision": decision.get_outcome_display(),
            "Note": decision.note,
            "Decided by": name(decision.decided_by),
            "Decided": when(decision.decided_at),
        }
        for decision in decisions.order_by("decided_at", "pk")
    ]


def _pauses(user: User) -> list[dict]:
    return [
        {
            "Record": "Wellbeing pause",
            "Started": when(pause.started_at),
            "Ended": when(pause.ended_at),
            "Your private note": pause.private_note,
        }
        for pause in WellbeingPause.objects.filter(user=user).order_by("started_at", "pk")
    ]


def _aspirations(user: User) -> list[dict]:
    return [
        {
            "Record": "Goals and aspirations",
            "Your words": plain(aspirations.body),
            "Last changed": when(aspirations.updated_at),
        }
        for aspirations in Aspirations.objects.filter(user=user)
    ]


def _evidence(user: User) -> tuple[list[dict], list[ExportFile]]:
    reviews = EvidenceReview.objects.select_related("reviewer").order_by("reviewed_at", "pk")
    evidence = (
        Evidence.objects.filter(user=user)
        .select_related("competence")
        .prefetch_related(Prefetch("reviews", queryset=reviews))
    )
    records, files = [], []
    for item in evidence.order_by("submitted_at", "pk"):
        file = _evidence_file(item)
        if file:
            files.append(file)
        records.append(_evidence_record(item, file))
    return records, files


def _evidence_file(evidence: Evidence) -> ExportFile | None:
    if not evidence.file:
        return None
    shown = display_filename(evidence.original_filename) or evidence.file.name.rsplit("/")[-1]
    return ExportFile(
        storage=evidence.file.storage,
        path=evidence.file.name,
        name=f"pathways/evidence/{evidence.pk}-{shown}",
    )


def _evidence_record(evidence: Evidence, file: ExportFile | None) -> dict:
    competence = evidence.competence
    return {
        "Record": "Evidence",
        "Evidence number": evidence.pk,
        "Competence": f"{competence.code} {competence.name}" if competence else None,
        "Kind of evidence": evidence.evidence_kind or None,
        "Your statement": plain(evidence.statement),
        "File": file.zip_name if file else None,
        "File name when you sent it": evidence.original_filename or None,
        "Status": evidence.get_status_display(),
        "Sent": when(evidence.submitted_at),
        "Reviews": [
            {
                "Outcome": review.get_outcome_display(),
                "Note": review.note,
                "Reviewed by": name(review.reviewer),
                "Reviewed": when(review.reviewed_at),
            }
            for review in evidence.reviews.all()
        ],
    }


def _sign_offs(user: User) -> list[dict]:
    sign_offs = SignOff.objects.filter(user=user).select_related(
        "competence", "signed_off_by", "withdraws"
    )
    return [
        {
            "Record": "Sign-off",
            "Competence": f"{sign_off.competence.code} {sign_off.competence.name}",
            "Signed off by": name(sign_off.signed_off_by),
            "When": when(sign_off.signed_off_at),
            "Note": sign_off.note,
            "Withdraws the sign-off of": when(sign_off.withdraws.signed_off_at)
            if sign_off.withdraws
            else None,
            "Evidence number": sign_off.evidence_id,
        }
        for sign_off in sign_offs.order_by("signed_off_at", "pk")
    ]
