"""Reads for matching: an organisation's mentoring settings, who may mentor, and a trainee's
explained shortlist.

The shortlist is scored in Python over rows fetched in a fixed number of queries: one for every
mentor profile in the organisation (a few small columns, with the stage checked in the
database), one counting every mentor's open mentorships (grouped in the database), and one for
the full profiles of the few who make the list. So its cost in queries is the same for 5 mentors
or 5,000.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connections
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from lms.models import Membership, Organisation, Role, User
from lms.selectors import roles_for_user
from mentoring.models import (
    SPECIALISMS,
    LivedExperienceVisibility,
    MeetingFormat,
    MentoringSettings,
    MentorProfile,
    MentorRequest,
    Mentorship,
    TraineePreferences,
)
from pathways.selectors import people_at_or_beyond

SPECIALISM_LABELS = dict(SPECIALISMS)
SHORTLIST_SIZE = 5

# Why a mentor was left off a shortlist, in the order they are checked: each mentor is counted
# under the first that applies, so the counts add up to the mentors who were left off.
NOT_YET_AT_STAGE = "stage"
NOT_ACCEPTING = "not_accepting"
FULL = "full"
NO_SHARED_LANGUAGE = "language"
OTHER_FORMAT = "format"
OTHER_AREA = "area"
NO_SHARED_SPECIALISM = "specialism"


# --- Words ------------------------------------------------------------------------------------


def language_label(name: str) -> str:
    """A stored (lower-case) language as people write it: "british sign language" →
    "British Sign Language"."""
    return " ".join(word[:1].upper() + word[1:] for word in name.split())


def languages_text(languages) -> str:
    """Languages for a text box: "English, Urdu"."""
    return ", ".join(language_label(name) for name in languages)


def specialism_labels(keys) -> list[str]:
    return [SPECIALISM_LABELS[key] for key in keys if key in SPECIALISM_LABELS]


def _in_a_sentence(label: str) -> str:
    """ "Personal budgets" → "personal budgets", but "LGBTQ+ communities" stays as it is."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _and_list(words: list[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _people(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# --- Settings and who may mentor --------------------------------------------------------------


def mentoring_settings_for(*, organisation: Organisation) -> MentoringSettings:
    """The organisation's settings, or the defaults (unsaved) when its admins have set none."""
    found = (
        MentoringSettings.objects.select_related("mentor_min_stage")
        .filter(organisation=organisation)
        .first()
    )
    return found or MentoringSettings(organisation=organisation)


def organisations_where(*, user: User, role: str) -> list[Organisation]:
    """The organisations where the person holds `role` today, by name."""
    return [entry.organisation for entry in roles_for_user(user=user) if role in entry.roles]


def _mentor_role_holders(organisation: Organisation) -> QuerySet:
    return (
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.MENTOR)
        .values("user_id")
    )


