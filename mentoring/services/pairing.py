"""Writes for pairing: asking a mentor, answering, withdrawing and lapsing requests, a
coordinator's proposals, and a mentorship's agreement and lifecycle.

Races are settled by the database: one pending request per trainee and one open mentorship per
trainee are unique constraints, and accepting locks the mentor's profile row before counting
their mentees, so two acceptances at the same moment cannot both take the last place.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.services import reflection_shares_end
from lms.models import Organisation, Role, User
from lms.policy import holds_role, is_staff_of
from lms.queue import enqueue
from lms.sanitiser import clean_html
from lms.services import audit_record
from mentoring.access import relationship_key
from mentoring.models import (
    EndReason,
    MentorProfile,
    MentorRequest,
    Mentorship,
    WellnessPlan,
)
from mentoring.selectors.matching import mentor_is_eligible, mentoring_settings_for
from mentoring.selectors.pairing import (
    agreement_fingerprint,
    open_mentorship_count,
    why_trainee_cannot_ask,
)
from pathways.readiness_keeping import readiness_refresh_later

NEXT_SESSION_MAX_MINUTES = 8 * 60
NEXT_SESSION_TOO_FAR = "The next session must be within a year from today."


def next_session_latest_date(*, today: date | None = None) -> date:
    """The last day a next session may be planned for: the same date a year from today (28
    February when today is 29 February)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def _audit(*, by: User | None, verb: str, subject, organisation: Organisation, **detail):
    thing = "request" if isinstance(subject, MentorRequest) else "mentorship"
    audit_record(
        actor=by,
        action=f"mentoring.{thing}.{verb}",
        subject=subject,
        subject_user=subject.trainee,
        organisation=organisation,
        detail=detail or None,
    )


def _respond_by(organisation: Organisation, now: datetime) -> datetime:
    return now + timedelta(days=mentoring_settings_for(organisation=organisation).response_days)


# --- Asking -----------------------------------------------------------------------------------


@transaction.atomic
def mentor_request_create(*, trainee: User, profile: MentorProfile, message: str) -> MentorRequest:
    """A trainee asks one mentor; the mentor is emailed and has the organisation's response
    time to answer. A request of theirs that lapsed unanswered, which the hourly expiry has not
    reached yet, is lapsed first, so it does not stand in the way."""
    organisation = profile.organisation
    now = timezone.now()
    _expire_lapsed(now=now, trainee=trainee)
    refusal = why_trainee_cannot_ask(trainee=trainee, profile=profile)
    if refusal:
        raise ValidationError(refusal)
    try:
        with transaction.atomic():
            mentor_request = MentorRequest.objects.create(
                organisation=organisation,
                trainee=trainee,
                mentor=profile.user,
                message=message.strip(),
                trainee_accepted_at=now,  # asking is the trainee's yes
                created_at=now,
                respond_by=_respond_by(organisation, now),
            )
    except IntegrityError:
        # Two tabs (or a double click) got past the check at the same moment: the partial
        # unique constraint let one in, and this one is told about it.
        raise ValidationError(
            why_trainee_cannot_ask(trainee=trainee, profile=profile)
            or "You are already waiting for an answer to a request."
        ) from None
    _audit(by=trainee, verb="create", subject=mentor_request, organisation=organisation)
    enqueue("mentoring.tasks.send_mentor_request_email", mentor_request.pk)
    return mentor_request


