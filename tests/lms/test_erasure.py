"""Erasing a person who has left (docs/privacy.md, "Erasure").

Erin is a peer who also mentors at Home Org, with data in every app, each text carrying a marker.
After her erasure no table and no file holds her name, email or any marker, while her mentee's
hours, the organisation's counts and the audit log's "who read what" stay.
"""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from django.utils import timezone

from courses.models import Certificate, CourseCompletion, ModulePage
from courses.services import (
    enrolment_create,
    knowledge_check_submit,
    module_finish,
    reflection_save,
)
from lms.erasure import erasure_request_create, person_erase
from lms.models import AuditEvent, ErasureRequest, Membership, Role
from lms.services import audit_record
from lms.tasks import erase_due_people
from mentoring.models import (
    Concern,
    LivedExperienceVisibility,
    Mentorship,
    SupervisionSession,
)
from mentoring.selectors.supervision import sessions_for_mentorship
from mentoring.services.care import concern_raise, wellness_plan_save
from mentoring.services.matching import mentor_profile_save, trainee_preferences_save
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentor_request_answer,
    mentor_request_create,
)
from mentoring.services.supervision import feedback_give, session_confirm, session_log
from pathways.models import Evidence, PathwayMembership, SignOff
from pathways.selectors import readiness_for_organisation
from pathways.services import aspirations_save, evidence_submit, pathway_join, pause_start
from tests.courses.builders import make_course, reflection_prompt, simple_check, text
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages
from tests.privacy.world import right_answers

