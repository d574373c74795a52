"""Mentoring's retention rules, run daily by the kernel's `retention_sweep` hook
(docs/privacy.md, "How long records are kept")."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.db.models.functions import Coalesce

from lms.dates import add_months
from mentoring.models import CONCERN_RETENTION_MONTHS, Concern, MentoringSettings, MentorRequest

# Requests that never became a mentorship. Their messages are the only words they hold.
ENDED_REQUEST_STATUSES = (MentorRequest.DECLINED, MentorRequest.EXPIRED, MentorRequest.WITHDRAWN)


def concerns_remove_closed(*, now: datetime) -> int:
    """Remove closed concerns (with their responses) older than each organisation's period."""
    months_by_organisation = dict(
        MentoringSettings.objects.values_list("organisation_id", "concern_retention_months")
    )
    removed = 0
    for months in {*months_by_organisation.values(), CONCERN_RETENTION_MONTHS}:
        scope = Q(organisation_id__in=[o for o, m in months_by_organisation.items() if m == months])
        if months == CONCERN_RETENTION_MONTHS:
            # Organisations that never saved their settings keep the default period.
            scope |= ~Q(organisation_id__in=list(months_by_organisation))
        removed += _remove_concerns_closed_before(scope, add_months(now, -months))
    return removed


def _remove_concerns_closed_before(scope: Q, cutoff: datetime) -> int:
    # A concern is closed by its last response; one closed with none counts from being raised.
    closed = (
        Concern.objects.filter(scope, status=Concern.CLOSED)
        .annotate(
            closed_at=Coalesce(
                Max("responses__responded_at", filter=Q(responses__closes=True)), "raised_at"
            )
        )
        .filter(closed_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
    removed = Concern.objects.filter(pk__in=list(closed)).delete()[1]
    return removed.get(Concern._meta.label, 0)


def mentor_requests_remove_old(*, now: datetime) -> int:
    """Remove declined, lapsed and withdrawn requests (and their messages) after the period."""
    cutoff = now - timedelta(days=settings.MENTOR_REQUEST_RETENTION_DAYS)
    old = MentorRequest.objects.filter(status__in=ENDED_REQUEST_STATUSES).filter(
        Q(answered_at__lt=cutoff) | Q(answered_at__isnull=True, respond_by__lt=cutoff)
    )
    removed = old.delete()[1]
    return removed.get(MentorRequest._meta.label, 0)
