"""Template helpers for accessible forms (GOV.UK error pattern) and progress bars."""

from django import template
from django.forms import CheckboxInput, CheckboxSelectMultiple, RadioSelect
from django.urls import reverse
from wagtail import hooks

from lms.access import can_manage_roles
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