NAME = "Erin Erasable"
EMAIL = "erin.erasable@example.org"
MARKERS = {
    "reflection": "ErinMarker-reflection",
    "evidence": "ErinMarker-evidence",
    "evidence_file": "ErinMarker-evidence-file",
    "aspirations": "ErinMarker-aspirations",
    "pause": "ErinMarker-pause-note",
    "lived": "ErinMarker-lived-experience",
    "bio": "ErinMarker-bio",
    "preferences": "ErinMarker-preferences",
    "request": "ErinMarker-request-message",
    "feedback": "ErinMarker-feedback",
    "private_note": "ErinMarker-private-note",
    "concern": "ErinMarker-concern",
    "plan": "ErinMarker-wellness-plan",
    "filename": "ErinMarker-filename",
}
PDF = b"%PDF-1.4 " + MARKERS["evidence_file"].encode()
GRACE = timedelta(days=14)


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """Public and private media in temporary folders, so every file can be scanned."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT.mkdir()
    for field in (Evidence._meta.get_field("file"), Certificate._meta.get_field("pdf")):
        storage = field.storage
        monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
        for cached in ("base_location", "location"):
            monkeypatch.delitem(storage.__dict__, cached, raising=False)
    private = storages["private"]
    monkeypatch.setattr(private, "_location", str(settings.PRIVATE_MEDIA_ROOT))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(private.__dict__, cached, raising=False)
    return [settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT]


def _learning(erin):
    prompt, check = reflection_prompt("How?"), simple_check()
    course = make_course("Erasure Course", modules=1, bodies=[[text(), prompt, check]])
    module = ModulePage.objects.child_of(course).get().specific
    enrolment, _ = enrolment_create(user=erin, course=course)
    module_finish(enrolment=enrolment, module=module)
    reflection_save(
        user=erin, module=module, prompt_id=prompt["id"], body=f"<p>{MARKERS['reflection']}</p>"
    )
    knowledge_check_submit(
        enrolment=enrolment,
        module=module,
        check_id=check["id"],
        answers=right_answers(module, check["id"]),
    )
    return course


def _pathway(erin, home):
    pathway = make_pathway(framework=make_framework(), organisation=home)
    volunteer, _, _ = stages(pathway)
    pathway_join(user=erin, pathway=pathway, stage=volunteer)
    aspirations_save(user=erin, body=f"<p>{MARKERS['aspirations']}</p>")
    evidence_submit(
        user=erin,
        competence=pathway.framework.competences.first(),
        statement=MARKERS["evidence"],
        upload=SimpleUploadedFile(f"{MARKERS['filename']}.pdf", PDF),
    )
    pause_start(user=erin, private_note=MARKERS["pause"])
    return pathway


def _mentorship(trainee, profile, mentor, message="Hello"):
    request = mentor_request_create(trainee=trainee, profile=profile, message=message)
    mentor_request_answer(mentor_request=request, by=mentor, accept=True)
    mentorship = Mentorship.objects.get(request=request)
    agreement_save(
        mentorship=mentorship,
        by=mentor,
        goals=f"<p>Goals of {trainee.display_name}</p>",
        meeting_frequency="Monthly",
        boundaries="",
        confidentiality="",
    )
    agreement_confirm(mentorship=mentorship, by=trainee)
    mentorship = agreement_confirm(mentorship=mentorship, by=mentor)
    ago = timezone.now() - timedelta(days=21)
    Mentorship.objects.filter(pk=mentorship.pk).update(created_at=ago, started_at=ago)
    mentorship.refresh_from_db()
    return mentorship


def _session(mentorship, mentor, mentee, *, private_note="", checkin=None, feedback=""):
    session = session_log(
        mentorship=mentorship,
        by=mentor,
        held_on=timezone.localdate() - timedelta(days=7),
        duration_minutes=90,
        format="online",
        topics=["boundaries"],
        summary="<p>Summary for the mentee.</p>",
        private_notes=f"<p>{private_note}</p>" if private_note else "",
        actions=[],
    )
    session = session_confirm(session=session, by=mentee, wellbeing_checkin=checkin)
    if feedback:
        feedback_give(session=session, by=mentee, rating=3, comment=feedback)
    return session


def _mentoring(erin, personas):
    home, pat, mo = personas.home, personas.peer, personas.mentor
    erin_profile = mentor_profile_save(
        user=erin,
        organisation=home,
        bio=f"<p>{MARKERS['bio']}</p>",
        capacity=3,
        lived_experience=MARKERS["lived"],
        lived_experience_visibility=LivedExperienceVisibility.COORDINATORS,
    )
    mo_profile = mentor_profile_save(user=mo, organisation=home, capacity=3)
    trainee_preferences_save(user=erin, notes=f"<p>{MARKERS['preferences']}</p>")
    # Erin is mentored by Mo...
    as_mentee = _mentorship(erin, mo_profile, mo, message=MARKERS["request"])
    _session(as_mentee, mo, erin, checkin=2, feedback=MARKERS["feedback"])
    wellness_plan_save(user=erin, sections={"triggers": f"<p>{MARKERS['plan']}</p>"})
    # ...and mentors Pat.
    as_mentor = _mentorship(pat, erin_profile, erin)
    _session(as_mentor, erin, pat, private_note=MARKERS["private_note"])
    concern_raise(
        mentorship=as_mentor, by=erin, kind=Concern.WELLBEING, description=MARKERS["concern"]
    )
    return as_mentor


@pytest.fixture
def erin(personas, media, django_capture_on_commit_callbacks):
    """Erin, a peer who also mentors at Home, with data in every app; she has since left."""
    with django_capture_on_commit_callbacks(execute=True):
        erin = UserFactory(email=EMAIL, display_name=NAME, pronouns="she/her")
        for role in (Role.PEER, Role.MENTOR):
            MembershipFactory(
                user=erin,
                organisation=personas.home,
                role=role,
                active_from=timezone.localdate() - timedelta(days=60),
            )
        erin.course = _learning(erin)
        erin.pathway = _pathway(erin, personas.home)
        erin.mentorship_as_mentor = _mentoring(erin, personas)
        audit_record(actor=erin, action="pathways.progress.read", subject_user=personas.peer)
        audit_record(actor=personas.coordinator, action="pathways.progress.read", subject_user=erin)
    return erin


def _leave(person, organisation):
    Membership.objects.filter(user=person, organisation=organisation).update(
        active_to=timezone.localdate()
    )


def _erase(person, by, organisation, captured):
    """Ask, then run the erasure once the grace period is over, as the scheduled task does."""
    with captured(execute=True):
        erasure = erasure_request_create(
            person=person, organisation=organisation, by=by, reason="Left and asked to be erased"
        )
    ErasureRequest.objects.filter(pk=erasure.pk).update(erase_after=timezone.now())
    with captured(execute=True):
        erase_due_people()
    return ErasureRequest.objects.get(pk=erasure.pk)


# --- What is left: nothing of her -----------------------------------------------------------


def _text_columns(model):
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
        or field.get_internal_type() in {"StreamField", "SanitisedHTMLField"}
    ]


def _found_in_tables(needles):
    found = []
    for model in apps.get_models():
        columns = _text_columns(model)
        if not columns:
            continue
        for row in model._base_manager.values_list(*columns):
            for value in row:
                text_value = value if isinstance(value, str) else json.dumps(value, default=str)
                found += [
                    (model._meta.label, n) for n in needles if n.lower() in text_value.lower()
                ]
    return found


def _found_in_files(folders, needles):
    found = []
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                content = path.read_bytes().lower()
                found += [(str(path), n) for n in needles if n.lower().encode() in content]
                found += [(str(path), n) for n in needles if n.lower() in path.name.lower()]
    return found


def test_after_erasure_no_table_or_file_holds_her_name_email_or_words(
    erin, personas, media, django_capture_on_commit_callbacks
):
    needles = [NAME, EMAIL, *MARKERS.values()]
    # The scan can fail: before the erasure it finds every one of them.
    assert {n for _, n in _found_in_tables(needles)} == set(needles) - {MARKERS["evidence_file"]}
    assert {n for _, n in _found_in_files(media, needles)} >= {MARKERS["evidence_file"]}
    _leave(erin, personas.home)

    _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)

    assert _found_in_tables(needles) == []
    assert _found_in_files(media, needles) == []


def test_certificate_and_evidence_files_are_deleted_from_storage(
    erin, personas, media, django_capture_on_commit_callbacks
):
    private = media[1]
    assert len([p for p in private.rglob("*") if p.is_file()]) == 2  # evidence and certificate
    _leave(erin, personas.home)
    _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)
    assert [p for p in private.rglob("*") if p.is_file()] == []


def test_the_old_certificate_code_no_longer_verifies(
    client, erin, personas, django_capture_on_commit_callbacks
):
    code = Certificate.objects.get(user=erin).code
    url = reverse("courses:certificate-verify", args=[code])
    assert client.get(url).status_code == 200
    _leave(erin, personas.home)
    _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)
    assert client.get(url).status_code == 404


# --- What stays: other people's records and the organisation's figures -----------------------


def test_her_mentees_confirmed_hours_and_session_summary_stay(
    erin, personas, django_capture_on_commit_callbacks
):
    mentorship = erin.mentorship_as_mentor
    before = sessions_for_mentorship(mentorship=mentorship)
    assert before.confirmed_hours > 0
    _leave(erin, personas.home)
    _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)
    after = sessions_for_mentorship(mentorship=mentorship)
    assert (after.confirmed_hours, after.confirmed_count) == (
        before.confirmed_hours,
        before.confirmed_count,
    )
    session = SupervisionSession.objects.get(mentorship=mentorship)
    assert session.mentorship.trainee == personas.peer
    assert "Summary for the mentee." in session.summary
    assert Mentorship.objects.get(pk=mentorship.pk).status == Mentorship.ENDED


def test_counts_and_readiness_are_the_same_after_erasure(
    erin, personas, django_capture_on_commit_callbacks
):
    _leave(erin, personas.home)

    def figures():
        readiness = readiness_for_organisation(organisation=personas.home)
        return (
            readiness.headcount,
            CourseCompletion.objects.filter(enrolment__course=erin.course).count(),
            PathwayMembership.objects.filter(pathway=erin.pathway).count(),
            Evidence.objects.filter(user=erin).count(),
            SignOff.objects.count(),
            SupervisionSession.objects.filter(status=SupervisionSession.CONFIRMED).count(),
        )

    before = figures()
    _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)
    assert figures() == before
    assert before[1] == 1


def test_the_account_becomes_a_placeholder_that_cannot_sign_in(
    client, erin, personas, django_capture_on_commit_callbacks
):
    _leave(erin, personas.home)
    erasure = _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)
    erin.refresh_from_db()
    assert erasure.completed_at is not None
    assert erin.display_name.startswith("Erased person #")
    assert erin.email.endswith("@erased.invalid")
    assert (erin.pronouns, erin.is_active, erin.has_usable_password()) == ("", False, False)
    assert not Membership.objects.active().filter(user=erin).exists()


def test_the_audit_log_shows_an_opaque_reference_for_her_events(
    client, erin, personas, django_capture_on_commit_callbacks
):
    _leave(erin, personas.home)
    _erase(erin, personas.org_admin, personas.home, django_capture_on_commit_callbacks)
    refs = set(AuditEvent.objects.filter(actor=erin).values_list("actor_ref", flat=True))
    refs |= set(AuditEvent.objects.filter(subject_user=erin).values_list("subject_ref", flat=True))
    assert len(refs) == 1 and next(iter(refs)).startswith("erased:")
    client.force_login(personas.org_admin)
    page = client.get(reverse("lms:audit-log", args=[personas.home.slug])).content.decode()
    assert f"Erased person #{next(iter(refs)).removeprefix('erased:')[:6]}" in page
    assert NAME not in page and EMAIL not in page


def test_audit_events_still_refuse_ordinary_updates_and_deletes(erin):
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(actor=erin).update(actor_ref="changed")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(actor=erin).delete()


# --- The grace period -------------------------------------------------------------------------


def test_nothing_is_erased_before_the_grace_period_ends_and_everything_after(
    erin, personas, django_capture_on_commit_callbacks
):
    _leave(erin, personas.home)
    with django_capture_on_commit_callbacks(execute=True):
        erasure = erasure_request_create(
            person=erin, organisation=personas.home, by=personas.org_admin, reason="Left"
        )
    assert erasure.erase_after - erasure.requested_at == GRACE
    with django_capture_on_commit_callbacks(execute=True):
        erase_due_people()
        assert person_erase(erasure_id=erasure.pk) is False
    erin.refresh_from_db()
    assert erin.email == EMAIL

    ErasureRequest.objects.filter(pk=erasure.pk).update(
        erase_after=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        erase_due_people()
    erin.refresh_from_db()
    assert erin.email != EMAIL
    # Running it again does nothing more.
    assert person_erase(erasure_id=erasure.pk) is False


def test_the_grace_period_comes_from_settings(erin, personas, settings):
    settings.ERASURE_GRACE_DAYS = 3
    _leave(erin, personas.home)
    erasure = erasure_request_create(
        person=erin, organisation=personas.home, by=personas.org_admin, reason="Left"
    )
    assert erasure.erase_after - erasure.requested_at == timedelta(days=3)


@pytest.mark.django_db
def test_the_erasure_schedule_exists():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="lms.tasks.erase_due_people")
    assert schedule.schedule_type == Schedule.HOURLY
