"""Reads for matching: an organisation's mentoring settings, who may mentor, and a trainee's
explained shortlist."""

from lms.models import Organisation
from mentoring.models import MentoringSettings


def mentoring_settings_for(*, organisation: Organisation) -> MentoringSettings:
    """The organisation's settings, or the defaults (unsaved) when its admins have set none."""
    found = MentoringSettings.objects.filter(organisation=organisation).first()
    return found or MentoringSettings(organisation=organisation)
