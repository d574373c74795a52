"""Pathway pages: your own progress, a person's progress for their coordinator or mentor,
evidence and its review, stage decisions, and workforce readiness."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lms.access import get_organisation_for_role
from lms.confirm import Confirmation, confirm_page, confirmed
from lms.forms import add_service_errors
from lms.policy import (
    has_history_elsewhere,
    history_visible_from,
    is_mentor_of,
    is_staff_for,
    record_organisation_read,
)
from lms.report_export_views import filter_pairs, report_export_start, spreadsheet_asked
from lms.submissions import once_per_submission
from lms.uploads import accepts_upload, private_file_response
from pathways import exports
from pathways.access import (
    get_evidence_for_viewer,
    get_person_for_staff,
    record_evidence_read,
    record_pathway_read,
)
from pathways.files import evidence_content_type
from pathways.forms import (
    AspirationsForm,
    EvidenceForm,
    JoinPathwayForm,
    PauseForm,
    ReadinessFilterForm,
    ReviewForm,
    StageDecisionForm,
)
from pathways.models import Aspirations, Competence, Requirement, StageDecision
from pathways.readiness_selectors import kept_readiness
from pathways.selectors import (
    current_pause,
    evidence_for_user,
    evidence_waiting_for_review,
    pathways_for_organisation,
    person_progress,
    readiness_trend,
    timeline,
)
from pathways.services import (
    aspirations_save,
    evidence_review,
    evidence_submit,
    pathway_join,
    pause_end,
    pause_start,
    stage_decide,
)

PEOPLE_PER_PAGE = 100


def _pathway_context(person, viewer, *, since=None):
    """What a person's pathway page shows; records from before `since` are left out (staff of
    an organisation the person joined later, unless the person shared their history)."""
    aspirations = Aspirations.objects.filter(user=person).first()
    return {
        "person": person,
        "progress": person_progress(user=person),
        "timeline": timeline(user=person, since=since),
        "aspirations": aspirations,
        "evidence": evidence_for_user(user=person, since=since),
        "history_since": since,
        "pause": current_pause(user=person),
        "is_self": person.pk == viewer.pk,
    }


# --- Your own pathway -------------------------------------------------------------------------


@login_required
def my_pathway(request):
    context = _pathway_context(request.user, request.user)
    initial = {"body": context["aspirations"].body} if context["aspirations"] else None
    context["aspirations_form"] = AspirationsForm(initial=initial)
    context["pause_form"] = PauseForm()
    return render(request, "pathways/my_pathway.html", context)


@login_required
@require_POST
def aspirations_edit(request):
    form = AspirationsForm(request.POST)
    if form.is_valid():
        aspirations_save(user=request.user, body=form.cleaned_data["body"])
        messages.success(request, "Your goals and aspirations are saved.")
        return redirect("pathways:mine")
    context = _pathway_context(request.user, request.user)
    context.update({"aspirations_form": form, "pause_form": PauseForm()})
    return render(request, "pathways/my_pathway.html", context)


@login_required
@require_POST
def pause(request):
    if request.POST.get("action") == "end":
        pause_end(user=request.user)
        messages.success(request, "Welcome back. Your clocks have started again.")
    else:
        form = PauseForm(request.POST)
        note = form.cleaned_data["private_note"] if form.is_valid() else ""
        pause_start(user=request.user, private_note=note)
        messages.success(
            request,
            "Your pause has started. Deadlines, reminders and renewal "
            "dates are on hold until you come back.",
        )
    return redirect("pathways:mine")


# --- Evidence ---------------------------------------------------------------------------------


def _evidence_choices(user):
    progress = person_progress(user=user)
    if progress is None:
        return Competence.objects.none(), []
    competences = Competence.objects.filter(
        framework=progress.membership.pathway.framework
    ).select_related("domain")
    kinds = sorted(
        set(
            Requirement.objects.filter(
                stage__pathway=progress.membership.pathway, kind="evidence"
            ).values_list("evidence_kind", flat=True)
        )
    )
    return competences, kinds


@accepts_upload("EVIDENCE_MAX_BYTES")
@login_required
@once_per_submission
def evidence_new(request):
    competences, kinds = _evidence_choices(request.user)
    form = EvidenceForm(
        request.POST or None,
        request.FILES or None,
        competences=competences,
        evidence_kinds=kinds,
        initial={
            "competence": request.GET.get("competence"),
            "evidence_kind": request.GET.get("kind"),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            evidence_submit(
                user=request.user,
                competence=form.cleaned_data["competence"],
                evidence_kind=form.cleaned_data["evidence_kind"],
                statement=form.cleaned_data["statement"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your evidence has been sent for review. You will hear back by email."
            )
            return redirect("pathways:mine")
    return render(request, "pathways/evidence_form.html", {"form": form})


@login_required
def evidence_file(request, pk):
    evidence = get_evidence_for_viewer(viewer=request.user, pk=pk)
    if not evidence.file:
        return redirect("pathways:mine")
    return private_file_response(
        evidence.file,
        filename=evidence.original_filename or "evidence",
        content_type=evidence_content_type(evidence.file.name),
    )


# --- For coordinators and mentors -------------------------------------------------------------


@login_required
def person_pathway(request, slug, user_id):
    organisation = get_organisation_for_role(
        user=request.user, slug=slug, roles={"coordinator", "org_admin", "mentor"}
    )
    person = get_person_for_staff(viewer=request.user, organisation=organisation, user_id=user_id)
    record_pathway_read(viewer=request.user, person=person, organisation=organisation)
    mentor = is_mentor_of(viewer=request.user, person=person)
    since = None if mentor else history_visible_from(organisation=organisation, person=person)
    context = _pathway_context(person, request.user, since=since)
    context["history_elsewhere"] = since is not None and has_history_elsewhere(
        person=person, organisation=organisation, before=since
    )
    staff = is_staff_for(viewer=request.user, person=person, organisation=organisation)
    progress = context["progress"]
    context.update(
        {
            "organisation": organisation,
            "can_decide": staff and progress is not None and progress.next_stage is not None,
            "decision_form": StageDecisionForm(
                initial={"to_stage": progress.next_stage}
                if progress and progress.next_stage
                else None
            ),
            "join_form": JoinPathwayForm(
                pathways=pathways_for_organisation(organisation=organisation)
            )
            if staff and progress is None
            else None,
        }
    )
    return render(request, "pathways/person_pathway.html", context)


def _pay_band(stage) -> str:
    return stage.pay_band or "no pay band set"


def _stage_move_confirmation(slug, person, progress, form) -> Confirmation:
    """A stage move changes a person's pay band: say exactly what will happen first."""
    from_stage, to_stage = progress.membership.stage, form.cleaned_data["to_stage"]
    happens = [f"{person} moves from {from_stage} to {to_stage}, from today."]
    if from_stage.pay_band != to_stage.pay_band:
        happens.append(
            f"Their pay band changes from {_pay_band(from_stage)} to {_pay_band(to_stage)}."
        )
    else:
        happens.append(f"Their pay band stays {_pay_band(to_stage)}.")
    happens.append(f"{person} can read the decision and your note on their pathway page.")
    return Confirmation(
        title=f"Confirm {person}'s move to {to_stage}?",
        happens=happens,
        undo="A move cannot be undone. If it turns out to be wrong, record a new decision: "
        "the record keeps both.",
        button=f"Confirm the move to {to_stage}",
        cancel_url=reverse("pathways:person", args=[slug, person.pk]),
        cancel_label="No, go back",
        hidden={
            "to_stage": str(to_stage.pk),
            "outcome": StageDecision.CONFIRMED,
            "note": form.cleaned_data["note"],
        },
    )


