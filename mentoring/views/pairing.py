"""Pairing pages: the mentoring home, asking a mentor and answering, a coordinator's proposal,
and a mentorship with its agreement, pauses, ending and next session."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from lms.access import get_organisation_for_role
from lms.confirm import Confirmation, confirm_page, confirmed
from lms.forms import add_service_errors
from lms.policy import record_organisation_read
from lms.submissions import once_per_submission
from mentoring import access
from mentoring.calendar import next_session_ics
from mentoring.forms.pairing import (
    AgreementForm,
    AnswerForm,
    EndForm,
    MentorRequestForm,
    NextSessionForm,
    ProposeForm,
)
from mentoring.models import MentorRequest, Mentorship
from mentoring.selectors.pairing import (
    agreement_fingerprint,
    mentor_profiles_with_room,
    mentoring_home,
    mentors_with_room_facts,
    peers_free_to_pair,
    peers_free_to_pair_with_wishes,
    possessive,
    proposals_waiting_in,
    why_trainee_cannot_ask,
)
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentor_request_answer,
    mentor_request_create,
    mentor_request_propose,
    mentor_request_restorable,
    mentor_request_restore,
    mentor_request_withdraw,
    mentorship_end,
    mentorship_pause,
    mentorship_resume,
    next_session_set,
)

# --- Home -------------------------------------------------------------------------------------


@login_required
def home(request):
    return render(request, "mentoring/home.html", {"home": mentoring_home(user=request.user)})


# --- Asking and answering ---------------------------------------------------------------------


@login_required
@once_per_submission
def request_new(request, pk):
    profile = access.get_profile_for_trainee(trainee=request.user, pk=pk)
    form = MentorRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mentor_request = mentor_request_create(
                trainee=request.user, profile=profile, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Your request is on its way to {profile.user}. You will hear by "
                f"{date_format(timezone.localtime(mentor_request.respond_by), 'j F Y')} at the "
                "latest.",
            )
            return redirect("mentoring:request", pk=mentor_request.pk)
    refusal = "" if form.errors else why_trainee_cannot_ask(trainee=request.user, profile=profile)
    return render(
        request,
        "mentoring/request_form.html",
        {"form": form, "profile": profile, "mentor": profile.user, "refusal": refusal},
    )


def _request_context(request, mentor_request, form=None):
    user = request.user
    pending = mentor_request.status == MentorRequest.PENDING
    if user.pk == mentor_request.mentor_id:
        my_yes, role = mentor_request.mentor_accepted_at, access.MENTOR
    else:
        my_yes, role = mentor_request.trainee_accepted_at, access.TRAINEE
    may_answer = role == access.MENTOR or mentor_request.is_proposal
    return {
        "mentor_request": mentor_request,
        "role": role,
        "other": mentor_request.mentor if role == access.TRAINEE else mentor_request.trainee,
        "can_answer": pending and may_answer and not my_yes,
        "waiting_for_other": pending and bool(my_yes),
        "can_withdraw": pending and role == access.TRAINEE and not mentor_request.is_proposal,
        "can_restore": role == access.TRAINEE and mentor_request_restorable(mentor_request),
        "mentorship": Mentorship.objects.filter(request=mentor_request).first(),
        "form": form or AnswerForm(),
    }


@login_required
def request_detail(request, pk):
    mentor_request = access.get_request_for_participant(user=request.user, pk=pk)
    return render(
        request, "mentoring/request_detail.html", _request_context(request, mentor_request)
    )


def _decline_confirmation(request, mentor_request, form) -> Confirmation:
    """Saying no closes the request and tells the other person: ask first."""
    context = _request_context(request, mentor_request)
    other = context["other"]
    return Confirmation(
        title=f"Say no to {other}?",
        happens=[
            "The request closes and cannot be reopened.",
            f"{other} is told kindly, with your note if you wrote one.",
        ],
        undo=f"This cannot be undone. {other} can ask again later.",
        button="Say no",
        cancel_url=reverse("mentoring:request", args=[mentor_request.pk]),
        cancel_label="No, go back to the request",
        hidden={"decision": "decline", "note": form.cleaned_data["note"]},
    )


@login_required
@require_POST
def request_answer(request, pk):
    mentor_request = access.get_request_for_participant(user=request.user, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        if not accept and not confirmed(request):
            return confirm_page(request, _decline_confirmation(request, mentor_request, form))
        try:
            answered = mentor_request_answer(
                mentor_request=mentor_request,
                by=request.user,
                accept=accept,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_answer(request, answered, accept)
    context = _request_context(request, mentor_request, form)
    return render(request, "mentoring/request_detail.html", context)


def _after_answer(request, mentor_request, accept):
    other = (
        mentor_request.trainee
        if request.user.pk == mentor_request.mentor_id
        else mentor_request.mentor
    )
    if not accept:
        messages.success(
            request, f"You have said no. {other} will be told kindly. Thank you for answering."
        )
        return redirect("mentoring:home")
    if mentor_request.status == MentorRequest.ACCEPTED:
        mentorship = Mentorship.objects.get(request=mentor_request)
        messages.success(
            request,
            f"You have said yes. Next, agree with {other} how you will work together.",
        )
        return redirect("mentoring:mentorship", pk=mentorship.pk)
    messages.success(
        request, f"Thank you for saying yes. The pairing starts once {other} says yes too."
    )
    return redirect("mentoring:request", pk=mentor_request.pk)


def _may_withdraw(user, mentor_request) -> bool:
    return (
        mentor_request.status == MentorRequest.PENDING
        and user.pk == mentor_request.trainee_id
        and not mentor_request.is_proposal
    )


@login_required
def request_withdraw(request, pk):
    """Ask first (only someone who may withdraw is asked: anyone else is told why not)."""
    mentor_request = access.get_request_for_participant(user=request.user, pk=pk)
    if _may_withdraw(request.user, mentor_request) and not confirmed(request):
        until = date_format(timezone.localtime(mentor_request.respond_by), "j F Y")
        return confirm_page(
            request,
            Confirmation(
                title=f"Withdraw your request to {mentor_request.mentor}?",
                happens=[
                    f"{mentor_request.mentor} will no longer be asked to answer it.",
                    "You can then ask someone else.",
                ],
                undo=f"You can undo this from the request's page until {until}, while you "
                "have not asked anyone else.",
                button="Withdraw my request",
                cancel_url=reverse("mentoring:request", args=[mentor_request.pk]),
                cancel_label="No, keep my request",
            ),
        )
    if request.method != "POST":
        return redirect("mentoring:request", pk=mentor_request.pk)
    try:
        mentor_request_withdraw(mentor_request=mentor_request, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("mentoring:request", pk=mentor_request.pk)
    messages.success(
        request,
        f"You have withdrawn your request to {mentor_request.mentor}. "
        "You can choose someone else whenever you are ready, or undo this from the request's "
        "page while it could still be answered.",
    )
    return redirect("mentoring:home")


@login_required
@require_POST
def request_restore(request, pk):
    """Undo a withdrawal: the trainee who asked, while the request could still be answered."""
    mentor_request = access.get_request_for_participant(user=request.user, pk=pk)
    if request.user.pk != mentor_request.trainee_id or not mentor_request_restorable(
        mentor_request
    ):
        raise Http404("No such request to bring back.")
    try:
        mentor_request_restore(mentor_request=mentor_request, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, f"Your request to {mentor_request.mentor} is waiting for an answer again."
        )
    return redirect("mentoring:request", pk=mentor_request.pk)


# --- A coordinator's proposal -----------------------------------------------------------------


@login_required
@once_per_submission
def propose(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    form = ProposeForm(
        request.POST or None,
        trainees=peers_free_to_pair(organisation=organisation),
        mentor_profiles=mentor_profiles_with_room(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        trainee, profile = form.cleaned_data["trainee"], form.cleaned_data["mentor"]
        try:
            mentor_request_propose(
                organisation=organisation,
                trainee=trainee,
                mentor=profile.user,
                by=request.user,
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"You have suggested that {profile.user} mentors {trainee}. We have emailed "
                "them both; it goes ahead only if both say yes.",
            )
            return redirect("mentoring:propose", slug=organisation.slug)
    peers = peers_free_to_pair_with_wishes(organisation=organisation)
    mentors = mentors_with_room_facts(organisation=organisation)
    # The page shows trainees' wishes in their own words and mentors' lived experience.
    record_organisation_read(
        viewer=request.user,
        action="mentoring.propose_page.read",
        organisation=organisation,
        detail={
            "peers": [peer.user.pk for peer in peers],
            "mentors": [mentor.user.pk for mentor in mentors],
        },
    )
    return render(
        request,
        "mentoring/propose_form.html",
        {
            "organisation": organisation,
            "form": form,
            "peers": peers,
            "mentors": mentors,
            "proposals": proposals_waiting_in(organisation=organisation),
        },
    )


# --- The mentorship ---------------------------------------------------------------------------


def _mentorship(request, pk) -> Mentorship:
    return access.get_mentorship_for_participant(user=request.user, pk=pk)


def _upcoming(mentorship: Mentorship) -> bool:
    """The next session is set and not over yet (and the mentorship has not ended)."""
    starts = mentorship.next_session_at
    if not mentorship.is_open or starts is None:
        return False
    # The length is taken from now rather than added to the start, which could overflow.
    return starts > timezone.now() - timedelta(minutes=mentorship.next_session_minutes)


_ENDED_EDIT = "This mentorship has ended, so its agreement can no longer be changed."
_ENDED_AGAIN = "This mentorship has already ended."
_ENDED_PLAN = "This mentorship has ended, so there are no more sessions to plan."


def _refuse_if_ended(request, mentorship, words) -> HttpResponse | None:
    if mentorship.status == Mentorship.ENDED:
        messages.info(request, words)
        return redirect("mentoring:mentorship", pk=mentorship.pk)
    return None


@login_required
def mentorship_detail(request, pk):
    mentorship = _mentorship(request, pk)
    role = access.role_in(user=request.user, mentorship=mentorship)
    other = mentorship.mentor if role == access.TRAINEE else mentorship.trainee
    mine = "trainee_confirmed_at" if role == access.TRAINEE else "mentor_confirmed_at"
    theirs = "mentor_confirmed_at" if role == access.TRAINEE else "trainee_confirmed_at"
    return render(
        request,
        "mentoring/mentorship_detail.html",
        {
            "mentorship": mentorship,
            "role": role,
            "other": other,
            "other_their": possessive(other),
            "i_confirmed": getattr(mentorship, mine),
            "they_confirmed": getattr(mentorship, theirs),
            "has_agreement": bool(mentorship.goals and mentorship.meeting_frequency),
            "fingerprint": agreement_fingerprint(mentorship),
            "upcoming": _upcoming(mentorship),
        },
    )


@login_required
def agreement(request, pk):
    mentorship = _mentorship(request, pk)
    if request.method != "POST" and (refused := _refuse_if_ended(request, mentorship, _ENDED_EDIT)):
        return refused
    form = AgreementForm(
        request.POST or None,
        initial={
            "goals": mentorship.goals,
            "meeting_frequency": mentorship.meeting_frequency,
            "boundaries": mentorship.boundaries,
            "confidentiality": mentorship.confidentiality,
        },
    )
    if request.method == "POST" and form.is_valid():
        before = agreement_fingerprint(mentorship)
        try:
            saved = agreement_save(mentorship=mentorship, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if agreement_fingerprint(saved) == before:
                messages.info(request, "Nothing changed in your agreement.")
            else:
                messages.success(
                    request,
                    "Your agreement is saved. You both need to confirm it, so that you have "
                    "agreed the same words.",
                )
            return redirect("mentoring:mentorship", pk=mentorship.pk)
    return render(
        request, "mentoring/agreement_form.html", {"form": form, "mentorship": mentorship}
    )


def _act(request, pk, service, success: str):
    mentorship = _mentorship(request, pk)
    try:
        service(mentorship=mentorship, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, success)
    return redirect("mentoring:mentorship", pk=mentorship.pk)


@login_required
@require_POST
def agreement_confirm_view(request, pk):
    mentorship = _mentorship(request, pk)
    was = mentorship.status
    try:
        confirmed = agreement_confirm(
            mentorship=mentorship,
            by=request.user,
            fingerprint=request.POST.get("fingerprint", ""),
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if was == Mentorship.PROPOSED and confirmed.status == Mentorship.ACTIVE:
            words = "You have both confirmed the agreement. Your mentorship has started."
        elif confirmed.agreement_confirmed:
            words = "You have both confirmed the agreement."
        else:
            other = (
                mentorship.mentor
                if request.user.pk == mentorship.trainee_id
                else mentorship.trainee
            )
            words = f"Thank you for confirming. The agreement is settled once {other} confirms."
        messages.success(request, words)
    return redirect("mentoring:mentorship", pk=mentorship.pk)


@login_required
@require_POST
def pause(request, pk):
    return _act(
        request,
        pk,
        mentorship_pause,
        "Your mentorship is paused. Either of you can pick it up again when ready.",
    )


@login_required
@require_POST
def resume(request, pk):
    return _act(request, pk, mentorship_resume, "Welcome back. Your mentorship is active.")


@login_required
def end(request, pk):
    mentorship = _mentorship(request, pk)
    if request.method != "POST" and (
        refused := _refuse_if_ended(request, mentorship, _ENDED_AGAIN)
    ):
        return refused
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mentorship_end(mentorship=mentorship, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Your mentorship has ended. Thank you both. It stays in your history."
                + (
                    " You can choose a new mentor whenever you are ready."
                    if request.user.pk == mentorship.trainee_id
                    else ""
                ),
            )
            return redirect("mentoring:home")
    role = access.role_in(user=request.user, mentorship=mentorship)
    other = mentorship.mentor if role == access.TRAINEE else mentorship.trainee
    return render(
        request,
        "mentoring/mentorship_end.html",
        {"form": form, "mentorship": mentorship, "other": other},
    )


@login_required
def next_session(request, pk):
    mentorship = _mentorship(request, pk)
    if request.method != "POST" and (refused := _refuse_if_ended(request, mentorship, _ENDED_PLAN)):
        return refused
    form = NextSessionForm(request.POST or None, initial=NextSessionForm.initial_for(mentorship))
    if request.method == "POST" and form.is_valid():
        try:
            next_session_set(
                mentorship=mentorship,
                by=request.user,
                starts_at=form.cleaned_data["starts_at"],
                minutes=form.cleaned_data["minutes"],
                place=form.cleaned_data["place"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The next session is saved. You can add it to your calendar.")
            return redirect("mentoring:mentorship", pk=mentorship.pk)
    return render(
        request, "mentoring/next_session_form.html", {"form": form, "mentorship": mentorship}
    )


@login_required
def calendar(request, pk):
    mentorship = _mentorship(request, pk)
    if not _upcoming(mentorship):
        raise Http404("No next session is planned.")
    response = HttpResponse(
        next_session_ics(mentorship=mentorship, viewer=request.user),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="supervision.ics"'
    return response


MENTORSHIP = "mentoring/mentorships/<int:pk>/"

urlpatterns = [
    path("mentoring/", home, name="home"),
    path("mentoring/mentors/<int:pk>/ask/", request_new, name="request-new"),
    path("mentoring/requests/<int:pk>/", request_detail, name="request"),
    path("mentoring/requests/<int:pk>/answer/", request_answer, name="request-answer"),
    path("mentoring/requests/<int:pk>/withdraw/", request_withdraw, name="request-withdraw"),
    path("mentoring/requests/<int:pk>/restore/", request_restore, name="request-restore"),
    path("organisations/<slug:slug>/mentoring/propose/", propose, name="propose"),
    path(MENTORSHIP, mentorship_detail, name="mentorship"),
    path(f"{MENTORSHIP}agreement/", agreement, name="agreement"),
    path(f"{MENTORSHIP}agreement/confirm/", agreement_confirm_view, name="agreement-confirm"),
    path(f"{MENTORSHIP}pause/", pause, name="mentorship-pause"),
    path(f"{MENTORSHIP}resume/", resume, name="mentorship-resume"),
    path(f"{MENTORSHIP}end/", end, name="mentorship-end"),
    path(f"{MENTORSHIP}next-session/", next_session, name="next-session"),
    path(f"{MENTORSHIP}next-session.ics", calendar, name="calendar"),
]