@transaction.atomic
def mentor_request_propose(
    *, organisation: Organisation, trainee: User, mentor: User, by: User, message: str
) -> MentorRequest:
    """A coordinator proposes a pairing. Nothing starts until both people have said yes."""
    if not is_staff_of(viewer=by, organisation=organisation):
        raise ValidationError("Only the organisation's coordinators can propose a pairing.")
    if not holds_role(user=trainee, organisation=organisation, roles={Role.PEER}):
        raise ValidationError({"trainee": f"{trainee} is not a peer at {organisation}."})
    profile = MentorProfile.objects.filter(user=mentor, organisation=organisation).first()
    if profile is None:
        raise ValidationError({"mentor": f"{mentor} has no mentor profile at {organisation}."})
    now = timezone.now()
    _expire_lapsed(now=now, trainee=trainee)
    refusal = why_trainee_cannot_ask(trainee=trainee, profile=profile, asked_by=by)
    if refusal:
        raise ValidationError(refusal)
    try:
        with transaction.atomic():
            mentor_request = MentorRequest.objects.create(
                organisation=organisation,
                trainee=trainee,
                mentor=mentor,
                message=message.strip(),
                proposed_by=by,
                created_at=now,
                respond_by=_respond_by(organisation, now),
            )
    except IntegrityError:
        raise ValidationError(
            why_trainee_cannot_ask(trainee=trainee, profile=profile, asked_by=by)
            or f"{trainee} is already waiting for an answer to a request."
        ) from None
    _audit(by=by, verb="propose", subject=mentor_request, organisation=organisation)
    enqueue("mentoring.tasks.send_mentor_request_email", mentor_request.pk)
    return mentor_request


# --- Answering --------------------------------------------------------------------------------


def _check_still_pending(mentor_request: MentorRequest, *, now: datetime, verb: str) -> None:
    status = mentor_request.status
    if status == MentorRequest.WITHDRAWN:
        raise ValidationError(f"This request was withdrawn, so there is nothing to {verb}.")
    if status in (MentorRequest.ACCEPTED, MentorRequest.DECLINED):
        raise ValidationError("This request has already been answered.")
    if status == MentorRequest.EXPIRED or mentor_request.respond_by <= now:
        raise ValidationError(
            f"This request lapsed before it was answered, so there is nothing to {verb}."
        )


def _answering_side(mentor_request: MentorRequest, by: User) -> str:
    """Which yes this person gives: the mentor's, or (for a proposal) the trainee's."""
    if by.pk == mentor_request.mentor_id:
        return "mentor"
    if by.pk == mentor_request.trainee_id and mentor_request.is_proposal:
        return "trainee"
    raise ValidationError(f"Only {mentor_request.mentor} can answer this request.")


def _check_room(mentor_request: MentorRequest, *, side: str) -> None:
    """Lock the mentor's profile, then check they may still mentor here (their mentor role and
    the stage the organisation asks can lapse after a request was made) and count their
    mentees: whoever takes the lock second counts the first one's new mentorship."""
    profile = (
        MentorProfile.objects.select_for_update()
        .filter(user_id=mentor_request.mentor_id, organisation_id=mentor_request.organisation_id)
        .first()
    )
    if profile is None:
        raise ValidationError(
            f"{mentor_request.mentor} no longer has a mentor profile here, so this pairing "
            "cannot start."
        )
    if not mentor_is_eligible(user=mentor_request.mentor, organisation=mentor_request.organisation):
        if side == "mentor":
            raise ValidationError(
                f"You are not mentoring at {mentor_request.organisation} at the moment, so you "
                "cannot accept this now. Your coordinator can tell you more."
            )
        raise ValidationError(
            f"{mentor_request.mentor} is not mentoring at {mentor_request.organisation} at the "
            "moment, so this pairing cannot start. Your coordinator can help you find someone "
            "else."
        )
    taken = open_mentorship_count(
        mentor=mentor_request.mentor, organisation=mentor_request.organisation
    )
    if taken < profile.capacity:
        return
    if side == "mentor":
        raise ValidationError(
            f"You are at your capacity of {profile.capacity} "
            f"mentee{'s' if profile.capacity != 1 else ''}, so you cannot accept this now. "
            "You can decline kindly, or end or change a mentorship first."
        )
    raise ValidationError(
        f"{mentor_request.mentor} has no free place at the moment, so this pairing cannot start. "
        "Your coordinator can help you find someone else."
    )


