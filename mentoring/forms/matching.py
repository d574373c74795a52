"""Forms for matching: a mentor's profile, a trainee's preferences, and an organisation's
mentoring settings."""

from django import forms

from lms.forms import PlainErrorsMixin
from lms.sanitiser import SanitisedHTMLFormField
from mentoring.models import (
    SPECIALISMS,
    LivedExperienceVisibility,
    MeetingFormat,
    MentoringSettings,
    MentorProfile,
    SupervisionInterval,
    TraineePreferences,
)
from mentoring.selectors.matching import languages_text
from mentoring.services.matching import normalise_languages
from pathways.models import Stage

BIO_MAX = 3000
NOTES_MAX = 3000


class LanguagesField(forms.CharField):
    """One text box of comma-separated languages, cleaned to a lower-case list and shown back
    capitalised."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 400)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return languages_text(value)
        return value

    def clean(self, value):
        text = super().clean(value)
        try:
            return normalise_languages(text.replace(";", ",").split(","))
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["languages"]) from None


def _specialisms_field(label: str, help_text: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=SPECIALISMS,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


def _number_field(label: str, low: int, high: int, help_text: str = "") -> forms.IntegerField:
    words = f"Enter a number from {low} to {high}."
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        help_text=help_text,
        error_messages={"invalid": words, "min_value": words, "max_value": words},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class MentorProfileForm(PlainErrorsMixin, forms.Form):
    bio = SanitisedHTMLFormField(
        label="About you (optional)",
        required=False,
        max_length=BIO_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="A few lines for trainees: your work as a peer, and what you enjoy about "
        "mentoring. Leave a blank line between paragraphs.",
    )
    capacity = _number_field(
        "How many mentees you can support at once",
        1,
        12,
        help_text="Count everyone you mentor now. When you are full, you are not suggested.",
    )
    accepting = forms.BooleanField(
        label="I am taking new mentees",
        required=False,
        help_text="Untick this for a while if you need to. Your current mentees are not affected.",
    )
    specialisms = _specialisms_field(
        "What you know about or work with (optional)", "Choose as many as apply."
    )
    languages = LanguagesField(
        label="Languages you can mentor in (optional)",
        help_text="Separate them with commas, for example: English, Urdu, British Sign Language.",
    )
    area = forms.CharField(
        label="Your area (optional)",
        max_length=100,
        required=False,
        help_text="A town, city or part of the county, for example Nottingham.",
    )
    format = forms.ChoiceField(
        label="How you meet your mentees", choices=MeetingFormat.choices, widget=forms.RadioSelect
    )
    availability = forms.CharField(
        label="When you are usually free (optional)",
        max_length=300,
        required=False,
        help_text="In your own words, for example: weekday evenings and Saturday mornings.",
    )
    lived_experience = forms.CharField(
        label="Lived experience you are happy to draw on (optional)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only if you want to. Some trainees look for a mentor who has been through "
        "something similar. You choose below who may see this.",
    )
    lived_experience_visibility = forms.ChoiceField(
        label="Who may see your lived experience",
        choices=LivedExperienceVisibility.choices,
        widget=forms.RadioSelect,
        initial=LivedExperienceVisibility.NOBODY,
    )
    required_messages = {
        "capacity": "Enter how many mentees you can support, from 1 to 12.",
        "format": "Choose how you meet your mentees.",
        "lived_experience_visibility": "Choose who may see your lived experience.",
    }

    @staticmethod
    def initial_for(profile: MentorProfile | None) -> dict:
        if profile is None:
            return {
                "capacity": 2,
                "accepting": True,
                "format": MeetingFormat.EITHER,
                "lived_experience_visibility": LivedExperienceVisibility.NOBODY,
            }
        return {name: getattr(profile, name) for name in MentorProfileForm.base_fields}


class TraineePreferencesForm(PlainErrorsMixin, forms.Form):
    specialisms = _specialisms_field(
        "What would you like your mentor to know about? (optional)",
        "Choose any that matter to you. Mentors who share them come first.",
    )
    languages = LanguagesField(
        label="Languages you would like to speak with your mentor (optional)",
        help_text="Separate them with commas, for example: English, Urdu.",
    )
    area = forms.CharField(
        label="Your area (optional)",
        max_length=100,
        required=False,
        help_text="A town, city or part of the county, for example Nottingham.",
    )
    format = forms.ChoiceField(
        label="How you would like to meet",
        choices=TraineePreferences.FORMATS,
        widget=forms.RadioSelect,
        required=False,
        initial="",
    )
    notes = SanitisedHTMLFormField(
        label="Anything else, in your own words (optional)",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you hope a mentor can help with, or anything that matters to you. "
        "Your coordinator may read this if they help you find a mentor.",
    )

    @staticmethod
    def initial_for(preferences: TraineePreferences | None) -> dict:
        if preferences is None:
            return {"format": ""}
        return {name: getattr(preferences, name) for name in TraineePreferencesForm.base_fields}


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.pathway.name}: {obj.title}"


class MentoringSettingsForm(PlainErrorsMixin, forms.Form):
    mentor_min_stage = StageChoiceField(
        queryset=Stage.objects.none(),
        required=False,
        label="Stage mentors must have reached",
        empty_label="Anyone with the mentor role",
        help_text="People with the mentor role who have not reached it yet can write their "
        "profile, and trainees see it once they do.",
    )
    response_days = _number_field(
        "Days a mentor has to answer a request",
        1,
        60,
        help_text="After this, an unanswered request lapses and the trainee is told, so they "
        "can choose again.",
    )
    supervision_interval_days = forms.TypedChoiceField(
        label="How often supervision should happen",
        choices=SupervisionInterval.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    require_language = forms.BooleanField(
        required=False, label="Only suggest mentors who speak a language the trainee asked for"
    )
    require_format = forms.BooleanField(
        required=False, label="Only suggest mentors who meet in the way the trainee prefers"
    )
    require_area = forms.BooleanField(
        required=False, label="Only suggest mentors in the trainee's area"
    )
    require_specialism = forms.BooleanField(
        required=False,
        label="Only suggest mentors who share at least one specialism the trainee chose",
    )
    weight_language = _number_field("Points for a shared language", 0, 100)
    weight_specialism = _number_field("Points for each shared specialism", 0, 100)
    weight_format = _number_field("Points for meeting in the way the trainee prefers", 0, 100)
    weight_area = _number_field("Points for the same area", 0, 100)
    weight_capacity = _number_field(
        "Points for each free place beyond the first",
        0,
        100,
        help_text="So that mentors with more room are suggested a little more often, and the "
        "load is shared.",
    )
    concern_retention_months = _number_field(
        "Months to keep a closed concern",
        1,
        120,
        help_text="After this, a closed concern and the responses to it are removed for good. "
        "Open concerns are always kept.",
    )
    required_messages = {
        "response_days": "Enter the number of days a mentor has to answer, from 1 to 60.",
        "concern_retention_months": "Enter the number of months to keep a closed concern, "
        "from 1 to 120.",
        "supervision_interval_days": "Choose how often supervision should happen.",
        **{
            f"weight_{name}": "Enter a number of points from 0 to 100."
            for name in ("language", "specialism", "format", "area", "capacity")
        },
    }
    MUST_HAVES = ("require_language", "require_format", "require_area", "require_specialism")
    WEIGHTS = (
        "weight_language",
        "weight_specialism",
        "weight_format",
        "weight_area",
        "weight_capacity",
    )

    def __init__(self, *args, pathways, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor_min_stage"].queryset = (
            Stage.objects.filter(pathway__in=pathways)
            .select_related("pathway")
            .order_by("pathway__name", "sort_order")
        )

    @staticmethod
    def initial_for(settings: MentoringSettings) -> dict:
        return {name: getattr(settings, name) for name in MentoringSettingsForm.base_fields}

    def fieldsets(self) -> dict:
        """The fields in groups, for the page's headings."""
        return {
            "who": [self["mentor_min_stage"]],
            "timing": [self["response_days"], self["supervision_interval_days"]],
            "must_haves": [self[name] for name in self.MUST_HAVES],
            "weights": [self[name] for name in self.WEIGHTS],
            "retention": [self["concern_retention_months"]],
        }
