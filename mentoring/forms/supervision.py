"""Forms for supervision: logging or correcting a session (with up to three action items, as
fixed rows that work without JavaScript), confirming it, and giving feedback."""

from django import forms

from lms.forms import PlainErrorsMixin
from lms.sanitiser import SanitisedHTMLFormField
from mentoring.models import SUPERVISION_TOPICS, Mentorship, SessionFormat, SupervisionSession
from mentoring.selectors.supervision import RATING_LABELS, WELLBEING_LABELS
from mentoring.services.supervision import MAX_ACTIONS, mentorship_began_on, session_problems

MENTEE, MENTOR = "mentee", "mentor"
ACTION_ROWS = range(1, MAX_ACTIONS + 1)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class SessionForm(PlainErrorsMixin, forms.Form):
    held_on = forms.DateField(label="Date of the session", widget=DateInput)
    duration_minutes = forms.IntegerField(
        label="How long it lasted, in minutes",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="For example, 60 for an hour. At most 480 (8 hours).",
    )
    format = forms.ChoiceField(
        label="How you met", choices=SessionFormat.choices, widget=forms.RadioSelect
    )
    topics = forms.MultipleChoiceField(
        label="What you talked about (optional)",
        choices=SUPERVISION_TOPICS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    summary = SanitisedHTMLFormField(
        label="Summary (optional)",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    private_notes = SanitisedHTMLFormField(
        label="Private notes (optional)",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only you will ever see these",
    )
    required_messages = {
        "held_on": "Enter the date of the session",
        "duration_minutes": "Enter how long the session lasted, in minutes",
        "format": "Choose how you met",
    }

    def __init__(self, *args, mentorship: Mentorship, **kwargs):
        self.mentorship = mentorship
        super().__init__(*args, **kwargs)
        mentee = mentorship.trainee.display_name or "your mentee"
        self.fields[
            "summary"
        ].help_text = f"Shared with {mentee}. What you covered and anything agreed, in a few lines."
        self.fields["held_on"].error_messages["invalid"] = "Enter a real date, like 14 3 2026"
        self.fields["duration_minutes"].error_messages["invalid"] = (
            "Enter how long the session lasted as a number of minutes, like 60"
        )
        owners = [(MENTEE, mentee), (MENTOR, "You")]
        for row in ACTION_ROWS:
            self.fields[f"action{row}_id"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput
            )
            self.fields[f"action{row}_description"] = forms.CharField(
                label=f"Action {row}: what will be done (optional)", required=False, max_length=300
            )
            self.fields[f"action{row}_owner"] = forms.ChoiceField(
                label=f"Action {row}: who will do it",
                choices=owners,
                initial=MENTEE,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"action{row}_due_on"] = forms.DateField(
                label=f"Action {row}: by when (optional)", required=False, widget=DateInput
            )
            self.fields[f"action{row}_due_on"].error_messages["invalid"] = (
                "Enter a real date, like 14 3 2026, or leave it empty"
            )

    @classmethod
    def initial_for(cls, *, session: SupervisionSession, actions, private_notes: str) -> dict:
        """The form's starting values when correcting a session."""
        initial = {
            "held_on": session.held_on,
            "duration_minutes": session.duration_minutes,
            "format": session.format,
            "topics": session.topics,
            "summary": session.summary,
            "private_notes": private_notes,
        }
        for row, action in zip(ACTION_ROWS, actions, strict=False):
            initial.update(
                {
                    f"action{row}_id": action.pk,
                    f"action{row}_description": action.description,
                    f"action{row}_owner": MENTOR
                    if action.owner_id == session.mentorship.mentor_id
                    else MENTEE,
                    f"action{row}_due_on": action.due_on,
                }
            )
        return initial

    def session_fields(self) -> list:
        return [self[name] for name in ("held_on", "duration_minutes", "format", "topics")]

    def note_fields(self) -> list:
        return [self["summary"], self["private_notes"]]

    def action_rows(self) -> list[dict]:
        """The bound fields of each action row, for the template."""
        return [
            {
                "number": row,
                "id": self[f"action{row}_id"],
                "description": self[f"action{row}_description"],
                "owner": self[f"action{row}_owner"],
                "due_on": self[f"action{row}_due_on"],
            }
            for row in ACTION_ROWS
        ]

    def clean(self):
        cleaned = super().clean()
        for name, message in session_problems(
            held_on=cleaned.get("held_on"),
            duration_minutes=cleaned.get("duration_minutes"),
            began_on=mentorship_began_on(self.mentorship),
        ).items():
            if name not in self.errors:
                self.add_error(name, message)
        for row in ACTION_ROWS:
            description = (cleaned.get(f"action{row}_description") or "").strip()
            if not description and cleaned.get(f"action{row}_due_on"):
                self.add_error(
                    f"action{row}_description",
                    f"Say what action {row} is, or clear its date",
                )
        return cleaned

    def actions(self) -> list[dict]:
        """The filled-in action rows, as the services take them."""
        people = {MENTEE: self.mentorship.trainee, MENTOR: self.mentorship.mentor}
        actions = []
        for row in ACTION_ROWS:
            description = (self.cleaned_data.get(f"action{row}_description") or "").strip()
            if not description:
                continue
            owner = self.cleaned_data.get(f"action{row}_owner") or MENTEE
            actions.append(
                {
                    "id": self.cleaned_data.get(f"action{row}_id"),
                    "description": description,
                    "owner": people[owner],
                    "due_on": self.cleaned_data.get(f"action{row}_due_on"),
                }
            )
        return actions

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "duration_minutes": data["duration_minutes"],
            "format": data["format"],
            "topics": data["topics"],
            "summary": data["summary"],
            "private_notes": data["private_notes"],
            "actions": self.actions(),
        }


class ConfirmForm(PlainErrorsMixin, forms.Form):
    RIGHT, WRONG = "right", "wrong"

    answer = forms.ChoiceField(
        label="Is this right?",
        choices=[(RIGHT, "Yes, this is right"), (WRONG, "No, something is not right")],
        widget=forms.RadioSelect,
    )
    wellbeing_checkin = forms.TypedChoiceField(
        label="How are you doing at the moment? (optional)",
        choices=[("", "I would rather not say"), *WELLBEING_LABELS.items()],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Only you and your mentor see this. Your coordinator never does.",
    )
    note = forms.CharField(
        label="If something is not right, what is it?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your mentor will see this and can correct the session.",
    )
    required_messages = {"answer": "Choose whether this session is right"}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == self.WRONG and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Say what is not right, so your mentor can correct it")
        return cleaned


class FeedbackForm(PlainErrorsMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label="How helpful was this session?",
        choices=list(RATING_LABELS.items()),
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything you would like to add (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your mentor does not see your rating or your words. Your organisation sees "
        "only totals, and only once at least five people have given feedback.",
    )
    required_messages = {"rating": "Choose how helpful the session was"}
