"""Working through a course: a module completes once the peer has opened it, said "I have finished
this module" and passed its checks (opening or clicking "Next" completes nothing), "continue where
you left off", completion recorded exactly once, refreshers, and what a module page costs."""

import html
import threading
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courses.models import (
    Certificate,
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModulePage,
    ModuleProgress,
    QuizAttempt,
)
from courses.selectors import live_modules
from courses.services import (
    course_complete_if_done,
    enrolment_create,
    module_finish,
    module_visit,
)
from lms.dates import add_months
from tests.courses.builders import (
    knowledge_check,
    make_course,
    reflection_prompt,
    simple_check,
    text,
)
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_storage(tmp_path, monkeypatch):
    """Certificate PDFs go to a temporary folder, not the project's private_media."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Certificate._meta.get_field("pdf"), "storage", storage)
    return storage


def _text(response):
    return html.unescape(response.content.decode())


def _modules(course):
    return list(live_modules(course=course))


def _enrol(user, course):
    return enrolment_create(user=user, course=course)[0]


def _answers(check, *, right):
    """Every question answered, all rightly or all wrongly."""
    chosen = {}
    for question in check["value"]["questions"]:
        answers = question["value"]["answers"]
        chosen[question["id"]] = [a["id"] for a in answers if a["value"]["correct"] == right][
            : None if right else 1
        ]
    return chosen


def _submit(client, module, check, answers):
    return client.post(
        reverse("courses:check-submit", args=[module.pk, check["id"]]),
        {f"q-{question}": ids for question, ids in answers.items()},
    )


def _continue_link(response):
    """(href, words) of the course page's "Continue" link."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    links = [a for a in soup.find_all("a") if a.get_text(strip=True).startswith("Continue")]
    assert len(links) == 1
    return links[0]["href"], " ".join(links[0].get_text().split())


def _progress(enrolment, module):
    return ModuleProgress.objects.filter(enrolment=enrolment, module=module).first()


def _finish(client, module, **kwargs):
    return client.post(reverse("courses:module-finish", args=[module.pk]), **kwargs)


