"""Writes for supervision: logging and correcting a session, the mentee confirming it (or saying
it is wrong), marking action items done, and the mentee's feedback.

A session counts towards anything only once its mentee confirms it. The mentor's private notes
live in their own row, written here and read back only for their author.
"""

from collections.abc import Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from lms.models import User
from lms.queue import enqueue
from lms.sanitiser import clean_html
from lms.services import audit_record
from mentoring.models import (
    SUPERVISION_TOPICS,
    ActionItem,
    Mentorship,
    SessionFeedback,
    SessionFormat,
    SessionPrivateNote,
    SupervisionSession,
)
from pathways.readiness_keeping import readiness_refresh_later

MAX_ACTIONS = 3
WELLBEING_RANGE = range(1, 6)
RATING_RANGE = range(1, 5)

ENDED_MESSAGE = "This mentorship has ended, so sessions can no longer be logged for it."
CONFIRMED_MESSAGE = "This session has been confirmed, so it can no longer be changed."
FEEDBACK_TWICE_MESSAGE = "You have already given feedback on this session"


def mentorship_began_on(mentorship: Mentorship) -> date:
    """The first day a session of this mentorship can have been held on: the (local) day the
    mentorship was made."""
    return timezone.localdate(mentorship.created_at)


def session_problems(
    *, held_on: date | None, duration_minutes: int | None, began_on: date | None = None
) -> dict[str, str]:
    """What is wrong with a session's date and length, by field (empty when nothing is);
    `began_on` is the first day the mentorship allows (see `mentorship_began_on`). Forms call
    this too, so that every problem shows at once."""
    problems = {}
    if held_on is not None and held_on > timezone.localdate():
        problems["held_on"] = "The date of the session must be today or in the past"
    elif held_on is not None and began_on is not None and held_on < began_on:
        problems["held_on"] = (
            f"The date must be on or after {format_date(began_on, 'j F Y')}, when this "
            "mentorship began."
        )
    if duration_minutes is not None:
        if duration_minutes <= 0:
            problems["duration_minutes"] = "Enter how long the session lasted, in minutes"
        elif duration_minutes > SupervisionSession.MAX_MINUTES:
            problems["duration_minutes"] = "A session can be at most 8 hours (480 minutes)"
    return problems


def _check_session(
    *, mentorship: Mentorship, held_on, duration_minutes, format, topics, actions
) -> None:
    problems = session_problems(
        held_on=held_on,
        duration_minutes=duration_minutes,
        began_on=mentorship_began_on(mentorship),
    )
    if held_on is None:
        problems["held_on"] = "Enter the date of the session"
    if duration_minutes is None:
        problems["duration_minutes"] = "Enter how long the session lasted, in minutes"
    if format not in SessionFormat.values:
        problems["format"] = "Choose how you met"
    known = {key for key, _ in SUPERVISION_TOPICS}
    if any(topic not in known for topic in topics):
        problems["topics"] = "Choose topics from the list"
    if len(actions) > MAX_ACTIONS:
        problems["actions"] = f"A session can have at most {MAX_ACTIONS} action items"
    people = {mentorship.trainee_id, mentorship.mentor_id}
    for action in actions:
        if not (action.get("description") or "").strip():
            problems["actions"] = "Describe each action item"
        elif getattr(action.get("owner"), "pk", None) not in people:
            problems["actions"] = "Each action belongs to the mentee or the mentor"
    if problems:
        raise ValidationError(problems)


def _locked_mentorship(mentorship_id: int, by: User) -> Mentorship:
    mentorship = Mentorship.objects.select_for_update().get(pk=mentorship_id)
    if by.pk != mentorship.mentor_id:
        raise ValidationError("Only the mentor in this mentorship can log its sessions.")
    return mentorship


def _save_private_note(*, session: SupervisionSession, by: User, private_notes: str) -> None:
    body = clean_html(private_notes)
    if body:
        SessionPrivateNote.objects.update_or_create(
            session=session, author=by, defaults={"body": body, "updated_at": timezone.now()}
        )
    else:
        SessionPrivateNote.objects.filter(session=session, author=by).delete()


def _tell_mentee(session: SupervisionSession) -> None:
    enqueue("mentoring.tasks.send_session_to_confirm_email", session.pk)


