"""Forms for pairing: asking a mentor, answering, proposing, the agreement, ending and the next
session."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from lms.forms import PlainErrorsMixin
from lms.sanitiser import SanitisedHTMLFormField
from mentoring.models import EndReason
from mentoring.services.pairing import (
    NEXT_SESSION_MAX_MINUTES,
    NEXT_SESSION_TOO_FAR,
    next_session_latest_date,
)

MESSAGE_MAX = 2000
AGREEMENT_MAX = 5000


class MentorRequestForm(PlainErrorsMixin, forms.Form):
    message = forms.CharField(
        label="Your message",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="A few words about why you are asking and what you hope to get from "
        "mentoring. Only the mentor will read it.",
    )
    required_messages = {"message": "Write a few words to the mentor about why you are asking."}


class AnswerForm(PlainErrorsMixin, forms.Form):
    # Set by the button pressed ("Accept" or "Decline"), so it has no box of its own.
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("decline", "Decline")], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label="A note for them (optional)",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="If you decline, a kind word helps. They will see this.",
    )
    required_messages = {"decision": "Choose accept or decline."}


class _MentorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, profile):
        free = profile.capacity - profile.open_mentorships
        return f"{profile.user} ({free} free place{'s' if free != 1 else ''})"


class ProposeForm(PlainErrorsMixin, forms.Form):
    trainee = forms.ModelChoiceField(
        queryset=None,
        label="Trainee",
        empty_label="Choose a trainee",
        help_text="Peers with no mentor and no request waiting.",
    )
    mentor = _MentorChoiceField(
        queryset=None,
        label="Mentor",
        empty_label="Choose a mentor",
        help_text="Mentors taking on mentees, with a free place.",
    )
    message = forms.CharField(
        label="Why you suggest this pairing",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Both of them will read this. Either can say no, and that is fine.",
    )
    required_messages = {
        "trainee": "Choose a trainee.",
        "mentor": "Choose a mentor.",
        "message": "Say in a few words why you suggest this pairing.",
    }

    def __init__(self, *args, trainees, mentor_profiles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = trainees
        self.fields["mentor"].queryset = mentor_profiles


class AgreementForm(PlainErrorsMixin, forms.Form):
    goals = SanitisedHTMLFormField(
        label="Our goals",
        max_length=AGREEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the trainee would like to get from mentoring. Start a line with "
        "“- ” for a list.",
    )
    meeting_frequency = forms.CharField(
        label="How often we will meet",
        max_length=200,
        help_text="For example: an hour every month, online.",
    )
    boundaries = SanitisedHTMLFormField(
        label="Boundaries (optional)",
        required=False,
        max_length=AGREEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="How and when to get in touch, and what mentoring is not for.",
    )
    confidentiality = SanitisedHTMLFormField(
        label="Confidentiality (optional)",
        required=False,
        max_length=AGREEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What stays between you, and when a mentor must share a worry about safety.",
    )
    required_messages = {
        "goals": "Write down at least one goal.",
        "meeting_frequency": "Say how often you will meet.",
    }


class EndForm(PlainErrorsMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is it ending?",
        choices=EndReason.choices,
        widget=forms.RadioSelect,
        help_text="Nobody is at fault. This helps your organisation learn what works.",
    )
    note = forms.CharField(
        label="A note (optional)",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="You will both see this.",
    )
    required_messages = {"reason": "Choose the reason that fits best."}


class NextSessionForm(PlainErrorsMixin, forms.Form):
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Any day from today to a year from today.",
    )
    start = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    minutes = forms.IntegerField(
        label="Length in minutes",
        min_value=1,
        max_value=NEXT_SESSION_MAX_MINUTES,
        initial=60,
        error_messages={
            "min_value": "A session lasts at least 1 minute.",
            "max_value": "A session lasts at most 8 hours (480 minutes).",
            "invalid": "Enter the length as a number of minutes, for example 60.",
        },
    )
    place = forms.CharField(
        label="Where (optional)",
        required=False,
        max_length=200,
        help_text="For example: the team office, or a video call link.",
    )
    required_messages = {
        "date": "Enter the date of the session.",
        "start": "Enter the time it starts, for example 14:30.",
        "minutes": "Enter how many minutes it will last.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A hint for date pickers; the check itself is in clean() and in the service.
        self.fields["date"].widget.attrs.update(
            min=timezone.localdate().isoformat(), max=next_session_latest_date().isoformat()
        )

    def clean(self):
        cleaned = super().clean()
        day, start = cleaned.get("date"), cleaned.get("start")
        if day and day > next_session_latest_date():
            # Refused before any arithmetic: a date like 9999-12-31 would overflow later.
            self.add_error("date", NEXT_SESSION_TOO_FAR)
        elif day and start:
            starts_at = timezone.make_aware(datetime.combine(day, start))
            if starts_at <= timezone.now():
                self.add_error("date", "The next session must be in the future.")
            cleaned["starts_at"] = starts_at
        return cleaned

    @classmethod
    def initial_for(cls, mentorship) -> dict:
        if mentorship.next_session_at is None:
            return {"minutes": 60, "start": time(10, 0)}
        local = timezone.localtime(mentorship.next_session_at)
        return {
            "date": local.date(),
            "start": local.time().replace(second=0, microsecond=0),
            "minutes": mentorship.next_session_minutes,
            "place": mentorship.next_session_place,
        }
