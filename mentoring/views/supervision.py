"""Supervision pages: a mentor logs (or corrects) a session, the mentee confirms it or says it is
wrong, action items are marked done, the mentee gives feedback, and coordinators see coverage.

Private notes are read only through `private_note_for(author=request.user)`, so no page shows
them to anyone but their author.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from lms.access import get_organisation_for_role
from lms.bad_input import redirect_to_next
from lms.forms import add_service_errors
from lms.policy import record_organisation_read, record_read
from lms.submissions import once_per_submission
from mentoring.access import (
    MENTOR,
    TRAINEE,
    get_mentorship_for_participant,
    get_session_for_participant,
    role_in,
)
from mentoring.forms.supervision import ConfirmForm, FeedbackForm, SessionForm
from mentoring.models import ActionItem, SupervisionSession
from mentoring.selectors.supervision import (
    RATING_LABELS,
    WELLBEING_LABELS,
    actions_for_session,
    coverage_for_organisation,
    feedback_for_session,
    feedback_summary_for_organisation,
    private_note_for,
)
from mentoring.services.supervision import (
    CONFIRMED_MESSAGE,
    ENDED_MESSAGE,
    FEEDBACK_TWICE_MESSAGE,
    action_complete,
    feedback_give,
    session_confirm,
    session_dispute,
    session_edit,
    session_log,
)


def _get_action_for(*, user, pk: int) -> ActionItem:
    """An action item its owner or the session's mentor may mark done; anyone else: 404."""
    action = get_object_or_404(
        ActionItem.objects.select_related("session__mentorship__organisation"), pk=pk
    )
    if user.pk not in (action.owner_id, action.session.mentorship.mentor_id):
        raise Http404("No such action.")
    return action


def _session_as_mentor(request, pk: int) -> SupervisionSession:
    session = get_session_for_participant(user=request.user, pk=pk)
    if role_in(user=request.user, mentorship=session.mentorship) != MENTOR:
        raise Http404("No such session.")
    return session


# --- Logging and correcting -------------------------------------------------------------------


@login_required
@once_per_submission
def session_new(request, pk):
    mentorship = get_mentorship_for_participant(user=request.user, pk=pk)
    if role_in(user=request.user, mentorship=mentorship) != MENTOR:
        raise Http404("No such mentorship.")
    context = {"mentorship": mentorship, "editing": False}
    if not mentorship.is_open:
        return render(request, "mentoring/session_form.html", {**context, "ended": ENDED_MESSAGE})
    form = SessionForm(request.POST or None, mentorship=mentorship)
    if request.method == "POST" and form.is_valid():
        try:
            session = session_log(
                mentorship=mentorship, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Session logged. {mentorship.trainee} has been asked to confirm it.",
            )
            return redirect("mentoring:session", pk=session.pk)
    return render(request, "mentoring/session_form.html", {**context, "form": form})


@login_required
def session_edit_view(request, pk):
    session = _session_as_mentor(request, pk)
    mentorship = session.mentorship
    if not mentorship.is_open:
        messages.error(request, ENDED_MESSAGE)
        return redirect("mentoring:session", pk=session.pk)
    if session.status == SupervisionSession.CONFIRMED:
        messages.error(request, CONFIRMED_MESSAGE)
        return redirect("mentoring:session", pk=session.pk)
    if request.method == "POST":
        form = SessionForm(request.POST, mentorship=mentorship)
    else:
        note = private_note_for(session=session, author=request.user)
        form = SessionForm(
            mentorship=mentorship,
            initial=SessionForm.initial_for(
                session=session,
                actions=actions_for_session(session=session, clocked=False),
                private_notes=note.body if note else "",
            ),
        )
    if request.method == "POST" and form.is_valid():
        try:
            session_edit(session=session, by=request.user, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Session corrected. {mentorship.trainee} has been asked to confirm it again.",
            )
            return redirect("mentoring:session", pk=session.pk)
    return render(
        request,
        "mentoring/session_form.html",
        {"mentorship": mentorship, "session": session, "form": form, "editing": True},
    )


# --- The session page -------------------------------------------------------------------------


def _session_page(request, session, *, confirm_form=None, status=200):
    mentorship = session.mentorship
    role = role_in(user=request.user, mentorship=mentorship)
    is_mentee = role == TRAINEE
    context = {
        "session": session,
        "mentorship": mentorship,
        "role": role,
        "is_mentee": is_mentee,
        "is_mentor": role == MENTOR,
        "actions": actions_for_session(session=session),
        # Read for the signed-in person as author: a mentee's or anyone else's read finds none.
        "private_note": private_note_for(session=session, author=request.user)
        if role == MENTOR
        else None,
        "wellbeing_label": WELLBEING_LABELS.get(session.wellbeing_checkin),
        "can_edit": role == MENTOR
        and mentorship.is_open
        and session.status != SupervisionSession.CONFIRMED,
        "confirm_form": None,
        "feedback": None,
    }
    if is_mentee and session.status != SupervisionSession.CONFIRMED:
        context["confirm_form"] = confirm_form or ConfirmForm()
    if is_mentee and session.status == SupervisionSession.CONFIRMED:
        context["feedback"] = feedback_for_session(session=session)
        context["feedback_label"] = RATING_LABELS.get(getattr(context["feedback"], "rating", None))
    return render(request, "mentoring/session_detail.html", context, status=status)


