"""Background tasks for mentoring. Queue them with `lms.queue.enqueue`; each takes ids and does
nothing the second time. Request expiry also runs from a django-q2 schedule (made by a
migration)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lms.emails import absolute_url, send_templated_email
from lms.models import STAFF_ROLES, Membership
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


def _locked_request(request_id: int, **conditions):

    return (
        MentorRequest.objects.select_for_update(of=("self",))
        .select_related("trainee", "mentor", "organisation", "proposed_by", "mentorship")
        .filter(pk=request_id, **conditions)
        .first()
    )


def send_mentor_request_email(request_id: int) -> None:
    """Tell the mentor they have been asked (and, for a coordinator's proposal, the trainee
    too), once only, and only while the request is still waiting."""
    with transaction.atomic():
        mentor_request = _locked_request(
            request_id, status=MentorRequest.PENDING, announced_at__isnull=True
        )
        if mentor_request is None:
            return
        context = _request_email_context(mentor_request)
        if mentor_request.is_proposal:
            for person, other in (
                (mentor_request.mentor, mentor_request.trainee),
                (mentor_request.trainee, mentor_request.mentor),
            ):
                send_templated_email(
                    template="mentor_request_proposed",
                    to=[person.email],
                    context={**context, "person": person, "other": other},
                )
        else:
            send_templated_email(
                template="mentor_request_received",
                to=[mentor_request.mentor.email],
                context=context,
            )
        mentor_request.announced_at = timezone.now()
        mentor_request.save(update_fields=["announced_at"])


def send_mentor_request_outcome_email(request_id: int) -> None:
    """Tell the trainee how their request ended (accepted, declined or lapsed), kindly and once;
    for a coordinator's proposal the mentor hears too."""
    with transaction.atomic():
        mentor_request = _locked_request(
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
        for person, other in people:
            send_templated_email(
                template="mentor_request_outcome",
                to=[person.email],
                context={
                    **context,
                    "person": person,
                    "other": other,
                    "is_trainee": person.pk == mentor_request.trainee_id,
                },
            )
        mentor_request.trainee_told_at = timezone.now()
        mentor_request.save(update_fields=["trainee_told_at"])


def expire_mentor_requests() -> int:
    """Lapse requests nobody answered in time (run hourly by a django-q2 schedule)."""
    return mentor_requests_expire()


# --- Concerns (care) --------------------------------------------------------------------------


def send_concern_email(concern_id: int) -> None:
    """Tell every coordinator and org admin of the concern's organisation at once that a concern
    was raised, with a link (never the mentor's words or who it is about); once only (a retried
    task sends nothing more). The person the concern is about is never told, even when they are
    also a coordinator there."""
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update(of=("self",))
            .select_related("organisation", "about", "raised_by")
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
        send_templated_email(
            template="concern_raised",
            to=recipients,
            context={
                "concern": concern,
                "concern_url": absolute_url(
                    reverse("mentoring:concern", args=[concern.organisation.slug, concern.pk])
                ),
            },
        )
        concern.coordinators_emailed_at = timezone.now()
        concern.save(update_fields=["coordinators_emailed_at"])


# --- Supervision ------------------------------------------------------------------------------


def send_session_to_confirm_email(session_id: int) -> None:
    """Ask the mentee to confirm a session their mentor logged, once for each version of it (a
    correction asks again; a retried task sends nothing more)."""
    with transaction.atomic():
        session = (
            SupervisionSession.objects.select_for_update(of=("self",))
            .select_related("mentorship__trainee", "mentorship__mentor")
            .filter(pk=session_id, status=SupervisionSession.AWAITING, mentee_told_at__isnull=True)
            .first()
        )
        if session is None:
            return
        send_templated_email(
            template="session_to_confirm",
            to=[session.mentorship.trainee.email],
            context={
                "session": session,
                "mentee": session.mentorship.trainee,
                "mentor": session.mentorship.mentor,
                "session_url": absolute_url(reverse("mentoring:session", args=[session.pk])),
            },
        )
        session.mentee_told_at = timezone.now()
        session.save(update_fields=["mentee_told_at"])