def _audit(session: SupervisionSession, *, by: User, verb: str) -> None:
    """One event per decision on a session: ids only, never the summary, notes or check-in."""
    mentorship = session.mentorship
    audit_record(
        actor=by,
        action=f"mentoring.session.{verb}",
        subject=session,
        subject_user=mentorship.trainee,
        organisation=mentorship.organisation,
        detail={"mentorship": mentorship.pk},
    )


@transaction.atomic
def session_log(
    *,
    mentorship: Mentorship,
    by: User,
    held_on: date,
    duration_minutes: int,
    format: str,
    topics: list[str],
    summary: str,
    private_notes: str,
    actions: Iterable[Mapping],
) -> SupervisionSession:
    """Log a session the mentor held, for the mentee to confirm. `actions` are mappings with
    `description`, `owner` (the mentee or the mentor) and an optional `due_on`. The same
    session logged again (same date, length and format, and not one the mentee said was
    wrong) is refused, so a double submit writes nothing more."""
    mentorship = _locked_mentorship(mentorship.pk, by)
    if not mentorship.is_open:
        raise ValidationError(ENDED_MESSAGE)
    actions = list(actions)
    topics = list(topics)
    _check_session(
        mentorship=mentorship,
        held_on=held_on,
        duration_minutes=duration_minutes,
        format=format,
        topics=topics,
        actions=actions,
    )
    # The mentorship row is locked, so a second submit of the same form waits here and then
    # finds the first one's session.
    already = (
        SupervisionSession.objects.filter(
            mentorship=mentorship,
            held_on=held_on,
            duration_minutes=duration_minutes,
            format=format,
        )
        .exclude(status=SupervisionSession.DISPUTED)
        .order_by("pk")
        .first()
    )
    if already is not None:
        raise ValidationError(
            f"This session is already logged — see {format_date(already.held_on, 'j F Y')}."
        )
    session = SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=held_on,
        duration_minutes=duration_minutes,
        format=format,
        topics=topics,
        summary=summary,
        logged_by=by,
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            session=session,
            description=action["description"].strip(),
            owner=action["owner"],
            due_on=action.get("due_on"),
        )
        for action in actions
    )
    if clean_html(private_notes):
        SessionPrivateNote.objects.create(session=session, author=by, body=private_notes)
    _audit(session, by=by, verb="logged")
    _tell_mentee(session)
    return session


@transaction.atomic
def session_edit(
    *,
    session: SupervisionSession,
    by: User,
    held_on: date,
    duration_minutes: int,
    format: str,
    topics: list[str],
    summary: str,
    private_notes: str,
    actions: Iterable[Mapping],
) -> SupervisionSession:
    """Correct a session that is waiting to be confirmed or that the mentee said was wrong,
    while the mentorship has not ended; it goes back to the mentee to confirm. Each action
    mapping may carry the `id` of one of the session's actions to change it; the session's
    other actions are removed."""
    mentorship = _locked_mentorship(session.mentorship_id, by)
    if not mentorship.is_open:
        raise ValidationError(ENDED_MESSAGE)
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    if session.status == SupervisionSession.CONFIRMED:
        raise ValidationError(CONFIRMED_MESSAGE)
    actions = list(actions)
    topics = list(topics)
    _check_session(
        mentorship=mentorship,
        held_on=held_on,
        duration_minutes=duration_minutes,
        format=format,
        topics=topics,
        actions=actions,
    )
    session.held_on = held_on
    session.duration_minutes = duration_minutes
    session.format = format
    session.topics = topics
    session.summary = summary
    session.status = SupervisionSession.AWAITING
    session.dispute_note = ""
    session.mentee_told_at = None
    session.save()
    _sync_actions(session, actions)
    _save_private_note(session=session, by=by, private_notes=private_notes)
    session.mentorship = mentorship
    _audit(session, by=by, verb="edited")
    _tell_mentee(session)
    return session


def _sync_actions(session: SupervisionSession, actions: list[Mapping]) -> None:
    existing = {action.pk: action for action in session.actions.all()}
    kept = set()
    for spec in actions:
        action = existing.get(spec.get("id"))
        if action is None:
            action = ActionItem(session=session)
        action.description = spec["description"].strip()
        action.owner = spec["owner"]
        action.due_on = spec.get("due_on")
        action.save()
        kept.add(action.pk)
    session.actions.exclude(pk__in=kept).delete()


