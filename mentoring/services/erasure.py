"""The mentoring part of erasing a person (the kernel's `data_erase` hook, docs/privacy.md).

Sessions and their hours stay, for the other person's sake: a mentee's confirmed supervision
still counts when their mentor is erased. What the erased person wrote or said goes: their mentor
profile (with any lived experience), their wishes for a mentor, request messages and answers,
their wellness plan, their check-ins and feedback comments, their private notes, what they wrote
in concerns and responses, their action items, and the agreement of a mentorship in which they
were the mentee. Open mentorships and pending requests end. Concerns *about* them: wellbeing
concerns are deleted (they existed to support the person, who has gone); safeguarding concerns
are kept, attached to the anonymised placeholder, because a safeguarding record may have to be
kept after the person has left.
"""

from django.db.models import Q
from django.utils import timezone

from lms.models import User
from mentoring.models import (
    ActionItem,
    Concern,
    ConcernResponse,
    EndReason,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SessionFeedback,
    SessionPrivateNote,
    SupervisionSession,
    TraineePreferences,
    WellnessPlan,
)

# What a record shows in place of words whose writer was erased.
REMOVED = "Removed: the person who wrote this has been erased."


def erase_mentoring_data(user: User) -> None:
    """Delete or blank the person's words in mentoring; keep sessions and hours. Idempotent."""
    MentorProfile.objects.filter(user=user).delete()
    TraineePreferences.objects.filter(user=user).delete()
    WellnessPlan.objects.filter(user=user).delete()
    _end_requests_and_mentorships(user)
    _erase_supervision_words(user)
    _erase_concern_words(user)


def _end_requests_and_mentorships(user: User) -> None:
    now = timezone.now()
    theirs = Q(trainee=user) | Q(mentor=user)
    MentorRequest.objects.filter(theirs, status=MentorRequest.PENDING).update(
        status=MentorRequest.WITHDRAWN, answered_at=now
    )
    MentorRequest.objects.filter(trainee=user).exclude(message="").update(message="")
    MentorRequest.objects.filter(mentor=user).exclude(answer_note="").update(answer_note="")
    open_ones = Mentorship.objects.filter(theirs, status__in=Mentorship.OPEN)
    # What a mentee shared with an erased mentor is shared no longer (their reflection shares
    # end in the courses part).
    WellnessPlan.objects.filter(shared_with__in=open_ones).update(shared_with=None, shared_at=None)
    open_ones.update(
        status=Mentorship.ENDED, ended_at=now, ended_by=None, end_reason=EndReason.CIRCUMSTANCES
    )
    Mentorship.objects.filter(ended_by=user).exclude(end_note="").update(end_note="")
    Mentorship.objects.filter(trainee=user).update(
        goals="",
        boundaries="",
        confidentiality="",
        meeting_frequency="",
        next_session_at=None,
        next_session_place="",
    )


def _erase_supervision_words(user: User) -> None:
    as_mentee = SupervisionSession.objects.filter(mentorship__trainee=user)
    as_mentee.update(wellbeing_checkin=None, dispute_note="")
    SessionFeedback.objects.filter(session__in=as_mentee).exclude(comment="").update(comment="")
    SessionPrivateNote.objects.filter(author=user).delete()
    ActionItem.objects.filter(owner=user).delete()


def _erase_concern_words(user: User) -> None:
    Concern.objects.filter(about=user, kind=Concern.WELLBEING).delete()
    Concern.objects.filter(raised_by=user).exclude(description=REMOVED).update(description=REMOVED)
    ConcernResponse.objects.filter(responder=user).exclude(action_taken=REMOVED).update(
        action_taken=REMOVED
    )
