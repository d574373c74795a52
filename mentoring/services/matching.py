"""Writes for matching: a mentor's profile, a trainee's preferences, and an organisation's
mentoring settings."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lms.models import Organisation, Role, User
from lms.policy import holds_role
from lms.services import audit_record
from mentoring.models import (
    SPECIALISMS,
    LivedExperienceVisibility,
    MeetingFormat,
    MentoringSettings,
    MentorProfile,
    TraineePreferences,
)
from pathways.models import Stage
from pathways.selectors import pathways_for_organisation

MAX_LANGUAGES = 10
LANGUAGE_MAX_LENGTH = 40
SETTINGS_FIELDS = (
    "mentor_min_stage",
    "response_days",
    "supervision_interval_days",
    "require_language",
    "require_format",
    "require_area",
    "require_specialism",
    "weight_specialism",
    "weight_language",
    "weight_area",
    "weight_format",
    "weight_capacity",
    "concern_retention_months",
)


def normalise_languages(languages: Iterable[str]) -> list[str]:
    """Languages stored as the matching compares them: lower case, single spaces, each once."""
    found: list[str] = []
    for name in languages:
        name = " ".join(str(name).split()).lower()
        if name and name not in found:
            found.append(name)
    if len(found) > MAX_LANGUAGES:
        raise ValidationError({"languages": f"Give up to {MAX_LANGUAGES} languages."})
    if any(len(name) > LANGUAGE_MAX_LENGTH for name in found):
        raise ValidationError(
            {"languages": "Separate languages with commas, for example: English, Urdu."}
        )
    return found


def _specialisms(keys: Iterable[str]) -> list[str]:
    known = [key for key, _ in SPECIALISMS]
    keys = list(keys)
    if set(keys) - set(known):
        raise ValidationError({"specialisms": "Choose specialisms from the list."})
    return [key for key in known if key in keys]  # in the list's order, each once


def _text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: f"Use {limit} characters or fewer."})
    return value


def mentor_profile_save(
    *,
    user: User,
    organisation: Organisation,
    bio: str = "",
    capacity: int = 2,
    accepting: bool = True,
    specialisms: Iterable[str] = (),
    languages: Iterable[str] = (),
    area: str = "",
    format: str = MeetingFormat.EITHER,  # noqa: A002 - the model's own name for it
    availability: str = "",
    lived_experience: str = "",
    lived_experience_visibility: str = LivedExperienceVisibility.NOBODY,
) -> MentorProfile:
    """Create or update the person's mentor profile in the organisation. One per person and
    organisation: the unique constraint turns a second, simultaneous save into an update."""
    if not holds_role(user=user, organisation=organisation, roles={Role.MENTOR}):
        raise ValidationError(f"Only mentors at {organisation} can write a mentor profile there.")
    if not isinstance(capacity, int) or not 1 <= capacity <= 12:
        raise ValidationError({"capacity": "Choose a number of mentees from 1 to 12."})
    if format not in MeetingFormat.values:
        raise ValidationError({"format": "Choose how you meet your mentees."})
    if lived_experience_visibility not in LivedExperienceVisibility.values:
        raise ValidationError(
            {"lived_experience_visibility": "Choose who may see your lived experience."}
        )
    values = {
        "bio": bio or "",  # stored cleaned by the field, whoever saves it
        "capacity": capacity,
        "accepting": bool(accepting),
        "specialisms": _specialisms(specialisms),
        "languages": normalise_languages(languages),
        "area": _text(area, field="area", limit=100),
        "format": format,
        "availability": _text(availability, field="availability", limit=300),
        "lived_experience": _text(lived_experience, field="lived_experience", limit=300),
        "lived_experience_visibility": lived_experience_visibility,
        "updated_at": timezone.now(),
    }
    profile, _ = MentorProfile.objects.update_or_create(
        user=user, organisation=organisation, defaults=values
    )
    return profile


def trainee_preferences_save(
    *,
    user: User,
    specialisms: Iterable[str] = (),
    languages: Iterable[str] = (),
    area: str = "",
    format: str = "",  # noqa: A002 - the model's own name for it
    notes: str = "",
) -> TraineePreferences:
    """Create or update what the trainee would like in a mentor."""
    if format not in dict(TraineePreferences.FORMATS):
        raise ValidationError({"format": "Choose how you would like to meet, or no preference."})
    values = {
        "specialisms": _specialisms(specialisms),
        "languages": normalise_languages(languages),
        "area": _text(area, field="area", limit=100),
        "format": format,
        "notes": notes or "",
        "updated_at": timezone.now(),
    }
    preferences, _ = TraineePreferences.objects.update_or_create(user=user, defaults=values)
    return preferences


def _settings_values(settings: MentoringSettings) -> dict:
    """The settings as plain values (the stage by id), to record what changed."""
    return {
        name: getattr(settings, "mentor_min_stage_id" if name == "mentor_min_stage" else name)
        for name in SETTINGS_FIELDS
    }


@transaction.atomic
def mentoring_settings_save(*, organisation: Organisation, by: User, **fields) -> MentoringSettings:
    """Set how the organisation runs mentoring (any of `SETTINGS_FIELDS`), and record who
    changed what in the audit log."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Not a mentoring setting: {', '.join(sorted(unknown))}")
    stage = fields.get("mentor_min_stage")
    if stage is not None and not (
        isinstance(stage, Stage)
        and pathways_for_organisation(organisation=organisation)
        .filter(pk=stage.pathway_id)
        .exists()
    ):
        raise ValidationError(
            {"mentor_min_stage": "Choose a stage of one of your organisation's pathways."}
        )
    existing = MentoringSettings.objects.select_for_update().filter(organisation=organisation)
    candidate = existing.first() or MentoringSettings(organisation=organisation)
    before = _settings_values(candidate)
    # Check every value against the model's own limits before anything is written.
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.full_clean(
        exclude=["organisation"], validate_unique=False, validate_constraints=False
    )
    settings, _ = MentoringSettings.objects.update_or_create(
        organisation=organisation, defaults=fields
    )
    after = _settings_values(settings)
    audit_record(
        actor=by,
        action="mentoring.settings.changed",
        subject=settings,
        organisation=organisation,
        detail={
            "changed": {
                name: [before[name], after[name]]
                for name in SETTINGS_FIELDS
                if before[name] != after[name]
            }
        },
    )
    return settings
