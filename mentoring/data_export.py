"""Mentoring's part of "Download my data" (the kernel's `data_export` hook).

As a trainee: preferences, requests made, mentorships and their agreements, sessions (summary,
actions, their own wellbeing check-in, their word that a session was not right, their
feedback) and their wellness action plan. As a mentor: profiles, requests received,
mentorships, sessions (summary, actions) and their own private notes.

Left out on purpose (docs/privacy.md, "Your data"): concerns, whether raised about the person
or by them about someone else; another person's private notes; and what the other person wrote
about themselves (a trainee's request message, check-in, dispute note and feedback go in the
trainee's export, not the mentor's). A fixed number of queries, however much there is.
"""

from django.db.models import Prefetch, Q

from lms.data_export import ExportPart, name, plain, when
from lms.models import User
from mentoring.models import (
    SUPERVISION_TOPICS,
    ActionItem,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SessionFeedback,
    SessionPrivateNote,
    SupervisionSession,
    TraineePreferences,
    WellnessPlan,
    WellnessPlanEntry,
)
from mentoring.selectors.matching import specialism_labels
from mentoring.selectors.supervision import RATING_LABELS, WELLBEING_LABELS, clock_actions

TOPIC_LABELS = dict(SUPERVISION_TOPICS)


def mentoring_export_part(user: User) -> ExportPart:
    records = [
        *_profiles(user),
        *_preferences(user),
        *_requests(user),
        *_mentorships(user),
        *_sessions(user),
        *_wellness_plan(user),
    ]
    return ExportPart(filename="mentoring.json", records=records)


def _you_or(user: User, other: User | None) -> str | None:
    return "You" if other is not None and other.pk == user.pk else name(other)


def _profiles(user: User) -> list[dict]:
    profiles = MentorProfile.objects.filter(user=user).select_related("organisation")
    return [
        {
            "Record": "Mentor profile",
            "Organisation": profile.organisation.name,
            "About you": plain(profile.bio),
            "Mentees you can take": profile.capacity,
            "Taking new mentees": profile.accepting,
            "Specialisms": specialism_labels(profile.specialisms),
            "Languages": profile.languages,
            "Area": profile.area,
            "How you meet": profile.get_format_display(),
            "When you are available": profile.availability,
            "Lived experience": profile.lived_experience,
            "Who may see your lived experience": profile.get_lived_experience_visibility_display(),
            "Last changed": when(profile.updated_at),
        }
        for profile in profiles.order_by("pk")
    ]


def _preferences(user: User) -> list[dict]:
    return [
        {
            "Record": "What you would like in a mentor",
            "Specialisms": specialism_labels(wants.specialisms),
            "Languages": wants.languages,
            "Area": wants.area,
            "How you would like to meet": wants.get_format_display(),
            "In your words": plain(wants.notes),
            "Last changed": when(wants.updated_at),
        }
        for wants in TraineePreferences.objects.filter(user=user)
    ]


def _requests(user: User) -> list[dict]:
    requests = (
        MentorRequest.objects.filter(Q(trainee=user) | Q(mentor=user))
        .select_related("organisation", "trainee", "mentor", "proposed_by")
        .order_by("created_at", "pk")
    )
    return [_request(user, mentor_request) for mentor_request in requests]


def _request(user: User, mentor_request: MentorRequest) -> dict:
    as_trainee = mentor_request.trainee_id == user.pk
    return {
        "Record": "Mentoring request you made" if as_trainee else "Mentoring request to you",
        "Organisation": mentor_request.organisation.name,
        "Trainee": _you_or(user, mentor_request.trainee),
        "Mentor": _you_or(user, mentor_request.mentor),
        "Suggested by": name(mentor_request.proposed_by),
        # The trainee's words about themselves stay in the trainee's export.
        "Message": mentor_request.message if as_trainee else None,
        "Status": mentor_request.get_status_display(),
        "Asked": when(mentor_request.created_at),
        "Answer due by": when(mentor_request.respond_by),
        "Answered": when(mentor_request.answered_at),
        "Note with the answer": mentor_request.answer_note,
    }