def _start_mentorship(mentor_request: MentorRequest, *, by: User, now: datetime) -> Mentorship:
    if Mentorship.objects.filter(
        trainee_id=mentor_request.trainee_id,
        organisation_id=mentor_request.organisation_id,
        status__in=Mentorship.OPEN,
    ).exists():
        raise ValidationError(
            f"{mentor_request.trainee} already has a mentor, so this pairing cannot start."
        )
    try:
        with transaction.atomic():
            mentorship = Mentorship.objects.create(
                organisation_id=mentor_request.organisation_id,
                trainee_id=mentor_request.trainee_id,
                mentor_id=mentor_request.mentor_id,
                request=mentor_request,
                created_at=now,
            )
    except IntegrityError:
        raise ValidationError(
            f"{mentor_request.trainee} already has a mentor, so this pairing cannot start."
        ) from None
    _audit(by=by, verb="create", subject=mentorship, organisation=mentor_request.organisation)
    return mentorship


@transaction.atomic
def mentor_request_answer(
    *, mentor_request: MentorRequest, by: User, accept: bool, note: str = ""
) -> MentorRequest:
    """The mentor (or, for a proposal, either person) says yes or no. A request becomes a
    proposed mentorship once every yes it needs is given; any no ends it."""
    mentor_request = (
        MentorRequest.objects.select_for_update(of=("self",))
        .select_related("trainee", "mentor", "organisation")
        .get(pk=mentor_request.pk)
    )
    side = _answering_side(mentor_request, by)
    now = timezone.now()
    _check_still_pending(mentor_request, now=now, verb="accept" if accept else "decline")
    note = note.strip()
    if note and mentor_request.is_proposal:
        note = f"{by}: {note}"
    mentor_request.answer_note = "\n\n".join(filter(None, [mentor_request.answer_note, note]))
    if not accept:
        mentor_request.status = MentorRequest.DECLINED
        mentor_request.answered_at = now
        mentor_request.save(update_fields=["status", "answered_at", "answer_note"])
        _audit(
            by=by, verb="decline", subject=mentor_request, organisation=mentor_request.organisation
        )
        enqueue("mentoring.tasks.send_mentor_request_outcome_email", mentor_request.pk)
        return mentor_request

    accepted_field = f"{side}_accepted_at"
    if getattr(mentor_request, accepted_field):
        raise ValidationError("You have already said yes. The other person has not answered yet.")
    setattr(mentor_request, accepted_field, now)
    fields = [accepted_field, "answer_note"]
    if mentor_request.trainee_accepted_at and mentor_request.mentor_accepted_at:
        _check_room(mentor_request, side=side)
        _start_mentorship(mentor_request, by=by, now=now)
        mentor_request.status = MentorRequest.ACCEPTED
        mentor_request.answered_at = now
        fields += ["status", "answered_at"]
        enqueue("mentoring.tasks.send_mentor_request_outcome_email", mentor_request.pk)
    mentor_request.save(update_fields=fields)
    _audit(by=by, verb="accept", subject=mentor_request, organisation=mentor_request.organisation)
    return mentor_request


@transaction.atomic
def mentor_request_withdraw(*, mentor_request: MentorRequest, by: User) -> MentorRequest:
    """The trainee takes back a request they made while it is still waiting."""
    mentor_request = (
        MentorRequest.objects.select_for_update(of=("self",))
        .select_related("trainee", "mentor", "organisation")
        .get(pk=mentor_request.pk)
    )
    if by.pk != mentor_request.trainee_id or mentor_request.is_proposal:
        raise ValidationError("Only the person who asked can withdraw a request.")
    if mentor_request.status == MentorRequest.WITHDRAWN:
        raise ValidationError("You have already withdrawn this request.")
    if mentor_request.status == MentorRequest.ACCEPTED:
        raise ValidationError(
            "This request has already been accepted. You can end the mentorship from its page."
        )
    if mentor_request.status != MentorRequest.PENDING:
        raise ValidationError("This request is no longer waiting for an answer.")
    mentor_request.status = MentorRequest.WITHDRAWN
    mentor_request.answered_at = timezone.now()
    mentor_request.save(update_fields=["status", "answered_at"])
    _audit(by=by, verb="withdraw", subject=mentor_request, organisation=mentor_request.organisation)
    return mentor_request


