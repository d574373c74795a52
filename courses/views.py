"""The learning loop's pages. Thin: fetch through an access helper or selector, call a service,
redirect. Course and module pages are Wagtail pages; their context comes from here."""

import re
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from wagtail.models import Page

from courses import exports
from courses.forms import (
    AssignForm,
    CatalogueFilterForm,
    LearnerRecordFilterForm,
    ReflectionForm,
)
from courses.models import (
    REFLECTION_UNDO_DAYS,
    Certificate,
    CoursePage,
    Enrolment,
    ModulePage,
    Reflection,
)
from courses.selectors import (
    attempts_this_round,
    certificate_by_code,
    certificates_for_user,
    clock_certificates,
    clock_refreshers,
    course_statuses,
    enrolment_for,
    enrolment_with_progress_for,
    learner_records,
    live_courses,
    live_modules,
    missing_prerequisites,
    module_progress_for,
    module_state,
    reflections_deleted_recently,
    reflections_for_user,
    reflections_on_module,
)
from courses.services import (
    NobodyToShareWith,
    PrerequisitesNotMet,
    certificate_ensure_pdf,
    certificate_set_show_name,
    enrolment_assign,
    enrolment_create,
    knowledge_check_submit,
    mark_check,
    module_finish,
    module_visit,
    reflection_delete,
    reflection_restore,
    reflection_save,
    reflection_share,
    reflection_unshare,
    refresher_start,
)
from lms.access import get_organisation_for_role
from lms.bad_input import safe_next_url
from lms.confirm import Confirmation, confirm_page, confirmed
from lms.models import Membership, User
from lms.policy import (
    mentor_relationship,
    record_organisation_read,
    record_read,
    staff_organisation_for_record,
)
from lms.report_export_views import filter_pairs, report_export_start, spreadsheet_asked
from lms.selectors import members_of_organisation
from lms.submissions import once_per_submission
from lms.uploads import private_file_response

RECORDS_PER_PAGE = 50


# --- Catalogue and course pages (Wagtail page context) ----------------------------------------


def catalogue_context(request, *, index_page) -> dict:
    form = CatalogueFilterForm(request.GET or None)
    courses = live_courses(index_page=index_page)
    query = ""
    if form.is_valid():
        audience, level = form.cleaned_data["audience"], form.cleaned_data["level"]
        query = form.cleaned_data["q"].strip()
        if audience is not None:
            courses = courses.filter(
                Q(audiences=audience) | Q(audiences__slug="everyone")
            ).distinct()
        if level:
            courses = courses.filter(level=level)
        if query:
            courses = courses.filter(pk__in=_courses_matching(index_page, query))
    courses = list(courses)
    statuses = course_statuses(user=request.user, courses=courses)
    return {
        "filter_form": form,
        "query": query,
        "courses": [(course, statuses[course.pk]) for course in courses],
    }


def _courses_matching(index_page, query: str) -> list[int]:
    """Courses whose own text or any of whose modules' text matches the search."""
    # Only words reach the search backend: quotes and operators would be read as query syntax
    # (SQLite's FTS5 rejects a lone double quote outright).
    words = " ".join(re.findall(r"\w+", query))
    if not words:
        return []
    hits = Page.objects.live().public().descendant_of(index_page).search(words)
    course_paths = {hit.path[: index_page.depth * Page.steplen + Page.steplen] for hit in hits}
    return list(CoursePage.objects.filter(path__in=course_paths).values_list("pk", flat=True))


def course_context(request, *, course: CoursePage) -> dict:
    user = request.user
    enrolment = enrolment_for(user=user, course=course)
    modules = list(live_modules(course=course).defer_streamfields())
    progress = module_progress_for(enrolment=enrolment)
    status = course_statuses(user=user, courses=[course])[course.pk]
    return {
        "enrolment": enrolment,
        "status": status,
        "modules": [(module, progress.get(module.pk)) for module in modules],
        "continue_module": _continue_module(enrolment, modules, progress),
        "missing_prerequisites": (
            missing_prerequisites(user=user, course=course)
            if user.is_authenticated and enrolment is None
            else []
        ),
    }


def _continue_module(enrolment, modules, progress):
    """Where to pick up: the first module not yet complete, else the last one opened."""
    if enrolment is None or not modules:
        return None
    for module in modules:
        entry = progress.get(module.pk)
        if entry is None or entry.completed_at is None:
            return module
    return enrolment.last_module or modules[0]


# --- Module pages -----------------------------------------------------------------------------


@dataclass
class AnswerView:
    id: str
    text: str
    checked: bool
    feedback: str = ""