@login_required
@require_POST
@once_per_submission
def stage_decision(request, slug, user_id):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    person = get_person_for_staff(viewer=request.user, organisation=organisation, user_id=user_id)
    progress = person_progress(user=person)
    form = StageDecisionForm(request.POST)
    if progress is None or not form.is_valid():
        messages.error(request, "Choose confirm or not yet.")
        return redirect("pathways:person", slug=slug, user_id=user_id)
    if form.cleaned_data["outcome"] == StageDecision.CONFIRMED and not confirmed(request):
        return confirm_page(request, _stage_move_confirmation(slug, person, progress, form))
    try:
        decision = stage_decide(
            membership=progress.membership,
            by=request.user,
            organisation=organisation,
            **form.cleaned_data,
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            f"{person} is now at {decision.to_stage}."
            if decision.outcome == "confirmed"
            else f"Recorded: not yet for {person}. They can see your note.",
        )
    return redirect("pathways:person", slug=slug, user_id=user_id)


@login_required
@require_POST
def join_pathway(request, slug, user_id):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    person = get_person_for_staff(viewer=request.user, organisation=organisation, user_id=user_id)
    form = JoinPathwayForm(
        request.POST, pathways=pathways_for_organisation(organisation=organisation)
    )
    if form.is_valid():
        try:
            pathway_join(
                user=person, by=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, f"{person} is now on {form.cleaned_data['pathway']}.")
    else:
        messages.error(request, "Choose a pathway, and a stage of that pathway.")
    return redirect("pathways:person", slug=slug, user_id=user_id)


