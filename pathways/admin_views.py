"""Wagtail admin views for competence frameworks: import a file (showing every problem, or what
changed) and download a framework as CSV or JSON. Wired in through `register_admin_urls`."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header

from pathways.frameworks import (
    DEFAULT_NAME,
    DEFAULT_SLUG,
    FrameworkImportError,
    framework_export_csv,
    framework_export_json,
    framework_import,
    parser_for,
)
from pathways.models import CompetenceFramework

# A framework file is a few kilobytes; anything far larger is a wrong file, not a framework.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
EXPORTS = {
    # The byte-order mark makes Excel read the CSV as UTF-8; import skips it.
    "csv": (
        "text/csv; charset=utf-8",
        lambda framework: "\ufeff" + framework_export_csv(framework=framework),
    ),
    "json": ("application/json", lambda framework: framework_export_json(framework=framework)),
}


class FrameworkImportForm(forms.Form):
    file = forms.FileField(
        label="Framework file",
        help_text="A .csv (columns domain_code, domain, competence_code, competence, "
        "description) or .json file, saved as UTF-8.",
    )
    name = forms.CharField(
        max_length=200, initial=DEFAULT_NAME, help_text="Used if the framework is new."
    )
    slug = forms.SlugField(
        max_length=80,
        initial=DEFAULT_SLUG,
        help_text="Which framework to import into: an existing one is updated by code.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if parser_for(upload.name) is None:
            raise forms.ValidationError("Choose a file whose name ends in .csv or .json.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("This file is too large to be a competence framework.")
        return upload


def may_manage_frameworks(user) -> bool:
    """Frameworks are shared by every organisation, so only people trusted with all of them
    (superusers, or those given the Django permission) import or export them."""
    return user.is_active and (
        user.is_superuser or user.has_perm("pathways.add_competenceframework")
    )


def _require_framework_permission(user) -> None:
    if not may_manage_frameworks(user):
        raise PermissionDenied


def framework_import_view(request):
    """Upload a framework file; show every problem (nothing written) or the counts."""
    _require_framework_permission(request.user)
    form = FrameworkImportForm(request.POST or None, request.FILES or None)
    result, problems = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        parsed = parser_for(upload.name)(upload.read())
        try:
            result = framework_import(
                framework_name=form.cleaned_data["name"],
                framework_slug=form.cleaned_data["slug"],
                parsed=parsed,
                by=request.user,
            )
        except FrameworkImportError as error:
            problems = error.problems
    context = {
        "form": form,
        "result": result,
        "problems": problems,
        "page_title": "Import a competence framework",
        "header_title": "Import a competence framework",
        "header_icon": "upload",
    }
    return TemplateResponse(request, "pathways/admin/framework_import.html", context)


def framework_export_view(request, pk: int, fmt: str):
    """Download a framework as CSV or JSON, in the shape the import reads."""
    _require_framework_permission(request.user)
    if fmt not in EXPORTS:
        raise Http404("Export as csv or json.")
    framework = get_object_or_404(CompetenceFramework, pk=pk)
    content_type, export = EXPORTS[fmt]
    response = HttpResponse(export(framework), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{framework.slug}-competences.{fmt}"
    )
    return response