@dataclass
class QuestionView:
    id: str
    number: int
    text: str
    multiple: bool
    answers: list[AnswerView]
    correct: bool | None = None  # None until answered


@dataclass
class CheckView:
    block: object
    questions: list[QuestionView]
    errors: list[str] = field(default_factory=list)
    attempt: object = None
    ever_passed: bool = False


def _check_view(block, chosen: dict[str, list[str]], results=None, **extra) -> CheckView:
    marked = {result.question_id: result for result in results or []}
    questions = []
    for number, question in enumerate(block.value["questions"].bound_blocks, start=1):
        picked = chosen.get(question.id, [])
        result = marked.get(question.id)
        answers = [
            AnswerView(
                answer.id,
                answer.value["text"],
                answer.id in picked,
                answer.value["feedback"] if result and answer.id in picked else "",
            )
            for answer in question.value["answers"].bound_blocks
        ]
        questions.append(
            QuestionView(
                question.id,
                number,
                question.value["question"],
                question.value["kind"] == "multiple",
                answers,
                result.correct if result else None,
            )
        )
    return CheckView(block=block, questions=questions, **extra)


def _attempts(module, enrolment) -> tuple[dict, set]:
    """The latest attempt at each check and the checks passed, this round; no query for a
    module without checks."""
    if enrolment is None or not module.knowledge_checks():
        return {}, set()
    return attempts_this_round(enrolment=enrolment, module=module)


def _sections(module, enrolment, attempts, passed, *, check_errors=None, reflection_form=None):
    """The module's blocks, each paired with what its template needs for this person."""
    prompts = enrolment is not None and bool(module.reflection_prompts())
    mentor = mentor_relationship(person=enrolment.user) if prompts else None
    reflections = (
        reflections_on_module(user=enrolment.user, module=module, mentor=mentor) if prompts else {}
    )
    sections = []
    for block in module.body:
        extra = None
        if block.block_type == "knowledge_check":
            extra = _knowledge_check_section(block, attempts.get(block.id), check_errors)
            extra.ever_passed = block.id in passed
        elif block.block_type == "reflection_prompt":
            extra = _reflection_section(block, reflections.get(block.id), reflection_form)
            extra["mentor"] = mentor
        sections.append((block, extra))
    return sections


def _knowledge_check_section(block, attempt, check_errors):
    if check_errors and check_errors[0] == block.id:
        _, chosen, errors = check_errors
        return _check_view(block, chosen, errors=errors)
    if attempt is None:
        return _check_view(block, {})
    try:
        results, _ = mark_check(block, attempt.answers)
    except ValidationError:  # the questions changed since this attempt
        return _check_view(block, {})
    return _check_view(block, attempt.answers, results, attempt=attempt)


def _reflection_section(block, reflection, bound_form):
    if bound_form is not None and bound_form[0] == block.id:
        return {"form": bound_form[1], "reflection": reflection}
    initial = {"body": reflection.body} if reflection else None
    return {"form": ReflectionForm(initial=initial, prefix=block.id), "reflection": reflection}


def serve_module(request, *, module: ModulePage, check_errors=None, reflection_form=None):
    """A module for an enrolled peer; anyone else is sent to the course outline."""
    course = module.get_parent().specific
    if getattr(request, "is_preview", False):
        return _render_module(request, module, course, enrolment=None)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    enrolment, progress = enrolment_with_progress_for(user=request.user, course=course)
    if enrolment is None:
        messages.info(request, f"Enrol on {course.title} to open its modules.")
        return redirect(course.url)
    # A read, as a GET should be: it writes only the first time the module is opened, or when
    # it was not where the learner left off.
    progress[module.pk] = module_visit(
        enrolment=enrolment, module=module, progress=progress.get(module.pk)
    )
    return _render_module(
        request,
        module,
        course,
        enrolment,
        progress,
        check_errors=check_errors,
        reflection_form=reflection_form,
    )


def _modules_of(course) -> list[ModulePage]:
    """The course's live, public modules: those its route already fetched (courses.routing),
    else one query."""
    routed = getattr(course, "routed_live_modules", None)
    if routed is not None:
        return routed
    return list(live_modules(course=course).defer_streamfields())


