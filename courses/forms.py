from django import forms

from courses.models import REFLECTION_MAX_CHARACTERS, Audience, CoursePage, Level
from lms.forms import PlainErrorsMixin
from lms.models import Role
from lms.sanitiser import SanitisedHTMLFormField


class CatalogueFilterForm(forms.Form):
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="Everyone",
        label="Written for",
    )
    level = forms.TypedChoiceField(
        choices=[("", "Any level"), *Level.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Level",
    )
    q = forms.CharField(required=False, label="Search courses and modules", max_length=200)


class ReflectionForm(PlainErrorsMixin, forms.Form):
    body = SanitisedHTMLFormField(
        label="Your reflection",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Private to you unless you choose to share it with your mentor. Leave a blank "
        "line between paragraphs; start lines with “- ” for a list.",
        # Checked on the typed text before anything cleans it.
        max_length=REFLECTION_MAX_CHARACTERS,
        too_long=lambda length, limit: (
            f"Your reflection is {length:,} characters long. Shorten it to {limit:,} or fewer."
        ),
    )
    required_messages = {"body": "Write your reflection before saving it."}

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body:
            raise forms.ValidationError("Write your reflection before saving it.")
        return body


class AssignForm(PlainErrorsMixin, forms.Form):
    course = forms.ModelChoiceField(queryset=CoursePage.objects.none(), label="Course")
    person = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="A person",
        empty_label="Choose a person",
        help_text="Or choose a role below to assign everyone in it.",
    )
    role = forms.ChoiceField(
        choices=[("", "No role"), *Role.choices],
        required=False,
        label="Everyone with this role",
    )
    required_messages = {"course": "Choose a course."}

    def __init__(self, *args, courses, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["person"].queryset = people

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("person") and not cleaned.get("role"):
            self.add_error("person", "Choose a person, or a role to assign everyone in it.")
        return cleaned


class LearnerRecordFilterForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.none(),
        required=False,
        empty_label="All courses",
        label="Course",
    )
    status = forms.ChoiceField(
        required=False,
        label="Status",
        choices=[
            ("", "Any status"),
            ("in_progress", "In progress"),
            ("completed", "Completed"),
            ("refresher_due", "Refresher due"),
        ],
    )

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