def _mentorships(user: User) -> list[dict]:
    mentorships = (
        Mentorship.objects.filter(Q(trainee=user) | Q(mentor=user))
        .select_related("organisation", "trainee", "mentor", "ended_by")
        .order_by("created_at", "pk")
    )
    return [
        {
            "Record": "Mentorship",
            "Organisation": mentorship.organisation.name,
            "Trainee": _you_or(user, mentorship.trainee),
            "Mentor": _you_or(user, mentorship.mentor),
            "Status": mentorship.get_status_display(),
            "Agreed": when(mentorship.created_at),
            "Started": when(mentorship.started_at),
            "Paused": when(mentorship.paused_at),
            "Ended": when(mentorship.ended_at),
            "Ended by": _you_or(user, mentorship.ended_by),
            "Why it ended": mentorship.get_end_reason_display() or None,
            "Note on ending": mentorship.end_note,
            "Goals": plain(mentorship.goals),
            "How often you meet": mentorship.meeting_frequency,
            "Boundaries": plain(mentorship.boundaries),
            "Confidentiality": plain(mentorship.confidentiality),
            "Trainee confirmed the agreement": when(mentorship.trainee_confirmed_at),
            "Mentor confirmed the agreement": when(mentorship.mentor_confirmed_at),
            "Next session": when(mentorship.next_session_at),
        }
        for mentorship in mentorships
    ]


def _sessions(user: User) -> list[dict]:
    actions = ActionItem.objects.select_related("owner").order_by("due_on", "pk")
    sessions = (
        SupervisionSession.objects.filter(Q(mentorship__trainee=user) | Q(mentorship__mentor=user))
        .select_related("mentorship__trainee", "mentorship__mentor")
        .prefetch_related(Prefetch("actions", queryset=actions))
        .order_by("held_on", "pk")
    )
    sessions = list(sessions)
    # Due days as the pages show them (moved by the owner's pauses).
    clock_actions([action for session in sessions for action in session.actions.all()])
    # Only the person's own notes (as the mentor who wrote them) and own feedback (as the
    # mentee who gave it) are read: never through the session, so nobody else's can slip in.
    notes = dict(SessionPrivateNote.objects.filter(author=user).values_list("session_id", "body"))
    feedback = {
        row.session_id: row
        for row in SessionFeedback.objects.filter(session__mentorship__trainee=user)
    }
    return [_session(user, session, notes, feedback) for session in sessions]


def _session(user: User, session: SupervisionSession, notes, feedback) -> dict:
    mentorship = session.mentorship
    as_mentee = mentorship.trainee_id == user.pk
    record = {
        "Record": "Supervision session (as mentee)" if as_mentee else "Supervision session",
        "Mentee": _you_or(user, mentorship.trainee),
        "Mentor": _you_or(user, mentorship.mentor),
        "Held on": when(session.held_on),
        "Minutes": session.duration_minutes,
        "Format": session.get_format_display(),
        "Topics": [TOPIC_LABELS.get(topic, topic) for topic in session.topics],
        "Summary": plain(session.summary),
        "Status": session.get_status_display(),
        "Confirmed": when(session.confirmed_at),
        "Actions": [_action(user, action) for action in session.actions.all()],
    }
    if as_mentee:
        record.update(_mentee_words(session, feedback.get(session.pk)))
    elif session.pk in notes:
        record["Your private notes"] = plain(notes[session.pk])
    return record


def _mentee_words(session: SupervisionSession, feedback: SessionFeedback | None) -> dict:
    checkin = session.wellbeing_checkin
    return {
        "How you were (check-in)": WELLBEING_LABELS.get(checkin) if checkin else None,
        "What you said was not right": session.dispute_note or None,
        "Your feedback": {
            "Rating": RATING_LABELS.get(feedback.rating, feedback.rating),
            "Comment": feedback.comment,
            "Given": when(feedback.given_at),
        }
        if feedback
        else None,
    }


def _action(user: User, action: ActionItem) -> dict:
    return {
        "What": action.description,
        "Who": _you_or(user, action.owner),
        "Due": when(action.due.on if action.due else None),
        "Done": when(action.done_at),
    }


def _wellness_plan(user: User) -> list[dict]:
    entries = WellnessPlanEntry.objects.order_by("pk")
    plans = WellnessPlan.objects.filter(user=user).select_related("shared_with__mentor")
    return [
        {
            "Record": "Wellness action plan",
            "Last changed": when(plan.updated_at),
            "Shared with": name(plan.shared_with.mentor) if plan.shared_with else None,
            "Shared": when(plan.shared_at),
            "Sections": {
                entry.get_section_display(): plain(entry.body) for entry in plan.entries.all()
            },
        }
        for plan in plans.prefetch_related(Prefetch("entries", queryset=entries))
    ]