def _render_module(request, module, course, enrolment, progress=None, **kwargs):
    modules = _modules_of(course)
    if progress is None:
        progress = module_progress_for(enrolment=enrolment)
    position = next((i for i, m in enumerate(modules) if m.pk == module.pk), 0)
    this_progress = progress.get(module.pk)
    attempts, passed = _attempts(module, enrolment)
    state = (
        module_state(enrolment=enrolment, module=module, progress=this_progress, passed=passed)
        if enrolment
        else None
    )
    context = module.get_context(request)
    context.update(
        {
            "course": course,
            "enrolment": enrolment,
            "sections": _sections(module, enrolment, attempts, passed, **kwargs),
            "modules": [(m, progress.get(m.pk)) for m in modules],
            "previous_module": modules[position - 1] if position > 0 else None,
            "next_module": modules[position + 1] if position + 1 < len(modules) else None,
            "progress_done": sum(
                1 for m in modules if m.pk in progress and progress[m.pk].completed_at
            ),
            "progress_total": len(modules),
            "this_progress": this_progress,
            "state": state,
        }
    )
    return TemplateResponse(request, "courses/module_page.html", context)


def _module_for_enrolled(request, module_id):
    """The live module and the person's enrolment on its course, or a redirect to enrol."""
    module = get_object_or_404(ModulePage.objects.live().public(), pk=module_id)
    course = module.get_parent().specific
    enrolment = enrolment_for(user=request.user, course=course)
    return module, course, enrolment


@login_required
@require_POST
@once_per_submission
def knowledge_check_submit_view(request, module_id, check_id):
    module, course, enrolment = _module_for_enrolled(request, module_id)
    if enrolment is None:
        messages.error(request, f"Enrol on {course.title} before answering its questions.")
        return redirect(course.url)
    block = next((b for b in module.knowledge_checks() if b.id == check_id), None)
    if block is None:
        messages.error(request, "Those questions have changed. Here is the latest version.")
        return redirect(module.url)
    answers = {
        q.id: request.POST.getlist(f"q-{q.id}") for q in block.value["questions"].bound_blocks
    }
    try:
        result = knowledge_check_submit(
            enrolment=enrolment, module=module, check_id=check_id, answers=answers
        )
    except ValidationError as error:
        return serve_module(
            request, module=module, check_errors=(check_id, answers, error.messages)
        )
    attempt = result.attempt
    if result.passed:
        messages.success(
            request,
            f"You got {attempt.correct} of {attempt.total} right. You have passed this check.",
        )
    else:
        messages.info(
            request,
            f"You got {attempt.correct} of {attempt.total} right. Read the "
            "feedback and try again whenever you are ready.",
        )
    return redirect(f"{module.url}#check-{check_id}")


@login_required
@require_POST
def module_finish_view(request, module_id):
    """ "I have finished this module": the learner's own mark. The module completes when its
    checks are passed (and any reflection it needs is written); until then they are told what
    is left. Sending it again changes nothing."""
    module, course, enrolment = _module_for_enrolled(request, module_id)
    if enrolment is None:
        messages.error(request, f"Enrol on {course.title} before working through its modules.")
        return redirect(course.url)
    already = enrolment.progress.filter(module=module, completed_at__isnull=False).exists()
    course_was_complete = enrolment.completed_at is not None
    state = module_finish(enrolment=enrolment, module=module)
    if not state.complete:
        messages.info(
            request,
            "You have marked this module as finished. " + " ".join(state.left),
        )
        return redirect(f"{module.url}#finish")
    enrolment.refresh_from_db(fields=["completed_at"])
    if already:
        messages.info(request, f"You have already finished {module.title}.")
    elif enrolment.completed_at is not None and not course_was_complete:
        messages.success(request, f"You have finished {module.title}, and with it {course.title}.")
    else:
        messages.success(request, f"You have finished {module.title}.")
    return redirect(_after_finishing(course, module, enrolment))


def _after_finishing(course, module, enrolment) -> str:
    """The next module, or the course page (with its certificate) after the last one."""
    if enrolment.completed_at is not None:
        return course.url
    later = live_modules(course=course).filter(path__gt=module.path).defer_streamfields().first()
    return later.url if later else course.url