def _open_mentorships():
    """How many open mentorships the profile's mentor has in the profile's organisation.

    Correlated on the profile itself (through the mentor's profiles) rather than on its user and
    organisation columns: SQLite, which keeps no statistics unless asked, then looks mentorships
    up by mentor instead of reading all of the organisation's mentorships for every profile."""
    counted = (
        Mentorship.objects.filter(
            mentor__mentor_profiles=OuterRef("pk"),
            organisation_id=OuterRef("organisation_id"),
            status__in=Mentorship.OPEN,
        )
        .order_by()
        .values("mentor_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def open_mentorship_counts(*, organisation: Organisation) -> dict[int, int]:
    """Each mentor's number of open mentorships in the organisation ({user_id: count}), in one
    grouped query."""
    return dict(
        Mentorship.objects.filter(organisation=organisation, status__in=Mentorship.OPEN)
        .order_by()
        .values("mentor_id")
        .annotate(count=Count("pk"))
        .values_list("mentor_id", "count")
    )


def mentor_is_eligible(*, user: User, organisation: Organisation) -> bool:
    """The person holds the mentor role in the organisation and has reached the stage it asks
    of mentors (if it asks one)."""
    memberships = Membership.objects.active().filter(
        user=user, organisation=organisation, role=Role.MENTOR
    )
    stage = mentoring_settings_for(organisation=organisation).mentor_min_stage
    if stage is not None:
        memberships = memberships.filter(user_id__in=people_at_or_beyond(stage=stage))
    return memberships.exists()


def eligible_mentor_profiles(
    *, organisation: Organisation, mentoring_settings: MentoringSettings | None = None
) -> QuerySet[MentorProfile]:
    """Profiles of the people who may mentor in the organisation today, each annotated with
    `open_mentorships` (proposed, active or paused) and `free_places` (capacity less those; it
    can be below zero when a mentor lowered their capacity)."""
    mentoring_settings = mentoring_settings or mentoring_settings_for(organisation=organisation)
    profiles = MentorProfile.objects.filter(
        organisation=organisation, user_id__in=_mentor_role_holders(organisation)
    )
    stage = mentoring_settings.mentor_min_stage
    if stage is not None:
        profiles = profiles.filter(user_id__in=people_at_or_beyond(stage=stage))
    return (
        profiles.select_related("user")
        .annotate(open_mentorships=_open_mentorships())
        .annotate(free_places=F("capacity") - F("open_mentorships"))
    )


def mentor_profile_for(*, user: User, organisation: Organisation) -> MentorProfile | None:
    """The person's own mentor profile in the organisation, with their open mentorships."""
    return (
        MentorProfile.objects.filter(user=user, organisation=organisation)
        .annotate(open_mentorships=_open_mentorships())
        .first()
    )


def trainee_preferences_for(*, user: User) -> TraineePreferences | None:
    return TraineePreferences.objects.filter(user=user).first()


@dataclass
class TraineeSituation:
    """Whether a trainee is already mentored, or waiting for an answer, in an organisation."""

    open_mentorship: Mentorship | None
    pending_request: MentorRequest | None

    @property
    def may_ask(self) -> bool:
        return self.open_mentorship is None and self.pending_request is None


def trainee_situation(*, trainee: User, organisation: Organisation) -> TraineeSituation:
    """The trainee's open mentorship and pending request in the organisation, if any. A request
    past its answer-by time counts as lapsed even before the hourly task marks it."""
    return TraineeSituation(
        open_mentorship=Mentorship.objects.filter(
            trainee=trainee, organisation=organisation, status__in=Mentorship.OPEN
        )
        .select_related("mentor")
        .first(),
        pending_request=MentorRequest.objects.filter(
            trainee=trainee,
            organisation=organisation,
            status=MentorRequest.PENDING,
            respond_by__gt=timezone.now(),
        )
        .select_related("mentor")
        .first(),
    )


# --- The shortlist ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Wants:
    """A trainee's preferences, normalised for comparing: sets for the matching, tuples (in the
    trainee's order) for the words."""

    specialisms: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    area: str = ""
    format: str = ""
    specialism_set: frozenset[str] = frozenset()
    language_set: frozenset[str] = frozenset()
    area_key: str = ""

    @classmethod
    def of(cls, preferences: TraineePreferences | None) -> Wants:
        if preferences is None:
            return cls()
        specialisms = tuple(key for key in preferences.specialisms if key in SPECIALISM_LABELS)
        languages = tuple(name.lower() for name in preferences.languages)
        area = preferences.area.strip()
        return cls(
            specialisms=specialisms,
            languages=languages,
            area=area,
            format=preferences.format,
            specialism_set=frozenset(specialisms),
            language_set=frozenset(languages),
            area_key=area.casefold(),
        )


@dataclass
class ShortlistEntry:
    profile: MentorProfile
    score: int
    reasons: list[tuple[str, int]]
    free_places: int

    @property
    def user(self) -> User:
        return self.profile.user

    @property
    def lived_experience(self) -> str:
        """Shown to trainees only when the mentor chose so."""
        if self.profile.lived_experience_visibility == LivedExperienceVisibility.TRAINEES:
            return self.profile.lived_experience
        return ""

    @property
    def languages(self) -> list[str]:
        return [language_label(name) for name in self.profile.languages]

    @property
    def specialisms(self) -> list[str]:
        return specialism_labels(self.profile.specialisms)


@dataclass
class Shortlist:
    trainee: User
    organisation: Organisation
    settings: MentoringSettings
    preferences: TraineePreferences | None
    situation: TraineeSituation
    entries: list[ShortlistEntry] = field(default_factory=list)
    why_none: list[str] = field(default_factory=list)
    left_off: dict[str, int] = field(default_factory=dict)

    @property
    def may_ask(self) -> bool:
        return self.situation.may_ask


def _formats_suit(mentor_format: str, wanted: str) -> bool:
    return not wanted or MeetingFormat.EITHER in (wanted, mentor_format) or mentor_format == wanted


def _format_words(mentor_format: str, wanted: str) -> str:
    if wanted == MeetingFormat.EITHER:
        return f"Meets {MeetingFormat(mentor_format).label.lower()}, which suits you"
    return f"Meets {MeetingFormat(wanted).label.lower()}, as you prefer"


# Each criterion judged on its own: whether a must-have leaves the mentor off, and the points it
# adds. A must-have applies to what the trainee asked for; with no wish there is nothing to match.


def _language(languages: frozenset, wants: Wants, rules: MentoringSettings) -> tuple[bool, int]:
    shared = bool(wants.language_set & languages)
    missing = rules.require_language and bool(wants.language_set) and not shared
    return missing, rules.weight_language if shared else 0


def _format(mentor_format: str, wants: Wants, rules: MentoringSettings) -> tuple[bool, int]:
    suits = _formats_suit(mentor_format, wants.format)
    return rules.require_format and not suits, rules.weight_format if wants.format and suits else 0


def _area(area_key: str, wants: Wants, rules: MentoringSettings) -> tuple[bool, int]:
    same = bool(wants.area_key) and area_key == wants.area_key
    return rules.require_area and bool(
        wants.area_key
    ) and not same, rules.weight_area if same else 0


def _specialism(specialisms: frozenset, wants: Wants, rules: MentoringSettings) -> tuple[bool, int]:
    shared = len(wants.specialism_set & specialisms)
    missing = rules.require_specialism and bool(wants.specialism_set) and not shared
    return missing, rules.weight_specialism * shared


# The must-haves in the order a mentor left off is counted under them.
MUST_HAVES = (NO_SHARED_LANGUAGE, OTHER_FORMAT, OTHER_AREA, NO_SHARED_SPECIALISM)


def _judged(row: dict, wants: Wants, rules: MentoringSettings) -> list[tuple[bool, int]]:
    """Each criterion's (missing must-have, points), in the order of `MUST_HAVES`."""
    return [
        _language(row["languages"], wants, rules),
        _format(row["format"], wants, rules),
        _area(row["area_key"], wants, rules),
        _specialism(row["specialisms"], wants, rules),
    ]


def _first_missing(judged) -> str | None:
    return next(
        (name for name, (missing, _) in zip(MUST_HAVES, judged, strict=True) if missing), None
    )


def _capacity_points(free_places: int, rules: MentoringSettings) -> int:
    return rules.weight_capacity * (free_places - 1) if free_places > 1 else 0


def _left_off_because(row: dict, wants: Wants, rules: MentoringSettings) -> str | None:
    """Why this mentor cannot be suggested, or None when they can."""
    if not row["reached_stage"]:
        return NOT_YET_AT_STAGE
    if not row["accepting"]:
        return NOT_ACCEPTING
    if row["free_places"] <= 0:
        return FULL
    return _first_missing(_judged(row, wants, rules))


def _score(row: dict, wants: Wants, rules: MentoringSettings) -> int:
    """The sum of the points `_reasons` explains, computed cheaply for every candidate (the
    words are written only for the few who make the list)."""
    criteria = sum(points for _, points in _judged(row, wants, rules))
    return criteria + _capacity_points(row["free_places"], rules)


def _reasons(row: dict, wants: Wants, rules: MentoringSettings) -> list[tuple[str, int]]:
    """Each criterion the mentor meets, in words, with the points it adds (none for 0)."""
    reasons = []
    shared = [name for name in wants.languages if name in row["languages"]]
    if shared and rules.weight_language:
        words = _and_list([language_label(name) for name in shared])
        reasons.append((f"Speaks {words}", rules.weight_language))
    if rules.weight_specialism:
        for key, label in SPECIALISMS:
            if key in wants.specialism_set and key in row["specialisms"]:
                reasons.append(
                    (f"Also works with {_in_a_sentence(label)}", rules.weight_specialism)
                )
    if wants.format and rules.weight_format and _formats_suit(row["format"], wants.format):
        reasons.append((_format_words(row["format"], wants.format), rules.weight_format))
    if wants.area_key and rules.weight_area and row["area_key"] == wants.area_key:
        reasons.append((f"Based in {row['area'].strip()}", rules.weight_area))
    free = row["free_places"]
    if free > 1 and rules.weight_capacity:
        reasons.append((f"Has room for {free} more mentees", rules.weight_capacity * (free - 1)))
    return reasons


def _json_list(raw: str, *, lower: bool = False) -> frozenset[str]:
    """A stored JSON list, fetched as its text, as a set (lower-cased if asked)."""
    names = json.loads(raw) if raw else []
    return frozenset(name.lower() for name in names) if lower else frozenset(names)


# A language can be looked for in the stored JSON text (`"urdu"`) only when it is written the same
# way there: printable ASCII, nothing JSON escapes, nothing LIKE treats specially.
_PLAIN_LANGUAGE = re.compile(r"^[a-z0-9 '().,-]+$")
# The one character outside ASCII that Python lower-cases into it (KELVIN SIGN -> "k"), as stored
# by PostgreSQL and as escaped in SQLite's JSON text: a list holding it is always read in full.
KELVIN_SIGN = "\u212a"
KELVIN_SIGN_ESCAPED = "\\u212a"


def _may_share_language(wants: Wants, rules: MentoringSettings):
    """A condition true for every mentor who may share a wanted language, when the organisation
    asks for one: mentors it leaves out certainly share none (and are only counted), so the
    database, not Python, sets most of a large organisation aside. None when it cannot help."""
    if not (rules.require_language and wants.language_set):
        return None
    if not all(_PLAIN_LANGUAGE.match(name) for name in wants.language_set):
        return None
    condition = Q(languages_text__contains=KELVIN_SIGN) | Q(
        languages_text__icontains=KELVIN_SIGN_ESCAPED
    )
    for name in wants.language_set:
        condition |= Q(languages_text__icontains=f'"{name}"')
    return ExpressionWrapper(condition, output_field=BooleanField())


@dataclass
class _Candidates:
    scored: list[
        tuple
    ]  # (score, free places, name, profile pk, row) for those who may be suggested
    left_off: Counter  # the others, by why
    with_profile: int  # every mentor with a profile, the trainee's own aside
    judge: _Judge


def _rows_of(queryset) -> list[tuple]:
    """The queryset's rows as the database driver returns them: for ten thousand mentors,
    Django's per-row conversions cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _candidates(*, organisation: Organisation, trainee: User, rules: MentoringSettings, wants):
    """Every mentor profile in the organisation whose owner holds the mentor role today, other
    than the trainee's own, judged and scored in two queries (the profiles, and every mentor's
    open mentorships).

    Mentors not yet at the stage, not taking mentees, full, or (where the organisation asks for a
    shared language) certainly without one are counted straight away, as `_left_off_because`
    would count them. The rest are judged by `_left_off_because` and `_score` once per distinct
    profile (specialisms, languages, area and way of meeting: thousands of mentors share a few
    hundred), the capacity points added per mentor, so the rules and the points are the same
    as for each row on its own."""
    stage = rules.mentor_min_stage
    reached = (
        # An uncorrelated IN: the database reads who has reached the stage once, not per row.
        ExpressionWrapper(
            Q(user_id__in=people_at_or_beyond(stage=stage)), output_field=BooleanField()
        )
        if stage is not None
        else Value(True)
    )
    may_share_language = _may_share_language(wants, rules)
    profiles = (
        MentorProfile.objects.filter(
            organisation=organisation, user_id__in=_mentor_role_holders(organisation)
        )
        .exclude(user=trainee)
        .annotate(
            reached_stage=reached,
            specialisms_text=Cast("specialisms", TextField()),
            languages_text=Cast("languages", TextField()),
        )
        .annotate(may_share_language=may_share_language or Value(True))
        .order_by()
        .values_list(
            "pk",
            "user_id",
            "user__display_name",
            "capacity",
            "accepting",
            "reached_stage",
            "may_share_language",
            "specialisms_text",
            "languages_text",
            "area",
            "format",
        )
    )
    counts = open_mentorship_counts(organisation=organisation)
    judge = _Judge(wants, rules)
    found = _Candidates(scored=[], left_off=Counter(), with_profile=0, judge=judge)
    for pk, user_id, name, capacity, accepting, reached_stage, shares, *kind in _rows_of(profiles):
        found.with_profile += 1
        free_places = capacity - counts.get(user_id, 0)
        early = (
            NOT_YET_AT_STAGE
            if not reached_stage
            else NOT_ACCEPTING
            if not accepting
            else FULL
            if free_places <= 0
            else NO_SHARED_LANGUAGE
            if not shares
            else None
        )
        if early:
            found.left_off[early] += 1
            continue
        specialisms, languages, area, format_ = kind
        judged = (
            judge("language", languages),
            judge("format", format_),
            judge("area", area),
            judge("specialism", specialisms),
        )
        reason = _first_missing(judged)
        if reason:
            found.left_off[reason] += 1
            continue
        score = sum(points for _, points in judged) + _capacity_points(free_places, rules)
        found.scored.append((score, free_places, name, pk, kind))
    return found


class _Judge:
    """Each criterion of `_judged`, once per distinct value (thousands of mentors share a few
    hundred lists of languages and specialisms, a few areas and three ways of meeting), with the
    JSON lists parsed once each."""

    def __init__(self, wants: Wants, rules: MentoringSettings):
        self.wants, self.rules = wants, rules
        self.criteria = {"language": {}, "format": {}, "area": {}, "specialism": {}}

    @cached_property
    def _work(self):
        return {
            "language": lambda raw: _language(_json_list(raw, lower=True), self.wants, self.rules),
            "format": lambda value: _format(value, self.wants, self.rules),
            "area": lambda area: _area(area.strip().casefold(), self.wants, self.rules),
            "specialism": lambda raw: _specialism(_json_list(raw), self.wants, self.rules),
        }

    def __call__(self, criterion: str, value: str) -> tuple[bool, int]:
        known = self.criteria[criterion]
        found = known.get(value)
        if found is None:
            found = known[value] = self._work[criterion](value)
        return found

    @staticmethod
    def row(kind: tuple) -> dict:
        """The row `_reasons` reads, for one of the few who make the list."""
        specialisms, languages, area, format_ = kind
        return {
            "specialisms": _json_list(specialisms),
            "languages": _json_list(languages, lower=True),
            "area": area,
            "area_key": area.strip().casefold(),
            "format": format_,
        }


def _best(scored: list[tuple], limit: int) -> list[tuple]:
    """The first `limit` by score, then free places, then name, then profile: only the few
    tied at the cut are compared by name."""
    top = heapq.nsmallest(limit, scored, key=lambda item: (-item[0], -item[1]))
    if not top:
        return []
    cut = (-top[-1][0], -top[-1][1])
    contenders = [item for item in scored if (-item[0], -item[1]) <= cut]
    contenders.sort(key=lambda item: (-item[0], -item[1], item[2].casefold(), item[3]))
    return contenders[:limit]


def shortlist_for_trainee(
    *, trainee: User, organisation: Organisation, limit: int = SHORTLIST_SIZE
) -> Shortlist:
    """Up to `limit` mentors for the trainee in the organisation, each with their score
    explained criterion by criterion; best first, then most free places, then by name. With
    nobody to suggest, `why_none` says why in plain sentences, and what the trainee can do."""
    rules = mentoring_settings_for(organisation=organisation)
    preferences = trainee_preferences_for(user=trainee)
    wants = Wants.of(preferences)
    shortlist = Shortlist(
        trainee=trainee,
        organisation=organisation,
        settings=rules,
        preferences=preferences,
        situation=trainee_situation(trainee=trainee, organisation=organisation),
    )
    candidates = _candidates(organisation=organisation, trainee=trainee, rules=rules, wants=wants)
    left_off = candidates.left_off
    chosen = [
        {**candidates.judge.row(kind), "pk": pk, "user__display_name": name, "free_places": free}
        for _, free, name, pk, kind in _best(candidates.scored, limit)
    ]
    shortlist.left_off = dict(left_off)
    if chosen:
        profiles = MentorProfile.objects.select_related("user").in_bulk(
            [row["pk"] for row in chosen]
        )
        for row in chosen:
            reasons = _reasons(row, wants, rules)
            shortlist.entries.append(
                ShortlistEntry(
                    profiles[row["pk"]],
                    sum(points for _, points in reasons),
                    reasons,
                    row["free_places"],
                )
            )
    else:
        shortlist.why_none = _why_none(
            organisation=organisation,
            trainee=trainee,
            rules=rules,
            wants=wants,
            left_off=left_off,
            with_profile=candidates.with_profile,
        )
    return shortlist


def _why_none(
    *,
    organisation: Organisation,
    trainee: User,
    rules: MentoringSettings,
    wants: Wants,
    left_off: Counter,
    with_profile: int,
) -> list[str]:
    """Plain sentences: why nobody can be suggested, with counts, and what the trainee can do."""
    mentors = _mentor_role_holders(organisation).exclude(user=trainee).distinct().count()
    if not mentors:
        return [
            f"Nobody at {organisation} mentors yet.",
            "Your coordinator can tell you when mentors join, or talk with you about other "
            "support in the meantime.",
        ]
    sentences = []
    without_profile = mentors - with_profile
    if without_profile > 0:
        sentences.append(
            _people(without_profile, "mentor has", "mentors have")
            + " not written their mentor profile yet, so they cannot be suggested."
        )
    if left_off[NOT_YET_AT_STAGE]:
        stage = rules.mentor_min_stage
        sentences.append(
            _people(left_off[NOT_YET_AT_STAGE], "mentor has", "mentors have")
            + f" not reached {stage} yet, which {organisation} asks of its mentors."
        )
    if left_off[FULL]:
        sentences.append(
            _people(left_off[FULL], "mentor is", "mentors are")
            + " full: they already have as many mentees as they can support."
        )
    if left_off[NOT_ACCEPTING]:
        sentences.append(
            _people(left_off[NOT_ACCEPTING], "mentor is", "mentors are")
            + " not taking new mentees just now."
        )
    sentences.extend(_must_have_sentences(wants, left_off))
    sentences.extend(_what_you_can_do(wants, left_off))
    return sentences


def _must_have_sentences(wants: Wants, left_off: Counter) -> list[str]:
    sentences = []
    if left_off[NO_SHARED_LANGUAGE]:
        sentences.append(
            _people(left_off[NO_SHARED_LANGUAGE], "mentor does", "mentors do")
            + " not speak any language you asked for (your organisation asks for a shared "
            "language)."
        )
    if left_off[OTHER_FORMAT]:
        way = MeetingFormat(wants.format).label.lower()
        sentences.append(
            _people(left_off[OTHER_FORMAT], "mentor does", "mentors do")
            + f" not meet {way} (your organisation asks for the way of meeting you prefer)."
        )
    if left_off[OTHER_AREA]:
        sentences.append(
            _people(left_off[OTHER_AREA], "mentor is", "mentors are")
            + f" not based in {wants.area} (your organisation asks for a mentor in your area)."
        )
    if left_off[NO_SHARED_SPECIALISM]:
        sentences.append(
            _people(left_off[NO_SHARED_SPECIALISM], "mentor shares", "mentors share")
            + " none of the specialisms you chose (your organisation asks for at least one in "
            "common)."
        )
    return sentences


def _what_you_can_do(wants: Wants, left_off: Counter) -> list[str]:
    sentences = []
    filtered = sum(
        left_off[key]
        for key in (NO_SHARED_LANGUAGE, OTHER_FORMAT, OTHER_AREA, NO_SHARED_SPECIALISM)
    )
    if filtered:
        sentences.append(
            "You could change your preferences: fewer or different choices may bring mentors "
            "onto your list."
        )
    if left_off[FULL] or left_off[NOT_ACCEPTING]:
        sentences.append("Places open up as mentorships end, so it is worth looking again later.")
    sentences.append(
        "Your coordinator can help too: they can talk it through with you, or suggest a mentor."
    )
    return sentences
