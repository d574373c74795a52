"""Forms for care: raising a concern, recording what was done, and a wellness action plan."""

from django import forms

from lms.forms import PlainErrorsMixin
from lms.sanitiser import SanitisedHTMLFormField
from mentoring.models import WELLNESS_PLAN_SECTIONS, Concern

CONCERN_MAX = 5000
RESPONSE_MAX = 5000
PLAN_SECTION_MAX = 5000
PRIVATE = "private"

KIND_LABELS = {
    Concern.WELLBEING: "Wellbeing: they seem to be struggling, for example low, overwhelmed or "
    "not looking after themselves",
    Concern.SAFEGUARDING: "Safeguarding: you think they, or someone else, may be at risk of harm, "
    "abuse or neglect",
}


class ConcernForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What kind of concern is it?",
        widget=forms.RadioSelect,
        choices=[(kind, KIND_LABELS[kind]) for kind, _ in Concern.KINDS],
        help_text="If you are not sure, choose safeguarding: a coordinator will help decide. "
        "If anyone is in immediate danger, call 999 now, then tell us here.",
    )
    description = forms.CharField(
        label="What did you notice?",
        max_length=CONCERN_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="In your own words: what you saw or heard, and when. Your coordinators will "
        "read exactly this. Nothing from your session notes is sent with it.",
    )
    required_messages = {
        "kind": "Choose whether this is about wellbeing or safeguarding.",
        "description": "Say what you noticed, in your own words.",
    }


class ConcernResponseForm(PlainErrorsMixin, forms.Form):
    action_taken = forms.CharField(
        label="What was done",
        max_length=RESPONSE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Who you spoke to, what was agreed and what happens next. Other coordinators "
        "at your organisation can read this; the mentor and the mentee cannot.",
    )
    close = forms.BooleanField(
        label="This is dealt with: close the concern",
        required=False,
        help_text="Leave this unticked if there is more to do.",
    )
    required_messages = {"action_taken": "Say what was done, or what will happen next."}


class WellnessPlanForm(PlainErrorsMixin, forms.Form):
    """One text box for each section of the plan, and, when the person has a current mentor,
    whether that mentor may read it."""

    def __init__(self, *args, mentorships=(), **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in WELLNESS_PLAN_SECTIONS:
            self.fields[key] = SanitisedHTMLFormField(
                label=label,
                required=False,
                max_length=PLAN_SECTION_MAX,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        self.mentorships = {str(m.pk): m for m in mentorships}
        if self.mentorships:
            self.fields["share"] = forms.ChoiceField(
                label="Who can read your plan",
                widget=forms.RadioSelect,
                choices=[
                    (PRIVATE, "Only me"),
                    *[
                        (pk, f"Me and my mentor, {m.mentor.display_name}")
                        for pk, m in self.mentorships.items()
                    ],
                ],
                help_text="Your mentor can read your plan only while you are working together. "
                "When your mentorship ends, sharing stops. Coordinators never see your plan.",
                error_messages={
                    "invalid_choice": "That mentorship is not current any more. Choose again "
                    "who can read your plan."
                },
            )

    def section_values(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key, _ in WELLNESS_PLAN_SECTIONS}

    def shared_mentorship(self):
        """The mentorship chosen to share with, or None for "only me"."""
        return self.mentorships.get(self.cleaned_data.get("share", PRIVATE))
