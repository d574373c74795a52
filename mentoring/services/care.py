"""Writes for care: concerns a mentor raises and what coordinators did about them, and a peer's
own wellness action plan and whom they share it with."""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lms.models import User
from lms.policy import is_staff_of
from lms.queue import enqueue
from lms.services import audit_record
from mentoring.models import (
    WELLNESS_PLAN_SECTIONS,
    Concern,
    ConcernResponse,
    Mentorship,
    WellnessPlan,
    WellnessPlanEntry,
)
from mentoring.selectors.care import current_mentorships_as_trainee

CONCERN_KINDS = {kind for kind, _ in Concern.KINDS}
# The same words sent again this soon are the same concern (a double submit or a retry).
REPEAT_WINDOW = timedelta(hours=1)
SECTION_KEYS = [key for key, _ in WELLNESS_PLAN_SECTIONS]

# --- Concerns ---------------------------------------------------------------------------------


@transaction.atomic
def concern_raise(*, mentorship: Mentorship, by: User, kind: str, description: str) -> Concern:
    """A mentor's concern about their mentee, in the mentor's own words only, sent to the
    organisation's coordinators at once. The same concern sent again within the hour (same
    kind, same words) is the one already raised: it is returned, and nothing more is written
    or sent."""
    mentorship = (
        Mentorship.objects.select_for_update(of=("self",))
        .select_related("trainee", "organisation")
        .get(pk=mentorship.pk)
    )
    if by.pk != mentorship.mentor_id:
        raise ValidationError("Only the mentor in this mentorship can raise a concern here.")
    if not mentorship.is_open:
        raise ValidationError(
            "This mentorship has ended. If you are still worried about this person, speak to "
            "your coordinator directly."
        )
    if kind not in CONCERN_KINDS:
        raise ValidationError({"kind": "Choose whether this is about wellbeing or safeguarding."})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": "Say what you noticed, in your own words."})
    # The mentorship row is locked, so a second submit waits here and then finds the first.
    already = (
        Concern.objects.filter(
            mentorship=mentorship,
            raised_by=by,
            about_id=mentorship.trainee_id,
            kind=kind,
            description=description,
            raised_at__gte=timezone.now() - REPEAT_WINDOW,
        )
        .order_by("-raised_at", "-pk")
        .first()
    )
    if already is not None:
        return already
    concern = Concern.objects.create(
        organisation_id=mentorship.organisation_id,
        mentorship=mentorship,
        about_id=mentorship.trainee_id,
        raised_by=by,
        kind=kind,
        description=description,
    )
    audit_record(
        actor=by,
        action="mentoring.concern.raised",
        subject=concern,
        subject_user=mentorship.trainee,
        organisation=mentorship.organisation,
        detail={"kind": kind},
    )
    enqueue("mentoring.tasks.send_concern_email", concern.pk)
    return concern


@transaction.atomic
def concern_respond(
    *, concern: Concern, by: User, action_taken: str, close: bool
) -> ConcernResponse:
    """Record what a coordinator did about a concern; closing it ends the record."""
    concern = (
        Concern.objects.select_for_update(of=("self",))
        .select_related("about", "organisation")
        .get(pk=concern.pk)
    )
    if by.pk == concern.about_id:
        raise ValidationError(
            "This concern is about you, so another coordinator will respond to it."
        )
    if concern.status == Concern.CLOSED:
        raise ValidationError(
            "This concern is already closed, so nothing more can be added to it. If something "
            "new has happened, the mentor can raise a new concern."
        )
    if not is_staff_of(viewer=by, organisation=concern.organisation):
        raise ValidationError("Only the organisation's coordinators can respond to a concern.")
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationError({"action_taken": "Say what was done, or what will happen next."})
    response = ConcernResponse.objects.create(
        concern=concern, responder=by, action_taken=action_taken, closes=close
    )
    if close:
        concern.status = Concern.CLOSED
        concern.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="mentoring.concern.closed" if close else "mentoring.concern.responded",
        subject=concern,
        subject_user=concern.about,
        organisation=concern.organisation,
    )
    return response


# --- Wellness action plan ---------------------------------------------------------------------


def _is_empty(html: str) -> bool:
    return not re.sub(r"<[^>]+>|&nbsp;|\s", "", html or "")


@transaction.atomic
def wellness_plan_save(*, user: User, sections: dict[str, str]) -> WellnessPlan:
    """Store a peer's plan, one row per section they wrote in; a section left empty is removed."""
    unknown = set(sections) - set(SECTION_KEYS)
    if unknown:
        raise ValidationError(f"A wellness action plan has no section called {sorted(unknown)[0]}.")
    plan, _ = WellnessPlan.objects.select_for_update().get_or_create(user=user)
    entries = {entry.section: entry for entry in plan.entries.all()}
    for section, body in sections.items():
        entry = entries.get(section)
        if _is_empty(body):
            if entry is not None:
                entry.delete()
        elif entry is None:
            WellnessPlanEntry.objects.create(plan=plan, section=section, body=body)
        elif entry.body != body:
            entry.body = body
            entry.save(update_fields=["body"])
    plan.updated_at = timezone.now()
    plan.save(update_fields=["updated_at"])
    return plan


@transaction.atomic
def wellness_plan_share(
    *, user: User, share: bool, mentorship: Mentorship | None = None
) -> WellnessPlan:
    """Share the plan with the person's current mentor (the one in `mentorship`, or their most
    recent current mentorship), or stop sharing it."""
    plan, _ = WellnessPlan.objects.select_for_update().get_or_create(user=user)
    if not share:
        target = None
    else:
        current = current_mentorships_as_trainee(user=user).order_by("-started_at", "-pk")
        target = (
            current.filter(pk=mentorship.pk).first() if mentorship is not None else current.first()
        )
        if target is None:
            raise ValidationError(
                {
                    "share": "You do not have a current mentor to share your plan with. You "
                    "can share it once you are working with one."
                }
            )
    before = plan.shared_with
    if (before and before.pk) == (target and target.pk):
        return plan  # saving the plan again with the same choice decides nothing
    plan.shared_with = target
    plan.shared_at = timezone.now() if target else None
    plan.save(update_fields=["shared_with", "shared_at"])
    # Filed under the mentorship it was shared in (or stopped being shared in).
    mentorship = target or before
    audit_record(
        actor=user,
        action="mentoring.wellness_plan.shared" if target else "mentoring.wellness_plan.unshared",
        subject=plan,
        subject_user=user,
        organisation=mentorship.organisation,
        detail={"mentorship": mentorship.pk},
    )
    return plan