def mentor_request_restorable(
    mentor_request: MentorRequest, *, now: datetime | None = None
) -> bool:
    """Whether a withdrawn request could still be waiting for its answer: the trainee's own
    request (not a coordinator's proposal) whose answer-by time is still ahead."""
    now = now or timezone.now()
    return (
        mentor_request.status == MentorRequest.WITHDRAWN
        and not mentor_request.is_proposal
        and mentor_request.respond_by > now
    )


@transaction.atomic
def mentor_request_restore(*, mentor_request: MentorRequest, by: User) -> MentorRequest:
    """Undo a withdrawal while the request could still be pending: it waits for its answer again,
    with the same answer-by date. Refused when the trainee has asked someone else meanwhile or
    has a mentor now."""
    mentor_request = (
        MentorRequest.objects.select_for_update(of=("self",))
        .select_related("trainee", "mentor", "organisation")
        .get(pk=mentor_request.pk)
    )
    if by.pk != mentor_request.trainee_id or not mentor_request_restorable(mentor_request):
        raise ValidationError("This request can no longer be brought back. You can ask again.")
    others = MentorRequest.objects.filter(
        trainee_id=mentor_request.trainee_id,
        organisation_id=mentor_request.organisation_id,
        status=MentorRequest.PENDING,
    )
    if others.exists():
        raise ValidationError("You are waiting on another request, so this one cannot come back.")
    mentorships = Mentorship.objects.filter(
        trainee_id=mentor_request.trainee_id,
        organisation_id=mentor_request.organisation_id,
        status__in=Mentorship.OPEN,
    )
    if mentorships.exists():
        raise ValidationError("You have a mentor now, so this request cannot come back.")
    # Whatever would stop a new request stops the old one coming back (the mentor stopped
    # mentoring, or is full).
    profile = MentorProfile.objects.filter(
        user_id=mentor_request.mentor_id, organisation_id=mentor_request.organisation_id
    ).first()
    refusal = (
        why_trainee_cannot_ask(trainee=mentor_request.trainee, profile=profile)
        if profile
        else "This mentor is not taking requests here any more."
    )
    if refusal:
        raise ValidationError(refusal)
    mentor_request.status = MentorRequest.PENDING
    mentor_request.answered_at = None
    try:
        with transaction.atomic():
            mentor_request.save(update_fields=["status", "answered_at"])
    except IntegrityError:
        raise ValidationError(
            "You are waiting on another request, so this one cannot come back."
        ) from None
    _audit(by=by, verb="restore", subject=mentor_request, organisation=mentor_request.organisation)
    if mentor_request.announced_at is None:
        # Withdrawn before its email went: the mentor has not heard of it yet.
        enqueue("mentoring.tasks.send_mentor_request_email", mentor_request.pk)
    return mentor_request


def _expire_lapsed(*, now: datetime, **scope) -> int:
    """Lapse the requests (within `scope`, e.g. one trainee's) still pending after their
    respond-by time, and queue the email telling the trainee. Call inside a transaction: the
    rows are locked, and the update only touches those still pending, so a run side by side
    claims each request once."""
    due = list(
        MentorRequest.objects.select_for_update(of=("self",))
        .filter(status=MentorRequest.PENDING, respond_by__lte=now, **scope)
        .select_related("trainee", "organisation")
        .order_by("pk")
    )
    if not due:
        return 0
    expired = MentorRequest.objects.filter(
        pk__in=[mentor_request.pk for mentor_request in due], status=MentorRequest.PENDING
    ).update(status=MentorRequest.EXPIRED, answered_at=now)
    for mentor_request in due:
        _audit(
            by=None,
            verb="expire",
            subject=mentor_request,
            organisation=mentor_request.organisation,
        )
        enqueue("mentoring.tasks.send_mentor_request_outcome_email", mentor_request.pk)
    return expired