@login_required
def evidence_queue(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    waiting = list(evidence_waiting_for_review(organisation=organisation))
    # One event for the page, naming each piece of evidence it put in front of the reader.
    record_organisation_read(
        viewer=request.user,
        action="pathways.evidence_queue.read",
        organisation=organisation,
        detail={"evidence": [evidence.pk for evidence in waiting]},
    )
    return render(
        request,
        "pathways/evidence_queue.html",
        {"organisation": organisation, "waiting": waiting},
    )


@login_required
def evidence_review_view(request, pk):
    evidence = get_evidence_for_viewer(viewer=request.user, pk=pk, audit_read=False)
    if evidence.user_id == request.user.pk:
        return redirect("pathways:mine")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evidence_review(evidence=evidence, reviewer=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Thank you. {evidence.user} has been told.")
            return redirect("/")
    # Only a decision was made when the review went through; otherwise the page shows it.
    record_evidence_read(viewer=request.user, evidence=evidence)
    return render(request, "pathways/evidence_review.html", {"evidence": evidence, "form": form})


# --- Workforce readiness ----------------------------------------------------------------------


@login_required
def readiness(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    pathways = pathways_for_organisation(organisation=organisation)
    asked = spreadsheet_asked(request)
    form = ReadinessFilterForm((request.POST if asked else request.GET) or None, pathways=pathways)
    filters = form.cleaned_data if form.is_valid() else {}
    chosen = {
        "stage_id": getattr(filters.get("stage"), "pk", None),
        "pathway_id": getattr(filters.get("pathway"), "pk", None),
        "role": filters.get("role") or None,
    }
    export = "xlsx" if asked else request.GET.get("export")
    record_organisation_read(
        viewer=request.user,
        action="pathways.readiness.read",
        organisation=organisation,
        detail={"export": export or ""},
    )
    if asked:
        return report_export_start(
            request, organisation, exports.KIND, exports.filters_for_export(filters)
        )
    if export == "csv":
        return exports.readiness_csv(organisation, exports.filters_for_export(filters))
    figures = kept_readiness(organisation=organisation, **chosen)
    query = request.GET.copy()
    query.pop("export", None)
    query.pop("page", None)
    return render(
        request,
        "pathways/readiness.html",
        {
            "organisation": organisation,
            "form": form,
            "readiness": figures,
            "people_page": figures.people_page(request.GET.get("page"), PEOPLE_PER_PAGE),
            "trend": readiness_trend(organisation=organisation),
            "query": query.urlencode(),
            "filters": filter_pairs(query),
            "chart_max": figures.chart_max,
        },
    )
