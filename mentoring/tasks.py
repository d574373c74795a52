"""Background tasks for mentoring. Queue them with `lms.queue.enqueue`; each takes ids and does
nothing the second time. Request expiry also runs from a django-q2 schedule (made by a
migration)."""

from django.urls import reverse
from django.utils import timezone

from lms.emails import absolute_url, send_email_once
from lms.models import STAFF_ROLES, Membership
from lms.queue import run_scope
from mentoring.models import Concern, MentorRequest, SupervisionSession
from mentoring.services.pairing import mentor_requests_expire

# --- Requests and mentorships (pairing) -------------------------------------------------------


def _request_email_context(mentor_request) -> dict:

    mentorship = getattr(mentor_request, "mentorship", None)
    return {
        "mentor_request": mentor_request,
        "trainee": mentor_request.trainee,
        "mentor": mentor_request.mentor,
        "request_url": absolute_url(reverse("mentoring:request", args=[mentor_request.pk])),
        "home_url": absolute_url(reverse("mentoring:home")),
        "mentorship_url": absolute_url(reverse("mentoring:mentorship", args=[mentorship.pk]))
        if mentorship
        else "",
    }


def _request(request_id: int, **conditions):

    return (
        MentorRequest.objects.select_related(
            "trainee", "mentor", "organisation", "proposed_by", "mentorship"
        )
        .filter(pk=request_id, **conditions)
        .first()
    )


def send_mentor_request_email(request_id: int) -> None:
    """Tell the mentor they have been asked (and, for a coordinator's proposal, the trainee
    too), once only, and only while the request is still waiting. Each email is claimed by its
    key before it goes; no row is locked while the mail server is talked to."""
    mentor_request = _request(request_id, status=MentorRequest.PENDING, announced_at__isnull=True)
    if mentor_request is None:
        return
    context = _request_email_context(mentor_request)
    if mentor_request.is_proposal:
        sent = [
            send_email_once(
                f"email:mentor_request_proposed:{mentor_request.pk}:{person.pk}",
                template="mentor_request_proposed",
                to=[person.email],
                context={**context, "person": person, "other": other},
            )
            for person, other in (
                (mentor_request.mentor, mentor_request.trainee),
                (mentor_request.trainee, mentor_request.mentor),
            )
        ]
    else:
        sent = [
            send_email_once(
                f"email:mentor_request_received:{mentor_request.pk}",
                template="mentor_request_received",
                to=[mentor_request.mentor.email],
                context=context,
            )
        ]
    if all(sent):
        MentorRequest.objects.filter(pk=mentor_request.pk, announced_at__isnull=True).update(
            announced_at=timezone.now()
        )


def send_mentor_request_outcome_email(request_id: int) -> None:
    """Tell the trainee how their request ended (accepted, declined or lapsed), kindly and once;
    for a coordinator's proposal the mentor hears too."""
    mentor_request = _request(
        request_id,
        status__in=[MentorRequest.ACCEPTED, MentorRequest.DECLINED, MentorRequest.EXPIRED],
        trainee_told_at__isnull=True,
    )
    if mentor_request is None:
        return
    context = _request_email_context(mentor_request)
    people = [(mentor_request.trainee, mentor_request.mentor)]
    if mentor_request.is_proposal:
        people.append((mentor_request.mentor, mentor_request.trainee))
    sent = [
        send_email_once(
            f"email:mentor_request_outcome:{mentor_request.pk}:{person.pk}",
            template="mentor_request_outcome",
            to=[person.email],
            context={
                **context,
                "person": person,
                "other": other,
                "is_trainee": person.pk == mentor_request.trainee_id,
            },
        )
        for person, other in people
    ]
    if all(sent):
        MentorRequest.objects.filter(pk=mentor_request.pk, trainee_told_at__isnull=True).update(
            trainee_told_at=timezone.now()
        )


def expire_mentor_requests() -> int:
    """Lapse requests nobody answered in time (run hourly by a django-q2 schedule)."""
    return mentor_requests_expire()


# --- Concerns (care) --------------------------------------------------------------------------


def send_concern_email(concern_id: int) -> None:
    """Tell every coordinator and org admin of the concern's organisation at once that a concern
    was raised, with a link (never the mentor's words or who it is about); once only (a retried
    task sends nothing more). The person the concern is about is never told, even when they are
    also a coordinator there."""
    concern = (
        Concern.objects.select_related("organisation", "about", "raised_by")
        .filter(pk=concern_id, coordinators_emailed_at__isnull=True)
        .first()
    )
    if concern is None:
        return
    recipients = sorted(
        set(
            Membership.objects.active()
            .filter(
                organisation=concern.organisation,
                role__in=STAFF_ROLES,
                user__is_active=True,
            )
            # Never to the person the concern is about, whatever roles they also hold.
            .exclude(user_id=concern.about_id)
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return
    sent = send_email_once(
        f"email:concern_raised:{concern.pk}",
        template="concern_raised",
        to=recipients,
        context={
            "concern": concern,
            "concern_url": absolute_url(
                reverse("mentoring:concern", args=[concern.organisation.slug, concern.pk])
            ),
        },
    )
    if sent:
        Concern.objects.filter(pk=concern.pk, coordinators_emailed_at__isnull=True).update(
            coordinators_emailed_at=timezone.now()
        )


# --- Supervision ------------------------------------------------------------------------------


def send_session_to_confirm_email(session_id: int) -> None:
    """Ask the mentee to confirm a session their mentor logged, once for each version of it (a
    correction asks again; a retried task sends nothing more)."""
    session = (
        SupervisionSession.objects.select_related("mentorship__trainee", "mentorship__mentor")
        .filter(pk=session_id, status=SupervisionSession.AWAITING, mentee_told_at__isnull=True)
        .first()
    )
    if session is None:
        return
    # A session has no version number: each log or correction queues its own task, and the key
    # is that task's, so a correction asks again and a retry of one task does not.
    sent = send_email_once(
        f"email:session_to_confirm:{session.pk}:{run_scope()}",
        template="session_to_confirm",
        to=[session.mentorship.trainee.email],
        context={
            "session": session,
            "mentee": session.mentorship.trainee,
            "mentor": session.mentorship.mentor,
            "session_url": absolute_url(reverse("mentoring:session", args=[session.pk])),
        },
    )
    if sent:
        # Only for the version just sent: a correction made meanwhile is told by its own task.
        SupervisionSession.objects.filter(
            pk=session.pk,
            status=SupervisionSession.AWAITING,
            mentee_told_at__isnull=True,
            held_on=session.held_on,
            duration_minutes=session.duration_minutes,
            format=session.format,
            summary=session.summary,
        ).update(mentee_told_at=timezone.now())