def _check_mentee(session: SupervisionSession, by: User, doing: str) -> None:
    mentorship = session.mentorship
    if by.pk == mentorship.mentor_id:
        raise ValidationError(
            f"You logged this session, so {mentorship.trainee} is the one to {doing} it."
        )
    if by.pk != mentorship.trainee_id:
        raise ValidationError(f"Only the mentee can {doing} this session.")


@transaction.atomic
def session_confirm(
    *, session: SupervisionSession, by: User, wellbeing_checkin: int | None = None
) -> SupervisionSession:
    """The mentee confirms the session happened as logged, with an optional wellbeing check-in.
    Confirming again changes nothing."""
    session = (
        SupervisionSession.objects.select_for_update()
        .select_related("mentorship__trainee")
        .get(pk=session.pk)
    )
    _check_mentee(session, by, "confirm")
    if session.status == SupervisionSession.CONFIRMED:
        return session
    if wellbeing_checkin is not None and wellbeing_checkin not in WELLBEING_RANGE:
        raise ValidationError(
            {"wellbeing_checkin": "Choose how you are doing from the list, or leave it out"}
        )
    session.status = SupervisionSession.CONFIRMED
    session.confirmed_at = timezone.now()
    session.wellbeing_checkin = wellbeing_checkin
    session.dispute_note = ""
    session.save(update_fields=["status", "confirmed_at", "wellbeing_checkin", "dispute_note"])
    _audit(session, by=by, verb="confirmed")
    # Confirmed hours count towards supervision requirements, received and given.
    mentorship = session.mentorship
    readiness_refresh_later(user_ids=[mentorship.trainee_id, mentorship.mentor_id])
    return session


@transaction.atomic
def session_dispute(*, session: SupervisionSession, by: User, note: str) -> SupervisionSession:
    """The mentee says the session is not right, and what; the mentor can then correct it."""
    session = (
        SupervisionSession.objects.select_for_update()
        .select_related("mentorship__trainee")
        .get(pk=session.pk)
    )
    _check_mentee(session, by, "confirm")
    note = (note or "").strip()
    if session.status == SupervisionSession.CONFIRMED:
        raise ValidationError(
            "You have confirmed this session already. If something in it is wrong, "
            "talk to your mentor."
        )
    if not note:
        raise ValidationError({"note": "Say what is not right, so your mentor can correct it"})
    if session.status == SupervisionSession.DISPUTED and session.dispute_note == note:
        return session
    session.status = SupervisionSession.DISPUTED
    session.dispute_note = note
    session.save(update_fields=["status", "dispute_note"])
    _audit(session, by=by, verb="disputed")
    return session


def action_complete(*, action: ActionItem, by: User) -> ActionItem:
    """Mark an action item done: by the person who owns it, or by the mentor. Once is enough."""
    mentorship = action.session.mentorship
    if by.pk not in (action.owner_id, mentorship.mentor_id):
        raise ValidationError("Only the person it belongs to, or the mentor, can mark this done.")
    ActionItem.objects.filter(pk=action.pk, done_at__isnull=True).update(done_at=timezone.now())
    action.refresh_from_db(fields=["done_at"])
    return action


def feedback_give(
    *, session: SupervisionSession, by: User, rating: int, comment: str
) -> SessionFeedback:
    """The mentee's rating (1 to 4) of a confirmed session, once per session."""
    if by.pk != session.mentorship.trainee_id:
        raise ValidationError("Only the mentee can give feedback on this session.")
    if session.status != SupervisionSession.CONFIRMED:
        raise ValidationError("You can give feedback once you have confirmed the session.")
    if rating not in RATING_RANGE:
        raise ValidationError({"rating": "Choose how helpful the session was"})
    if SessionFeedback.objects.filter(session=session).exists():
        raise ValidationError(FEEDBACK_TWICE_MESSAGE)
    try:
        with transaction.atomic():
            feedback = SessionFeedback.objects.create(
                session=session, rating=rating, comment=(comment or "").strip()
            )
    except IntegrityError:
        # Two submits at the same moment: the first one stands.
        raise ValidationError(FEEDBACK_TWICE_MESSAGE) from None
    # Organisations see feedback only in aggregate, so neither the rating nor the words go in.
    _audit(session, by=by, verb="feedback_given")
    return feedback
