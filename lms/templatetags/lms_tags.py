"""Template helpers for accessible forms (GOV.UK error pattern) and progress bars."""

from datetime import datetime

from django import template
from django.forms import CheckboxInput, CheckboxSelectMultiple, RadioSelect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from wagtail import hooks

from lms.access import can_manage_roles
from lms.clock import Due
from lms.context_processors import NavItem
from lms.submissions import submission_field_html

register = template.Library()


@register.simple_tag
def submission_field():
    """The one-time token that makes a repeat of this form do nothing (lms.submissions)."""
    return submission_field_html()


@register.simple_tag
def field_widget(field, **attrs):
    """Render a field's widget tied to its hint and error message for screen readers."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}-hint")
    if field.errors:
        described_by.append(f"{field.auto_id}-error")
        attrs["aria-invalid"] = "true"
        attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.filter
def is_choice_group(field) -> bool:
    """Radios and checkbox lists are fieldsets with a legend, not a single label."""
    return isinstance(field.field.widget, RadioSelect | CheckboxSelectMultiple)


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, CheckboxInput)


@register.filter
def error_anchor(field) -> str:
    """Where the error summary link should land: the first input of the field."""
    if is_choice_group(field):
        return f"{field.auto_id}_0"
    return field.auto_id


@register.inclusion_tag("includes/progress_bar.html")
def progress_bar(done, total, label=""):
    """A labelled progress bar; `done` of `total` (a total of 0 shows as not started)."""
    done = max(0, int(done or 0))
    total = max(0, int(total or 0))
    percent = round(100 * min(done, total) / total) if total else 0
    return {"done": done, "total": total, "percent": percent, "label": label}


@register.inclusion_tag("includes/organisation_tabs.html", takes_context=True)
def organisation_tabs(context, organisation):
    """Tabs across an organisation's pages; apps add theirs through the `organisation_tabs`
    hook (`fn(request, organisation) -> list[NavItem]`)."""
    request = context["request"]
    tabs = [NavItem("People", reverse("lms:members", args=[organisation.slug]), order=10)]
    if can_manage_roles(user=request.user, organisation=organisation):
        tabs.append(
            NavItem("Audit log", reverse("lms:audit-log", args=[organisation.slug]), order=90)
        )
        tabs.append(
            NavItem(
                "Privacy contact",
                reverse("lms:privacy-contact", args=[organisation.slug]),
                order=95,
            )
        )
    for hook in hooks.get_hooks("organisation_tabs"):
        tabs.extend(hook(request, organisation))
    tabs.sort(key=lambda tab: tab.order)
    return {
        "organisation": organisation,
        "tabs": [{"label": t.label, "url": t.url, "current": request.path == t.url} for t in tabs],
    }


# --- Dates from the one clock (lms.clock) ------------------------------------------------------


@register.simple_tag
def due_date(value, fmt="j F Y"):
    """A date (or a `Due`) as a <time> element: people read the words, tests and assistive
    technology read the ISO day."""
    if value is None or value == "":
        return ""
    day = value.day if isinstance(value, Due) else value
    if isinstance(day, datetime):
        day = timezone.localdate(day)
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), format_date(day, fmt))


@register.simple_tag
def staff_due(due, fmt="j M Y", since="Overdue since"):
    """For staff: "Overdue since 3 Mar 2026" (marked; `since` gives other words where a page
    means to stay gentle) or "Due by 3 Apr 2026"."""
    if due is None:
        return "—"
    if due.overdue:
        return format_html('<strong class="past-due">{} {}</strong>', since, due_date(due, fmt))
    return format_html("Due by {}", due_date(due, fmt))