def _finish_section(response):
    """The words of the module page's "Finishing this module" part, and its button if any."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    section = soup.find(id="finish")
    assert section is not None
    button = section.find("button")
    return " ".join(section.get_text(" ").split()), button.get_text(strip=True) if button else None


# --- Modules complete --------------------------------------------------------------------------


def test_opening_a_text_only_module_does_not_complete_it(client, personas):
    course = make_course("Peer Support Basics")
    enrolment = _enrol(personas.peer, course)
    first = _modules(course)[0]
    client.force_login(personas.peer)

    response = client.get(first.url)

    assert response.status_code == 200
    assert "You have completed this module" not in _text(response)
    words, button = _finish_section(response)
    assert button == "I have finished this module"
    assert _progress(enrolment, first).visited_at is not None
    assert _progress(enrolment, first).completed_at is None
    assert _progress(enrolment, first).finished_at is None
    assert _progress(enrolment, _modules(course)[1]) is None


def test_clicking_next_through_every_text_module_completes_nothing_and_earns_no_certificate(
    client, personas
):
    """The defect found: opening "Self-harm and suicide prevention" marked it complete, and
    clicking "Next" through the modules earned the Safe Practice certificate."""
    course = make_course("Safe Practice", modules=3)
    enrolment = _enrol(personas.peer, course)
    client.force_login(personas.peer)

    url = _modules(course)[0].url
    for _ in range(3):
        soup = BeautifulSoup(client.get(url).content.decode(), "html.parser")
        url = soup.find("a", class_="pager__next")["href"]
    assert url == course.url

    page = _text(client.get(course.url))
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    assert not ModuleProgress.objects.filter(completed_at__isnull=False).exists()
    assert ModuleProgress.objects.filter(enrolment=enrolment).count() == 3
    assert not CourseCompletion.objects.exists()
    assert not Certificate.objects.exists()
    assert "You completed this course" not in page
    assert "0 of 3 done" in page
    assert not Certificate.objects.filter(user=personas.peer).exists()
    assert "Safe Practice" not in _text(client.get(reverse("courses:certificates")))


def test_saying_finished_completes_a_text_only_module_and_moves_on(client, personas):
    course = make_course("Peer Support Basics", modules=2)
    enrolment = _enrol(personas.peer, course)
    first, second = _modules(course)
    client.force_login(personas.peer)
    client.get(first.url)

    response = _finish(client, first, follow=True)

    assert response.redirect_chain == [(second.url, 302)]
    assert "You have finished Peer Support Basics module 1." in _text(response)
    progress = _progress(enrolment, first)
    assert progress.finished_at is not None
    assert progress.completed_at == progress.finished_at
    words, button = _finish_section(client.get(first.url))
    assert "Complete." in words and button is None
    assert "You have completed this module" in _text(client.get(first.url))


def test_finishing_twice_changes_nothing(client, personas):
    course = make_course("Peer Support Basics", modules=2)
    enrolment = _enrol(personas.peer, course)
    first, second = _modules(course)
    client.force_login(personas.peer)
    _finish(client, first)
    before = _progress(enrolment, first)

    response = _finish(client, first, follow=True)

    assert response.redirect_chain == [(second.url, 302)]
    assert "You have already finished Peer Support Basics module 1." in _text(response)
    after = _progress(enrolment, first)
    assert (after.finished_at, after.completed_at) == (before.finished_at, before.completed_at)
    assert ModuleProgress.objects.filter(module=first).count() == 1


def test_finishing_the_last_module_completes_the_course_and_shows_it(client, personas):
    course = make_course("Peer Support Basics", modules=2)
    _enrol(personas.peer, course)
    first, second = _modules(course)
    client.force_login(personas.peer)
    _finish(client, first)

    response = _finish(client, second, follow=True)

    assert response.redirect_chain == [(course.url, 302)]
    page = _text(response)
    assert "You have finished Peer Support Basics module 2, and with it Peer Support Basics." in (
        page
    )
    assert "You completed this course on" in page
    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


def test_module_with_a_check_completes_only_once_finished_and_the_check_is_passed(client, personas):
    check = simple_check()
    course = make_course("Peer Support Basics", modules=1, bodies=[[text(), check]])
    enrolment = _enrol(personas.peer, course)
    module = _modules(course)[0]
    client.force_login(personas.peer)

    response = client.get(module.url)
    page = _text(response)
    assert "You have completed this module" not in page
    assert _finish_section(response) == (
        "Finishing this module Pass the knowledge check above to finish this module.",
        None,
    )
    assert _progress(enrolment, module).completed_at is None

    _submit(client, module, check, _answers(check, right=False))
    assert _progress(enrolment, module).completed_at is None

    _submit(client, module, check, _answers(check, right=True))
    assert _progress(enrolment, module).completed_at is None  # passed, not yet said finished
    words, button = _finish_section(client.get(module.url))
    assert button == "I have finished this module"

    _finish(client, module)
    assert _progress(enrolment, module).completed_at is not None
    assert "You have completed this module" in _text(client.get(module.url))
    assert CourseCompletion.objects.filter(enrolment=enrolment).count() == 1


def test_finishing_before_passing_the_check_says_what_is_left_and_passing_completes_it(
    client, personas
):
    check = simple_check()
    course = make_course("Peer Support Basics", modules=1, bodies=[[text(), check]])
    enrolment = _enrol(personas.peer, course)
    module = _modules(course)[0]
    client.force_login(personas.peer)
    client.get(module.url)

    response = _finish(client, module, follow=True)

    assert response.redirect_chain == [(f"{module.url}#finish", 302)]
    assert (
        "You have marked this module as finished. Pass the knowledge check above to finish "
        "this module." in _text(response)
    )
    words, button = _finish_section(response)
    assert "It will count as complete once this is done" in words and button is None
    progress = _progress(enrolment, module)
    assert progress.finished_at is not None and progress.completed_at is None
    assert not CourseCompletion.objects.exists()

    _submit(client, module, check, _answers(check, right=True))

    assert _progress(enrolment, module).completed_at is not None
    assert CourseCompletion.objects.filter(enrolment=enrolment).count() == 1


def test_module_with_two_checks_needs_both_passed(client, personas):
    first_check, second_check = simple_check(), simple_check()
    course = make_course("Peer Support Basics", modules=1, bodies=[[first_check, second_check]])
    enrolment = _enrol(personas.peer, course)
    module = _modules(course)[0]
    client.force_login(personas.peer)
    client.get(module.url)
    _finish(client, module)

    _submit(client, module, first_check, _answers(first_check, right=True))
    assert _progress(enrolment, module).completed_at is None
    assert _finish_section(client.get(module.url))[0].endswith(
        "Pass the last knowledge check above to finish this module."
    )

    _submit(client, module, second_check, _answers(second_check, right=True))
    assert _progress(enrolment, module).completed_at is not None


def test_progress_bar_on_the_module_page_counts_completed_modules_only(client, personas):
    course = make_course("Peer Support Basics", modules=3)
    _enrol(personas.peer, course)
    first, second, _ = _modules(course)
    client.force_login(personas.peer)
    client.get(first.url)
    _finish(client, first)

    page = _text(client.get(second.url))

    assert "1 of 3 done (33%)" in page


# --- Continue where you left off ---------------------------------------------------------------


def test_course_page_continue_link_goes_to_the_first_unfinished_module(client, personas):
    course = make_course("Peer Support Basics", modules=3)
    _enrol(personas.peer, course)
    first, second, _ = _modules(course)
    client.force_login(personas.peer)
    client.get(first.url)
    _finish(client, first)

    response = client.get(course.url)

    assert _continue_link(response) == (second.url, "Continue: Peer Support Basics module 2")


def test_continue_link_skips_a_finished_later_module_to_the_earlier_unfinished_one(
    client, personas
):
    check = simple_check()
    course = make_course("Peer Support Basics", modules=2, bodies=[[check], [text()]])
    enrolment = _enrol(personas.peer, course)
    first, second = _modules(course)
    client.force_login(personas.peer)
    client.get(first.url)
    client.get(second.url)
    _finish(client, second)

    response = client.get(course.url)

    assert _continue_link(response) == (first.url, "Continue: Peer Support Basics module 1")
    enrolment.refresh_from_db()
    assert enrolment.last_module_id == second.pk


def test_each_visit_records_the_module_as_where_the_peer_left_off(client, personas):
    course = make_course("Peer Support Basics", modules=3)
    enrolment = _enrol(personas.peer, course)
    modules = _modules(course)
    client.force_login(personas.peer)

    client.get(modules[2].url)
    client.get(modules[0].url)

    enrolment.refresh_from_db()
    assert enrolment.last_module_id == modules[0].pk


# --- Course completion -------------------------------------------------------------------------


def test_course_completes_once_every_module_is_complete(client, personas):
    course = make_course("Peer Support Basics", modules=2, validity_months=12)
    enrolment = _enrol(personas.peer, course)
    first, second = _modules(course)
    client.force_login(personas.peer)

    client.get(first.url)
    _finish(client, first)
    client.get(second.url)
    assert not CourseCompletion.objects.exists()
    _finish(client, second)

    enrolment.refresh_from_db()
    completion = CourseCompletion.objects.get()
    assert completion.enrolment == enrolment
    assert enrolment.completed_at == completion.completed_at
    assert completion.refresher_due_at == add_months(completion.completed_at, 12)
    assert "You completed this course on" in _text(client.get(course.url))


def test_course_without_validity_never_needs_a_refresher(personas):
    course = make_course("Peer Support Basics", modules=1, validity_months=None)
    enrolment = _enrol(personas.peer, course)

    module_finish(enrolment=enrolment, module=_modules(course)[0])

    assert CourseCompletion.objects.get().refresher_due_at is None


def test_checking_completion_twice_records_it_once(personas):
    course = make_course("Peer Support Basics", modules=2)
    enrolment = _enrol(personas.peer, course)
    for module in _modules(course):
        module_finish(enrolment=enrolment, module=module)

    again = course_complete_if_done(enrolment=Enrolment.objects.get(pk=enrolment.pk))
    and_again = course_complete_if_done(enrolment=Enrolment.objects.get(pk=enrolment.pk))

    assert again is None and and_again is None
    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


def test_the_same_last_finish_arriving_twice_records_one_completion(client, personas):
    course = make_course("Peer Support Basics", modules=2)
    _enrol(personas.peer, course)
    first, second = _modules(course)
    client.force_login(personas.peer)
    _finish(client, first)

    _finish(client, second)
    _finish(client, second)

    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1
    assert ModuleProgress.objects.count() == 2


def test_course_is_not_complete_while_a_module_is_unfinished(personas):
    course = make_course("Peer Support Basics", modules=2)
    enrolment = _enrol(personas.peer, course)
    module_finish(enrolment=enrolment, module=_modules(course)[0])

    assert course_complete_if_done(enrolment=enrolment) is None
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    assert not CourseCompletion.objects.exists()


def test_unpublished_module_is_not_needed_to_complete_a_course(personas):
    course = make_course("Peer Support Basics", modules=2)
    enrolment = _enrol(personas.peer, course)
    first, second = _modules(course)
    second.unpublish()

    module_finish(enrolment=enrolment, module=first)

    assert CourseCompletion.objects.filter(enrolment=enrolment).count() == 1


def test_course_with_no_modules_is_never_complete(personas):
    course = make_course("Peer Support Basics", modules=0)
    enrolment = _enrol(personas.peer, course)

    assert course_complete_if_done(enrolment=enrolment) is None
    assert not CourseCompletion.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets only one writer in at a time, so two threads cannot race there; "
    "run with DATABASE_URL set to PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_completions_record_the_course_once(personas, private_storage):
    course = make_course("Peer Support Basics", modules=2, validity_months=12)
    enrolment = _enrol(personas.peer, course)
    for module in _modules(course):
        ModuleProgress.objects.create(
            enrolment=enrolment, module=module, completed_at=timezone.now()
        )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def complete():
        try:
            fresh = Enrolment.objects.select_related("course").get(pk=enrolment.pk)
            barrier.wait(timeout=10)
            results.append(course_complete_if_done(enrolment=fresh))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


ROUNDS = 10


def _answer_rightly(check):
    return {
        question["id"]: [a["id"] for a in question["value"]["answers"] if a["value"]["correct"]]
        for question in check["value"]["questions"]
    }


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets only one writer in at a time, so two threads cannot race there; "
    "run with DATABASE_URL set to PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("last_step", ["finish", "check"])
def test_two_different_last_modules_finishing_at_once_give_one_completion_and_certificate(
    personas, private_storage, last_step
):
    """The race found: each transaction saw the other's module as not complete, leaving the
    course at 100% with no completion. Run many times, each time with a fresh learner; in half
    of the "finish" rounds the modules were never opened, so both progress rows are new."""
    from courses.services import knowledge_check_submit
    from tests.factories import UserFactory

    checks = [simple_check(), simple_check()]
    bodies = [[text(), checks[0]], [text(), checks[1]]] if last_step == "check" else None
    course = make_course("Peer Support Basics", modules=2, bodies=bodies, validity_months=12)
    modules = _modules(course)
    for round_number in range(ROUNDS):
        enrolment = _enrol(UserFactory(), course)
        if last_step == "check" or round_number % 2:
            for module in modules:
                (module_finish if last_step == "check" else module_visit)(
                    enrolment=enrolment, module=module
                )
        barrier = threading.Barrier(2)
        errors = []

        def last_action(module, check, enrolment_id=enrolment.pk, barrier=barrier, errors=errors):
            try:
                fresh = Enrolment.objects.select_related("course", "user").get(pk=enrolment_id)
                module = ModulePage.objects.get(pk=module.pk)
                barrier.wait(timeout=10)
                if last_step == "check":
                    knowledge_check_submit(
                        enrolment=fresh,
                        module=module,
                        check_id=check["id"],
                        answers=_answer_rightly(check),
                    )
                else:
                    module_finish(enrolment=fresh, module=module)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=last_action, args=(module, check))
            for module, check in zip(modules, checks, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert errors == [], f"round {round_number}"
        assert (
            ModuleProgress.objects.filter(enrolment=enrolment, completed_at__isnull=False).count()
            == 2
        ), f"round {round_number}"
        assert CourseCompletion.objects.filter(enrolment=enrolment).count() == 1, (
            f"round {round_number}: all modules done but no completion"
        )
        assert Certificate.objects.filter(completion__enrolment=enrolment).count() == 1
        assert Enrolment.objects.get(pk=enrolment.pk).completed_at is not None


# --- Refreshers --------------------------------------------------------------------------------


def _complete(user, course):
    enrolment = _enrol(user, course)
    for module in _modules(course):
        module_finish(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    return enrolment


def _refresher(client, course):
    return client.post(reverse("courses:refresher", args=[course.pk]), follow=True)


def test_refresher_reopens_the_course_and_keeps_the_earlier_completion_and_certificate(
    client, personas
):
    course = make_course("Peer Support Basics", modules=2, validity_months=12)
    enrolment = _complete(personas.peer, course)
    completion = CourseCompletion.objects.get()
    certificate = Certificate.objects.get()
    client.force_login(personas.peer)

    response = _refresher(client, course)

    assert "Your refresher has started. Your earlier certificate stays in your records." in _text(
        response
    )
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    assert enrolment.last_module is None
    assert not ModuleProgress.objects.filter(completed_at__isnull=False).exists()
    assert not ModuleProgress.objects.filter(finished_at__isnull=False).exists()
    assert list(CourseCompletion.objects.all()) == [completion]
    assert list(Certificate.objects.all()) == [certificate]


def test_completing_a_refresher_records_a_second_completion_and_certificate(client, personas):
    course = make_course("Peer Support Basics", modules=2, validity_months=12)
    _complete(personas.peer, course)
    client.force_login(personas.peer)
    _refresher(client, course)

    for module in _modules(course):
        client.get(module.url)
    assert CourseCompletion.objects.count() == 1  # opening them again is not finishing them
    for module in _modules(course):
        _finish(client, module)

    assert CourseCompletion.objects.count() == 2
    assert Certificate.objects.count() == 2
    assert Enrolment.objects.get().completed_at is not None


def test_refresher_while_still_working_through_the_course_changes_nothing(client, personas):
    course = make_course("Peer Support Basics", modules=2)
    enrolment = _enrol(personas.peer, course)
    first = _modules(course)[0]
    module_finish(enrolment=enrolment, module=first)
    client.force_login(personas.peer)

    response = _refresher(client, course)

    assert "You are already working through this course." in _text(response)
    assert _progress(enrolment, first).completed_at is not None


def test_refresher_is_refused_by_get(client, personas):
    course = make_course("Peer Support Basics", modules=1)
    _complete(personas.peer, course)
    client.force_login(personas.peer)

    response = client.get(reverse("courses:refresher", args=[course.pk]))

    assert response.status_code == 405
    assert Enrolment.objects.get().completed_at is not None


def test_refresher_on_a_course_the_person_is_not_enrolled_on_is_404(client, personas):
    course = make_course("Peer Support Basics", modules=1)
    _complete(personas.other_peer, course)
    client.force_login(personas.peer)

    response = client.post(reverse("courses:refresher", args=[course.pk]))

    assert response.status_code == 404
    assert Enrolment.objects.get().completed_at is not None


def test_refresher_needs_the_knowledge_check_passed_again(client, personas):
    check = simple_check()
    course = make_course("Peer Support Basics", modules=1, bodies=[[check]], validity_months=12)
    enrolment = _enrol(personas.peer, course)
    module = _modules(course)[0]
    client.force_login(personas.peer)
    _finish(client, module)
    _submit(client, module, check, _answers(check, right=True))
    assert CourseCompletion.objects.count() == 1
    _refresher(client, course)
    _finish(client, module)

    _submit(client, module, check, _answers(check, right=False))

    assert _progress(enrolment, module).completed_at is None
    assert CourseCompletion.objects.count() == 1
    assert QuizAttempt.objects.filter(passed=False).count() == 1


@pytest.mark.parametrize(
    ("days_left", "offered"),
    [(-3, True), (10, True), (29, True), (45, False), (365, False)],
)
def test_refresher_is_offered_when_it_falls_due_within_30_days(
    client, personas, days_left, offered
):
    course = make_course("Peer Support Basics", modules=1, validity_months=12)
    enrolment = _complete(personas.peer, course)
    CourseCompletion.objects.filter(enrolment=enrolment).update(
        refresher_due_at=timezone.now() + timedelta(days=days_left)
    )
    client.force_login(personas.peer)

    page = _text(client.get(course.url))

    assert ("Start your refresher" in page) is offered
    assert "You completed this course on" in page


def test_refresher_due_follows_the_latest_completion(client, personas):
    course = make_course("Peer Support Basics", modules=1, validity_months=12)
    enrolment = _complete(personas.peer, course)
    CourseCompletion.objects.filter(enrolment=enrolment).update(
        completed_at=timezone.now() - timedelta(days=360),
        refresher_due_at=timezone.now() + timedelta(days=5),
    )
    client.force_login(personas.peer)
    _refresher(client, course)
    _finish(client, _modules(course)[0])

    page = _text(client.get(course.url))

    assert CourseCompletion.objects.count() == 2
    assert "Start your refresher" not in page


# --- Cost --------------------------------------------------------------------------------------


def _long_course(count):
    course = make_course("Long Course", modules=0)
    check, prompt = (
        knowledge_check(
            ("Pick one", "single", [("Yes", True, "Good."), ("No", False, "Not this.")])
        ),
        reflection_prompt(),
    )
    for number in range(count):
        body = [text(), check, prompt] if number == 0 else [text(f"<p>Part {number}.</p>")]
        course.add_child(
            instance=ModulePage(title=f"Module {number:02d}", slug=f"m-{number:02d}", body=body)
        )
    return course


def _more_modules(course, start, count):
    course = CoursePage.objects.get(pk=course.pk)  # fresh tree counts
    for number in range(start, start + count):
        course.add_child(
            instance=ModulePage(
                title=f"Module {number:02d}",
                slug=f"m-{number:02d}",
                body=[text(f"<p>Part {number}.</p>")],
            )
        )


def test_module_page_runs_the_same_number_of_queries_for_5_and_60_modules(
    client, personas, django_assert_num_queries
):
    course = _long_course(5)
    enrolment = _enrol(personas.peer, course)
    modules = _modules(course)
    for module in modules[1:4]:
        module_finish(enrolment=enrolment, module=module)
    client.force_login(personas.peer)
    url = modules[0].url

    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: client.get(url), lambda: _more_modules(course, 5, 55)
    )

    assert "3 of 60 done" in _text(client.get(url))
