"""Care pages: a mentor raising a concern, coordinators reading and answering concerns, a peer's
own wellness action plan, and a mentor reading what their mentee chose to share."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from lms.access import get_organisation_for_role
from lms.forms import add_service_errors
from lms.models import Role
from lms.policy import record_organisation_read, record_read
from lms.selectors import roles_for_user
from lms.submissions import once_per_submission
from mentoring.access import (
    MENTOR,
    current_mentorship_between,
    get_concern_for_staff,
    get_mentorship_for_participant,
    role_in,
)
from mentoring.forms.care import PRIVATE, ConcernForm, ConcernResponseForm, WellnessPlanForm
from mentoring.selectors.care import (
    concern_responses,
    concerns_for_organisation,
    current_mentorships_as_trainee,
    plan_sections,
    shared_plan_for_mentor,
    shared_reflections_for_mentor,
    wellness_plan_for,
)
from mentoring.services.care import (
    concern_raise,
    concern_respond,
    wellness_plan_save,
    wellness_plan_share,
)

# --- Concerns ---------------------------------------------------------------------------------


def _mentorship_for_concern(*, user, pk):
    """An open mentorship in which this person is the mentor; 404 for anyone else."""
    mentorship = get_mentorship_for_participant(user=user, pk=pk)
    if role_in(user=user, mentorship=mentorship) != MENTOR or not mentorship.is_open:
        raise Http404("No such mentorship.")
    return mentorship


@login_required
@once_per_submission
def concern_new(request, pk):
    mentorship = _mentorship_for_concern(user=request.user, pk=pk)
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            concern_raise(mentorship=mentorship, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Thank you. Your concern has gone to the coordinators at "
                f"{mentorship.organisation.name}, and they will pick it up as soon as they can.",
            )
            return redirect("mentoring:mentorship", pk=mentorship.pk)
    return render(request, "mentoring/concern_form.html", {"mentorship": mentorship, "form": form})


@login_required
def concern_list(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    concerns = list(concerns_for_organisation(organisation=organisation, viewer=request.user))
    if concerns:
        # One event for the page, naming each concern it showed (not one per row).
        record_organisation_read(
            viewer=request.user,
            action="mentoring.concern_list.read",
            organisation=organisation,
            detail={"concerns": [concern.pk for concern in concerns]},
        )
    return render(
        request,
        "mentoring/concern_list.html",
        {
            "organisation": organisation,
            "open_concerns": [c for c in concerns if c.status == c.OPEN],
            "closed_concerns": [c for c in concerns if c.status != c.OPEN],
        },
    )


@login_required
@once_per_submission
def concern_detail(request, slug, pk):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    concern = get_concern_for_staff(user=request.user, organisation=organisation, pk=pk)
    form = ConcernResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            concern_respond(concern=concern, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "The concern is closed. Thank you."
                if form.cleaned_data["close"]
                else "What you did is recorded on the concern.",
            )
            return redirect("mentoring:concern", slug=organisation.slug, pk=concern.pk)
    # Every time a coordinator has the mentor's words in front of them, it is written down.
    record_read(
        viewer=request.user,
        person=concern.about,
        action="mentoring.concern.read",
        subject=concern,
        organisation=organisation,
    )
    return render(
        request,
        "mentoring/concern_detail.html",
        {
            "organisation": organisation,
            "concern": concern,
            "responses": concern_responses(concern=concern),
            "form": form,
        },
    )


# --- Wellness action plan ---------------------------------------------------------------------


def _require_peer_or_mentor(user) -> None:
    """A wellness action plan is for people doing peer work: peers and peer mentors."""
    if user.is_superuser:
        return
    if not any(
        Role.PEER in entry.roles or Role.MENTOR in entry.roles
        for entry in roles_for_user(user=user)
    ):
        raise Http404("No wellness action plan here.")


@login_required
def wellness_plan(request):
    _require_peer_or_mentor(request.user)
    plan = wellness_plan_for(user=request.user)
    mentorships = list(current_mentorships_as_trainee(user=request.user))
    current = {m.pk for m in mentorships}
    initial = {section.key: section.body for section in plan_sections(plan=plan)}
    initial["share"] = (
        str(plan.shared_with_id) if plan and plan.shared_with_id in current else PRIVATE
    )
    form = WellnessPlanForm(request.POST or None, initial=initial, mentorships=mentorships)
    if request.method == "POST" and form.is_valid():
        try:
            wellness_plan_save(user=request.user, sections=form.section_values())
            if mentorships:
                chosen = form.shared_mentorship()
                wellness_plan_share(user=request.user, share=chosen is not None, mentorship=chosen)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            chosen = form.shared_mentorship() if mentorships else None
            messages.success(
                request,
                f"Your plan is saved. {chosen.mentor.display_name} can read it."
                if chosen
                else "Your plan is saved. Only you can read it.",
            )
            return redirect("mentoring:wellness-plan")
    return render(
        request,
        "mentoring/wellness_plan.html",
        {
            "form": form,
            "plan": plan,
            "sharing": plan.shared_with if plan and plan.shared_with_id in current else None,
        },
    )


# --- What a mentee shares with their mentor ---------------------------------------------------


@login_required
def mentee_plan(request, user_id):
    mentorship = current_mentorship_between(mentor=request.user, trainee_id=user_id)
    plan = shared_plan_for_mentor(mentor=request.user, trainee_id=user_id)
    if plan is None:
        raise Http404("No shared plan.")
    record_read(
        viewer=request.user,
        person=plan.user,
        action="mentoring.wellness_plan.read",
        subject=plan,
        organisation=plan.shared_with.organisation,
    )
    return render(
        request,
        "mentoring/mentee_plan.html",
        {
            "mentorship": mentorship,
            "mentee": plan.user,
            "plan": plan,
            "sections": plan_sections(plan=plan, written_only=True),
        },
    )


@login_required
def mentee_reflections(request, user_id):
    mentorship = current_mentorship_between(mentor=request.user, trainee_id=user_id)
    reflections = list(shared_reflections_for_mentor(mentorship=mentorship))
    record_read(
        viewer=request.user,
        person=mentorship.trainee,
        action="mentoring.reflections.read",
        organisation=mentorship.organisation,
        detail={"reflections": [reflection.pk for reflection in reflections]},
    )
    return render(
        request,
        "mentoring/mentee_reflections.html",
        {"mentorship": mentorship, "mentee": mentorship.trainee, "reflections": reflections},
    )


urlpatterns = [
    path("mentoring/mentorships/<int:pk>/concern/", concern_new, name="concern-new"),
    path("organisations/<slug:slug>/mentoring/concerns/", concern_list, name="concerns"),
    path("organisations/<slug:slug>/mentoring/concerns/<int:pk>/", concern_detail, name="concern"),
    path("mentoring/wellness-plan/", wellness_plan, name="wellness-plan"),
    path("mentoring/mentees/<int:user_id>/wellness-plan/", mentee_plan, name="mentee-plan"),
    path(
        "mentoring/mentees/<int:user_id>/reflections/",
        mentee_reflections,
        name="mentee-reflections",
    ),
]