def mentor_requests_expire(*, now: datetime | None = None) -> int:
    """Lapse every request still pending after its respond-by time, and tell the trainee.
    Safe to run twice or side by side: the locked rows are claimed by one run only."""
    with transaction.atomic():
        return _expire_lapsed(now=now or timezone.now())


# --- The mentorship ---------------------------------------------------------------------------


def _locked(mentorship: Mentorship, *, by: User) -> Mentorship:
    mentorship = (
        Mentorship.objects.select_for_update(of=("self",))
        .select_related("trainee", "mentor", "organisation")
        .get(pk=mentorship.pk)
    )
    if by.pk not in (mentorship.trainee_id, mentorship.mentor_id):
        raise ValidationError("Only the two people in a mentorship can change it.")
    return mentorship


def _check_not_ended(mentorship: Mentorship, doing: str) -> None:
    if mentorship.status == Mentorship.ENDED:
        raise ValidationError(f"This mentorship has ended, so you cannot {doing}.")


@transaction.atomic
def agreement_save(
    *,
    mentorship: Mentorship,
    by: User,
    goals: str,
    meeting_frequency: str,
    boundaries: str,
    confidentiality: str,
) -> Mentorship:
    """Either person writes the agreement (the texts as HTML, as the form's sanitised fields
    give them; stored cleaned). A change asks both to confirm it again."""
    mentorship = _locked(mentorship, by=by)
    _check_not_ended(mentorship, "change its agreement")
    before = agreement_fingerprint(mentorship)
    mentorship.goals = clean_html(goals)
    mentorship.meeting_frequency = meeting_frequency.strip()
    mentorship.boundaries = clean_html(boundaries)
    mentorship.confidentiality = clean_html(confidentiality)
    if agreement_fingerprint(mentorship) == before:
        return mentorship
    mentorship.trainee_confirmed_at = mentorship.mentor_confirmed_at = None
    mentorship.save(
        update_fields=[
            "goals",
            "meeting_frequency",
            "boundaries",
            "confidentiality",
            "trainee_confirmed_at",
            "mentor_confirmed_at",
        ]
    )
    _audit(by=by, verb="agreement_change", subject=mentorship, organisation=mentorship.organisation)
    return mentorship


@transaction.atomic
def agreement_confirm(*, mentorship: Mentorship, by: User, fingerprint: str = "") -> Mentorship:
    """One person confirms the agreement as they read it (`fingerprint` of that version, when
    given). Once both have, a proposed mentorship becomes active."""
    mentorship = _locked(mentorship, by=by)
    _check_not_ended(mentorship, "confirm its agreement")
    if fingerprint and fingerprint != agreement_fingerprint(mentorship):
        raise ValidationError(
            "The agreement was changed after you opened the page. Read it again, then confirm."
        )
    if not (mentorship.goals and mentorship.meeting_frequency):
        raise ValidationError(
            "Write down your goals and how often you will meet before confirming the agreement."
        )
    field = "trainee_confirmed_at" if by.pk == mentorship.trainee_id else "mentor_confirmed_at"
    if getattr(mentorship, field):
        raise ValidationError("You have already confirmed this agreement.")
    now = timezone.now()
    setattr(mentorship, field, now)
    fields = [field]
    _audit(by=by, verb="confirm", subject=mentorship, organisation=mentorship.organisation)
    if mentorship.agreement_confirmed and mentorship.status == Mentorship.PROPOSED:
        mentorship.status = Mentorship.ACTIVE
        mentorship.started_at = now
        fields += ["status", "started_at"]
        _audit(by=by, verb="start", subject=mentorship, organisation=mentorship.organisation)
        # Trainees mentored count from the start (a pathway requirement kind).
        readiness_refresh_later(user_ids=[mentorship.mentor_id, mentorship.trainee_id])
    mentorship.save(update_fields=fields)
    return mentorship