@login_required
def session_detail(request, pk):
    session = get_session_for_participant(user=request.user, pk=pk)
    mentorship = session.mentorship
    if session.wellbeing_checkin is not None and request.user.pk == mentorship.mentor_id:
        # The check-in is the mentee's own word on how they are: a sensitive read.
        record_read(
            viewer=request.user,
            person=mentorship.trainee,
            action="mentoring.session.read",
            subject=session,
            organisation=mentorship.organisation,
        )
    return _session_page(request, session)


@login_required
@require_POST
def session_confirm_view(request, pk):
    session = get_session_for_participant(user=request.user, pk=pk)
    if role_in(user=request.user, mentorship=session.mentorship) != TRAINEE:
        # The mentor: a clear word, and nothing written.
        messages.error(
            request,
            f"You logged this session, so {session.mentorship.trainee} is the one to confirm it.",
        )
        return redirect("mentoring:session", pk=session.pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["answer"] == ConfirmForm.RIGHT:
                already = session.status == SupervisionSession.CONFIRMED
                session_confirm(
                    session=session,
                    by=request.user,
                    wellbeing_checkin=form.cleaned_data["wellbeing_checkin"],
                )
                messages.success(
                    request,
                    "You had already confirmed this session."
                    if already
                    else "Thank you. The session is confirmed and counts towards your pathway.",
                )
            else:
                session_dispute(session=session, by=request.user, note=form.cleaned_data["note"])
                messages.success(
                    request,
                    f"Thank you for saying. {session.mentorship.mentor} can now correct it.",
                )
        except ValidationError as error:
            if session.status == SupervisionSession.CONFIRMED:
                # No form is shown for a confirmed session, so say it above the page.
                messages.error(request, error.messages[0])
                return redirect("mentoring:session", pk=session.pk)
            add_service_errors(form, error)
        else:
            return redirect("mentoring:session", pk=session.pk)
    return _session_page(request, session, confirm_form=form)


@login_required
@require_POST
def action_done(request, pk):
    action = _get_action_for(user=request.user, pk=pk)
    try:
        action_complete(action=action, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Marked done: {action.description}")
    return redirect_to_next(
        request,
        request.POST.get("next"),
        reverse("mentoring:session", kwargs={"pk": action.session_id}),
    )


# --- Feedback ---------------------------------------------------------------------------------


@login_required
def session_feedback(request, pk):
    session = get_session_for_participant(user=request.user, pk=pk)
    if role_in(user=request.user, mentorship=session.mentorship) != TRAINEE:
        raise Http404("No such session.")
    if session.status != SupervisionSession.CONFIRMED:
        messages.info(request, "You can give feedback once you have confirmed the session.")
        return redirect("mentoring:session", pk=session.pk)
    given = feedback_for_session(session=session)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_give(session=session, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Thank you for your feedback.")
            return redirect("mentoring:session", pk=session.pk)
    return render(
        request,
        "mentoring/feedback_form.html",
        {
            "session": session,
            "form": form,
            "given": given,
            "already_message": FEEDBACK_TWICE_MESSAGE,
        },
    )


# --- Coverage, for coordinators ---------------------------------------------------------------


@login_required
def coverage(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    record_organisation_read(
        viewer=request.user, action="mentoring.coverage.read", organisation=organisation
    )
    return render(
        request,
        "mentoring/coverage.html",
        {
            "organisation": organisation,
            "coverage": coverage_for_organisation(organisation=organisation),
            "feedback": feedback_summary_for_organisation(organisation=organisation),
        },
    )


urlpatterns = [
    path("mentoring/mentorships/<int:pk>/sessions/new/", session_new, name="session-new"),
    path("mentoring/sessions/<int:pk>/", session_detail, name="session"),
    path("mentoring/sessions/<int:pk>/edit/", session_edit_view, name="session-edit"),
    path("mentoring/sessions/<int:pk>/confirm/", session_confirm_view, name="session-confirm"),
    path("mentoring/sessions/<int:pk>/feedback/", session_feedback, name="session-feedback"),
    path("mentoring/actions/<int:pk>/done/", action_done, name="action-done"),
    path("organisations/<slug:slug>/mentoring/coverage/", coverage, name="coverage"),
]
