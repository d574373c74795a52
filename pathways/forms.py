from django import forms

from lms.forms import PlainErrorsMixin
from lms.sanitiser import SanitisedHTMLFormField
from pathways.files import ALLOWED_DESCRIPTION, EVIDENCE_MAX_BYTES
from pathways.models import Competence, Evidence, Pathway, Stage, StageDecision

ASPIRATIONS_MAX = 10_000
EVIDENCE_MAX_MEGABYTES = EVIDENCE_MAX_BYTES // (1024 * 1024)


class AspirationsForm(PlainErrorsMixin, forms.Form):
    body = SanitisedHTMLFormField(
        label="Your goals and aspirations",
        required=False,
        max_length=ASPIRATIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="In your own words: where you would like to get to, and why. Only you, your "
        "mentor and your coordinator can read this.",
    )


class PauseForm(PlainErrorsMixin, forms.Form):
    private_note = forms.CharField(
        label="A note for yourself (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only you will ever see this. Your coordinator sees only that you are paused.",
    )


class EvidenceForm(PlainErrorsMixin, forms.Form):
    competence = forms.ModelChoiceField(
        queryset=Competence.objects.none(),
        required=False,
        label="Competence",
        empty_label="Not for one competence",
        help_text="Which competence this shows, if any.",
    )
    evidence_kind = forms.ChoiceField(
        required=False,
        label="Or a kind of evidence your pathway asks for",
        choices=[],
    )
    statement = SanitisedHTMLFormField(
        label="What you did and what it shows",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    file = forms.FileField(
        label="A file (optional)",
        required=False,
        help_text=f"You can add {ALLOWED_DESCRIPTION}, up to {EVIDENCE_MAX_MEGABYTES} MB.",
    )

    def __init__(self, *args, competences, evidence_kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = competences
        self.fields["evidence_kind"].choices = [("", "None"), *[(k, k) for k in evidence_kinds]]


class ReviewForm(PlainErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[(Evidence.SIGNED_OFF, "Sign it off"), (Evidence.MORE_NEEDED, "Ask for more")],
    )
    note = forms.CharField(
        label="A note for them",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Say what was good, or what more would help. They will see this.",
    )
    required_messages = {"outcome": "Choose whether to sign it off or ask for more."}


class StageDecisionForm(PlainErrorsMixin, forms.Form):
    to_stage = forms.ModelChoiceField(queryset=Stage.objects.all(), widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label="Your decision", widget=forms.RadioSelect, choices=StageDecision.OUTCOMES
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with the decision. The person can read it.",
    )
    required_messages = {"outcome": "Choose confirm or not yet."}


class JoinPathwayForm(PlainErrorsMixin, forms.Form):
    pathway = forms.ModelChoiceField(queryset=Pathway.objects.none(), label="Pathway")
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        label="Starting stage",
        required=False,
        empty_label="The first stage",
    )

    def __init__(self, *args, pathways, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway"].queryset = pathways
        self.fields["stage"].queryset = Stage.objects.filter(pathway__in=pathways).select_related(
            "pathway"
        )

    def clean(self):
        cleaned = super().clean()
        stage, pathway = cleaned.get("stage"), cleaned.get("pathway")
        if stage and pathway and stage.pathway_id != pathway.pk:
            self.add_error("stage", "Choose a stage of that pathway.")
        return cleaned


class ReadinessFilterForm(forms.Form):
    pathway = forms.ModelChoiceField(
        queryset=Pathway.objects.none(), required=False, empty_label="All pathways"
    )
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(), required=False, empty_label="All stages"
    )
    role = forms.ChoiceField(
        required=False,
        choices=[("", "Peers and mentors"), ("peer", "Peers"), ("mentor", "Mentors")],
    )

    def __init__(self, *args, pathways, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway"].queryset = pathways
        self.fields["stage"].queryset = (
            Stage.objects.filter(pathway__in=pathways)
            .select_related("pathway")
            .order_by("pathway__name", "sort_order")
        )