@transaction.atomic
def mentorship_pause(*, mentorship: Mentorship, by: User) -> Mentorship:
    """Either person pauses an active mentorship (a break, with no reason asked)."""
    mentorship = _locked(mentorship, by=by)
    _check_not_ended(mentorship, "pause it")
    if mentorship.status == Mentorship.PAUSED:
        raise ValidationError("This mentorship is already paused.")
    if mentorship.status != Mentorship.ACTIVE:
        raise ValidationError("You can pause once you have both confirmed the agreement.")
    mentorship.status = Mentorship.PAUSED
    mentorship.paused_at = timezone.now()
    mentorship.save(update_fields=["status", "paused_at"])
    _audit(by=by, verb="pause", subject=mentorship, organisation=mentorship.organisation)
    return mentorship


@transaction.atomic
def mentorship_resume(*, mentorship: Mentorship, by: User) -> Mentorship:
    """Either person picks a paused mentorship up again."""
    mentorship = _locked(mentorship, by=by)
    _check_not_ended(mentorship, "resume it")
    if mentorship.status != Mentorship.PAUSED:
        raise ValidationError("This mentorship is not paused.")
    mentorship.status = Mentorship.ACTIVE
    mentorship.paused_at = None
    mentorship.save(update_fields=["status", "paused_at"])
    _audit(by=by, verb="resume", subject=mentorship, organisation=mentorship.organisation)
    return mentorship


@transaction.atomic
def mentorship_end(*, mentorship: Mentorship, by: User, reason: str, note: str = "") -> Mentorship:
    """Either person ends the mentorship, with a no-fault reason. The rows stay as history,
    what the trainee shared in it (wellness plan, reflections) stops being shared, and the
    trainee may choose again."""
    mentorship = _locked(mentorship, by=by)
    if mentorship.status == Mentorship.ENDED:
        raise ValidationError("This mentorship has already ended.")
    if reason not in EndReason.values:
        raise ValidationError({"reason": "Choose the reason that fits best."})
    mentorship.status = Mentorship.ENDED
    mentorship.ended_at = timezone.now()
    mentorship.ended_by = by
    mentorship.end_reason = reason
    mentorship.end_note = note.strip()
    mentorship.save(update_fields=["status", "ended_at", "ended_by", "end_reason", "end_note"])
    WellnessPlan.objects.filter(shared_with=mentorship).update(shared_with=None, shared_at=None)
    reflection_shares_end(relationship=relationship_key(mentorship))
    _audit(
        by=by, verb="end", subject=mentorship, organisation=mentorship.organisation, reason=reason
    )
    return mentorship


@transaction.atomic
def next_session_set(
    *, mentorship: Mentorship, by: User, starts_at: datetime, minutes: int, place: str = ""
) -> Mentorship:
    """Either person records the next session they have agreed, for both calendars."""
    mentorship = _locked(mentorship, by=by)
    _check_not_ended(mentorship, "plan a session")
    if starts_at <= timezone.now():
        raise ValidationError({"date": "The next session must be in the future."})
    # Compared as moments, never by adding to the date, so that no date overflows.
    latest = next_session_latest_date() + timedelta(days=1)
    if starts_at >= timezone.make_aware(datetime.combine(latest, time.min)):
        raise ValidationError({"date": NEXT_SESSION_TOO_FAR})
    if not 0 < minutes <= NEXT_SESSION_MAX_MINUTES:
        raise ValidationError({"minutes": "A session lasts between 1 minute and 8 hours."})
    mentorship.next_session_at = starts_at
    mentorship.next_session_minutes = minutes
    mentorship.next_session_place = place.strip()
    mentorship.save(update_fields=["next_session_at", "next_session_minutes", "next_session_place"])
    _audit(by=by, verb="schedule", subject=mentorship, organisation=mentorship.organisation)
    return mentorship
