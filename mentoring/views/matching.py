"""Views for matching: a mentor's profile, a trainee's preferences and shortlist, a mentor's page
as trainees see it, and an organisation's mentoring settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

from lms.access import get_organisation_for_role
from lms.forms import add_service_errors
from lms.models import Organisation, Role
from mentoring.access import get_profile_for_trainee
from mentoring.forms.matching import (
    MentoringSettingsForm,
    MentorProfileForm,
    TraineePreferencesForm,
)
from mentoring.models import LivedExperienceVisibility, MentorProfile
from mentoring.selectors.matching import (
    eligible_mentor_profiles,
    mentor_is_eligible,
    mentor_profile_for,
    mentoring_settings_for,
    organisations_where,
    shortlist_for_trainee,
    specialism_labels,
    trainee_preferences_for,
    trainee_situation,
)
from mentoring.services.matching import (
    mentor_profile_save,
    mentoring_settings_save,
    trainee_preferences_save,
)
from pathways.selectors import pathways_for_organisation


def _chosen_organisation(request, *, role: str) -> tuple[Organisation, list[Organisation]]:
    """The organisation picked with `?organisation=<slug>` among those where the person holds
    `role` (the first by default), and all of them; 404 when they hold it nowhere."""
    organisations = organisations_where(user=request.user, role=role)
    if not organisations:
        raise Http404("No such page.")
    slug = request.GET.get("organisation")
    if not slug:
        return organisations[0], organisations
    for organisation in organisations:
        if organisation.slug == slug:
            return organisation, organisations
    raise Http404("No such organisation.")


def _with_organisation(name: str, organisation: Organisation, several: bool) -> str:
    url = reverse(name)
    return f"{url}?organisation={organisation.slug}" if several else url


# --- A mentor's own profile -------------------------------------------------------------------


@login_required
def profile(request):
    organisation, organisations = _chosen_organisation(request, role=Role.MENTOR)
    existing = mentor_profile_for(user=request.user, organisation=organisation)
    form = MentorProfileForm(request.POST or None, initial=MentorProfileForm.initial_for(existing))
    eligible = mentor_is_eligible(user=request.user, organisation=organisation)
    stage = mentoring_settings_for(organisation=organisation).mentor_min_stage
    if request.method == "POST" and form.is_valid():
        try:
            mentor_profile_save(user=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if eligible:
                messages.success(
                    request, f"Your mentor profile is saved. Trainees at {organisation} can see it."
                )
            else:
                messages.success(
                    request,
                    f"Your mentor profile is saved. Trainees will see it once you reach {stage}.",
                )
            return redirect(
                _with_organisation("mentoring:profile", organisation, len(organisations) > 1)
            )
    return render(
        request,
        "mentoring/profile_form.html",
        {
            "form": form,
            "organisation": organisation,
            "organisations": organisations,
            "profile": existing,
            "eligible": eligible,
            "stage": stage,
        },
    )


# --- A trainee's preferences and shortlist ----------------------------------------------------


@login_required
def preferences(request):
    if not organisations_where(user=request.user, role=Role.PEER):
        raise Http404("No such page.")
    existing = trainee_preferences_for(user=request.user)
    form = TraineePreferencesForm(
        request.POST or None, initial=TraineePreferencesForm.initial_for(existing)
    )
    if request.method == "POST" and form.is_valid():
        try:
            trainee_preferences_save(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your preferences are saved. The mentors who fit them best come first."
            )
            return redirect("mentoring:shortlist")
    return render(
        request, "mentoring/preferences_form.html", {"form": form, "preferences": existing}
    )


@login_required
def shortlist(request):
    organisation, organisations = _chosen_organisation(request, role=Role.PEER)
    result = shortlist_for_trainee(trainee=request.user, organisation=organisation)
    preferences_shown = result.preferences
    return render(
        request,
        "mentoring/shortlist.html",
        {
            "organisation": organisation,
            "organisations": organisations,
            "shortlist": result,
            "preferences": preferences_shown,
            "wanted_specialisms": specialism_labels(
                preferences_shown.specialisms if preferences_shown else []
            ),
        },
    )


def _mentor_for_trainee(*, trainee, pk: int) -> MentorProfile:
    """A profile trainees may see: in one of the trainee's organisations (the access helper),
    and of someone who may mentor there today. A profile whose owner has not reached the stage
    the organisation asks, or no longer holds the mentor role, is not shown."""
    found = get_profile_for_trainee(trainee=trainee, pk=pk)
    profile = eligible_mentor_profiles(organisation=found.organisation).filter(pk=pk).first()
    if profile is None:
        raise Http404("No such mentor.")
    return profile


@login_required
def mentor_detail(request, pk):
    profile = _mentor_for_trainee(trainee=request.user, pk=pk)
    situation = trainee_situation(trainee=request.user, organisation=profile.organisation)
    shows_lived_experience = (
        profile.lived_experience_visibility == LivedExperienceVisibility.TRAINEES
        and profile.lived_experience
    )
    several = len(organisations_where(user=request.user, role=Role.PEER)) > 1
    return render(
        request,
        "mentoring/mentor_detail.html",
        {
            "profile": profile,
            "organisation": profile.organisation,
            "situation": situation,
            "specialisms": specialism_labels(profile.specialisms),
            "shows_lived_experience": shows_lived_experience,
            "has_room": profile.accepting and profile.free_places > 0,
            "shortlist_url": _with_organisation(
                "mentoring:shortlist", profile.organisation, several
            ),
        },
    )


# --- An organisation's settings ---------------------------------------------------------------


@login_required
def settings_view(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    current = mentoring_settings_for(organisation=organisation)
    form = MentoringSettingsForm(
        request.POST or None,
        pathways=pathways_for_organisation(organisation=organisation),
        initial=MentoringSettingsForm.initial_for(current),
    )
    if request.method == "POST" and form.is_valid():
        try:
            mentoring_settings_save(organisation=organisation, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Mentoring settings for {organisation} are saved.")
            return redirect("mentoring:settings", slug=organisation.slug)
    return render(
        request,
        "mentoring/settings_form.html",
        {"form": form, "organisation": organisation, "fieldsets": form.fieldsets()},
    )


urlpatterns = [
    path("mentoring/profile/", profile, name="profile"),
    path("mentoring/preferences/", preferences, name="preferences"),
    path("mentoring/find/", shortlist, name="shortlist"),
    path("mentoring/mentors/<int:pk>/", mentor_detail, name="mentor"),
    path("organisations/<slug:slug>/mentoring/settings/", settings_view, name="settings"),
]
