"""An org admin asks to erase the data of a person who has left, or cancels it during the grace
period (docs/privacy.md, "Erasure"). Thin: access helper -> form -> service -> redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lms.access import get_organisation_for_role, get_person_for_erasure
from lms.erasure import (
    erase_after_from,
    erasure_refusal,
    erasure_request_cancel,
    erasure_request_create,
)
from lms.forms import ErasureForm, add_service_errors
from lms.models import ErasureRequest, Membership, Role
from lms.submissions import once_per_submission


def _members_url(organisation) -> str:
    return reverse("lms:members", args=[organisation.slug]) + "#erasures"


@login_required
@once_per_submission
def erasure_confirm(request, slug, user_id):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    person = get_person_for_erasure(organisation=organisation, user_id=user_id)
    refusal = erasure_refusal(person=person, organisation=organisation, by=request.user)
    if refusal:
        context = {"organisation": organisation, "person": person, "refusal": refusal}
        return render(request, "lms/erasure_refused.html", context)
    form = ErasureForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = erasure_request_create(
                person=person,
                organisation=organisation,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            when = timezone.localtime(erasure.erase_after)
            messages.success(
                request, f"Erasure of {person}'s data is scheduled for {when:%-d %B %Y}."
            )
            return redirect(_members_url(organisation))
    return render(
        request,
        "lms/erasure_confirm.html",
        {
            "organisation": organisation,
            "person": person,
            "form": form,
            "erase_after": erase_after_from(),
            "roles_here": Membership.objects.active().filter(
                user=person, organisation=organisation
            ),
        },
    )


@login_required
@require_POST
def erasure_cancel(request, slug, user_id):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    person = get_person_for_erasure(organisation=organisation, user_id=user_id)
    erasure = ErasureRequest.objects.open().filter(person=person, organisation=organisation).first()
    if erasure is None:
        messages.error(request, f"No erasure of {person}'s data is scheduled.")
        return redirect(_members_url(organisation))
    try:
        erasure_request_cancel(erasure=erasure, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Erasure of {person}'s data cancelled. Nothing was deleted.")
    return redirect(_members_url(organisation))