@login_required
@require_POST
def reflection_save_view(request, module_id, prompt_id):
    module, course, enrolment = _module_for_enrolled(request, module_id)
    if enrolment is None:
        messages.error(request, f"Enrol on {course.title} to write reflections in it.")
        return redirect(course.url)
    if not any(block.id == prompt_id for block in module.reflection_prompts()):
        messages.error(
            request,
            "That reflection prompt has changed. Your words were not saved; "
            "here is the latest version of the module.",
        )
        return redirect(module.url)
    form = ReflectionForm(request.POST, prefix=prompt_id)
    if form.is_valid():
        try:
            reflection_save(
                user=request.user,
                module=module,
                prompt_id=prompt_id,
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            form.add_error("body" if hasattr(error, "error_dict") else None, error.messages)
        else:
            messages.success(request, "Your reflection is saved. Only you can see it.")
            return redirect(f"{module.url}#reflection-{prompt_id}")
    return serve_module(request, module=module, reflection_form=(prompt_id, form))


# --- Enrolment --------------------------------------------------------------------------------


@login_required
@require_POST
def enrol(request, course_id):
    course = get_object_or_404(CoursePage.objects.live().public(), pk=course_id)
    try:
        enrolment, created = enrolment_create(user=request.user, course=course)
    except PrerequisitesNotMet as error:
        messages.error(
            request, f"Before {course.title}, {error.messages[0][0].lower()}{error.messages[0][1:]}"
        )
        return redirect(course.url)
    if created:
        messages.success(request, f"You are enrolled on {course.title}. Take it at your own pace.")
    else:
        messages.info(request, f"You are already enrolled on {course.title}.")
    first = live_modules(course=course).first()
    return redirect(first.url if first else course.url)


@login_required
@require_POST
def refresher(request, course_id):
    enrolment = get_object_or_404(Enrolment, user=request.user, course_id=course_id)
    try:
        refresher_start(enrolment=enrolment)
    except ValidationError as error:
        messages.info(request, error.messages[0])
    else:
        messages.success(
            request, "Your refresher has started. Your earlier certificate stays in your records."
        )
    return redirect(enrolment.course.url)


# --- Reflections ------------------------------------------------------------------------------


@login_required
def reflection_list(request):
    mentor = mentor_relationship(person=request.user)
    return render(
        request,
        "courses/reflection_list.html",
        {
            "reflections": reflections_for_user(user=request.user, mentor=mentor),
            "deleted": reflections_deleted_recently(user=request.user),
            "undo_days": REFLECTION_UNDO_DAYS,
            "mentor": mentor,
        },
    )


def _own_reflection(request, pk) -> Reflection:
    return get_object_or_404(Reflection, pk=pk, user=request.user)


@login_required
@require_POST
def reflection_share_view(request, pk):
    """Share a reflection with one's mentor of today, by name, or stop sharing it."""
    reflection = _own_reflection(request, pk)
    if request.POST.get("shared") != "yes":
        reflection_unshare(reflection=reflection)
        messages.success(request, "This reflection is private to you again.")
        return redirect(_safe_next(request) or "courses:reflections")
    try:
        share = reflection_share(reflection=reflection)
    except NobodyToShareWith:
        messages.info(
            request,
            "You do not have a mentor at the moment, so there is nobody to share this with. "
            "It stays private to you.",
        )
    else:
        messages.success(
            request,
            f"{share.shared_with} can now read this reflection, until you stop sharing it "
            "or your mentorship ends.",
        )
    return redirect(_safe_next(request) or "courses:reflections")


def _safe_next(request) -> str | None:
    """A `next` address from the form, only if it stays on this site."""
    return safe_next_url(request, request.POST.get("next"))


@login_required
def reflection_delete_view(request, pk):
    """Ask first; then delete softly, with undo on "Your reflections" for a while."""
    reflection = _own_reflection(request, pk)
    if not confirmed(request):
        shared = reflection.shares.filter(ended_at=None).select_related("shared_with").first()
        happens = [
            f"Your reflection on {reflection.title} disappears from your reflections and "
            "from the module page."
        ]
        if shared:
            happens.append(f"{shared.shared_with} can no longer read it.")
        return confirm_page(
            request,
            Confirmation(
                title="Delete this reflection?",
                intro=reflection.prompt,
                happens=happens,
                undo=f"You can bring it back from Your reflections for {REFLECTION_UNDO_DAYS} "
                "days. After that it is gone for good.",
                button="Delete the reflection",
                cancel_url=reverse("courses:reflections"),
                cancel_label="No, keep it",
            ),
        )
    reflection_delete(reflection=reflection)
    messages.success(
        request,
        f"Your reflection on {reflection.title} has been deleted. You can undo this below for "
        f"{REFLECTION_UNDO_DAYS} days.",
    )
    return redirect("courses:reflections")


@login_required
@require_POST
def reflection_restore_view(request, pk):
    """Undo a delete: only the owner, only while it may still be undone."""
    reflection = get_object_or_404(reflections_deleted_recently(user=request.user), pk=pk)
    reflection_restore(reflection=reflection)
    messages.success(
        request, f"Your reflection on {reflection.title} is back. It is private to you."
    )
    return redirect("courses:reflections")


# --- Certificates -----------------------------------------------------------------------------


@login_required
def certificate_list(request):
    return render(
        request,
        "courses/certificate_list.html",
        {"certificates": clock_certificates(certificates_for_user(user=request.user))},
    )


def _certificate_for_reader(user: User, code: str) -> Certificate:
    """The holder, or staff of an organisation in whose context it was issued (docs/privacy.md);
    a read by staff is audited."""
    certificate = certificate_by_code(code=code)
    if certificate is None:
        raise Http404("No such certificate.")
    if certificate.user_id == user.pk:
        return certificate
    organisation = staff_organisation_for_record(
        viewer=user, person=certificate.user, created_at=certificate.issued_at
    )
    if organisation is None:
        raise Http404("No such certificate.")
    record_read(
        viewer=user,
        person=certificate.user,
        action="courses.certificate.read",
        subject=certificate,
        organisation=organisation,
    )
    return certificate


def _certificate_slug(certificate: Certificate) -> str:
    return certificate.course.slug if certificate.course_id else certificate.code


@login_required
def certificate_download(request, code):
    certificate = certificate_ensure_pdf(certificate=_certificate_for_reader(request.user, code))
    return private_file_response(
        certificate.pdf,
        filename=f"certificate-{_certificate_slug(certificate)}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_POST
def certificate_show_name(request, code):
    certificate = get_object_or_404(Certificate, code=code, user=request.user)
    show = request.POST.get("show_name") == "yes"
    certificate_set_show_name(certificate=certificate, show_name=show)
    messages.success(
        request,
        "Your name now shows on the verification page."
        if show
        else "Your name no longer shows on the verification page.",
    )
    return redirect("courses:certificates")


def certificate_verify(request, code):
    """Public: the minimum a third party needs, and the holder's name only if they chose."""
    certificate = certificate_by_code(code=code)
    status = 200 if certificate else 404
    if certificate:
        # Valid until the holder's clock says: a pause moves the date; nothing says why.
        (certificate,) = clock_certificates([certificate])
    return render(
        request, "courses/certificate_verify.html", {"certificate": certificate}, status=status
    )


# --- Staff: learner records and assignment ----------------------------------------------------


@login_required
def learner_record_list(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    asked = spreadsheet_asked(request)
    form = LearnerRecordFilterForm(
        (request.POST if asked else request.GET) or None, courses=live_courses()
    )
    filters = form.cleaned_data if form.is_valid() else {}
    records = learner_records(
        organisation=organisation, course=filters.get("course"), status=filters.get("status") or ""
    )
    export = "xlsx" if asked else request.GET.get("export")
    record_organisation_read(
        viewer=request.user,
        action="courses.learner_records.read",
        organisation=organisation,
        detail={
            "export": export or "",
            "course": getattr(filters.get("course"), "pk", None),
            "status": filters.get("status") or "",
        },
    )
    if asked:
        return report_export_start(
            request, organisation, exports.KIND, exports.filters_for_export(filters)
        )
    if export == "csv":
        return exports.learner_records_csv(records, organisation)
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    clock_refreshers(page.object_list)  # the clock's dates, one query for the page
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "courses/learner_records.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filters": filter_pairs(query),
        },
    )


@login_required
def assign(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    form = AssignForm(
        request.POST or None,
        courses=live_courses(),
        people=members_of_organisation(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        people = _people_to_assign(organisation, form.cleaned_data)
        result = enrolment_assign(
            course=form.cleaned_data["course"],
            people=people,
            by=request.user,
            organisation=organisation,
        )
        _report_assignment(request, form.cleaned_data["course"], result)
        return redirect("courses:learner-records", slug=organisation.slug)
    return render(request, "courses/assign.html", {"organisation": organisation, "form": form})


def _people_to_assign(organisation, data) -> list[User]:
    if data.get("person"):
        return [data["person"]]
    memberships = Membership.objects.active().filter(organisation=organisation, role=data["role"])
    return list(User.objects.filter(memberships__in=memberships).distinct())


def _report_assignment(request, course, result) -> None:
    if result.enrolled:
        messages.success(
            request,
            f"{course.title} assigned to {len(result.enrolled)} "
            f"{'person' if len(result.enrolled) == 1 else 'people'}.",
        )
    if result.already_enrolled:
        names = ", ".join(str(p) for p in result.already_enrolled)
        messages.info(request, f"Already enrolled, so nothing changed: {names}.")
    if result.missing_prerequisites:
        names = ", ".join(str(p) for p in result.missing_prerequisites)
        messages.warning(
            request,
            f"Not assigned yet, because they have not completed the "
            f"courses that come first: {names}.",
        )
