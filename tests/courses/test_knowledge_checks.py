"""Knowledge checks are marked on the server: the page never gives the answers away, feedback
follows an attempt, bad or tampered answers get a plain message, and the best attempt counts."""

import html
import re
import uuid

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from courses.models import CourseCompletion, ModuleProgress, QuizAttempt
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from tests.courses.builders import knowledge_check, make_course, text

pytestmark = pytest.mark.django_db

FEEDBACK = {
    "plan-right": "Yes: the plan belongs to the person it is about.",
    "plan-wrong": "A peer worker helps, but the person decides.",
    "care": "Personal budgets pay for care and support.",
    "health": "A personal health budget covers health needs.",
    "tax": "Council tax is paid from other money.",
}


def _check():
    return knowledge_check(
        (
            "Who decides what goes in a support plan?",
            "single",
            [
                ("The person the plan is for", True, FEEDBACK["plan-right"]),
                ("Their peer worker", False, FEEDBACK["plan-wrong"]),
            ],
        ),
        (
            "Which of these are personal budgets for?",
            "multiple",
            [
                ("Care and support", True, FEEDBACK["care"]),
                ("Health needs", True, FEEDBACK["health"]),
                ("Paying council tax", False, FEEDBACK["tax"]),
            ],
        ),
    )


class Quiz:
    """A one-module course with one knowledge check, and the ids needed to answer it. The
    enrolled peer has already said "I have finished this module", so passing the check is the
    last thing the module needs."""

    def __init__(self, personas, *, pass_mark=80, enrol=True):
        self.check = _check()
        self.course = make_course(
            "Personal Budgets",
            modules=1,
            bodies=[[text("<p>Budgets.</p>"), self.check]],
            pass_mark=pass_mark,
        )
        self.module = live_modules(course=self.course).get()
        plan, budget = self.check["value"]["questions"]
        self.plan, self.budget = plan["id"], budget["id"]
        plan_answers = [answer["id"] for answer in plan["value"]["answers"]]
        budget_answers = [answer["id"] for answer in budget["value"]["answers"]]
        self.plan_right, self.plan_wrong = plan_answers
        self.care, self.health, self.tax = budget_answers
        self.enrolment = (
            enrolment_create(user=personas.peer, course=self.course)[0] if enrol else None
        )
        if enrol:
            module_finish(enrolment=self.enrolment, module=self.module)

    @property
    def url(self):
        return reverse("courses:check-submit", args=[self.module.pk, self.check["id"]])

    def submit(self, client, answers, *, check_id=None, **kwargs):
        url = (
            reverse("courses:check-submit", args=[self.module.pk, check_id])
            if check_id
            else self.url
        )
        data = {f"q-{question}": ids for question, ids in answers.items()}
        return client.post(url, data, **kwargs)

    def all_right(self):
        return {self.plan: [self.plan_right], self.budget: [self.care, self.health]}

    def all_wrong(self):
        return {self.plan: [self.plan_wrong], self.budget: [self.tax]}

    def module_complete(self):
        progress = ModuleProgress.objects.filter(module=self.module).first()
        return progress is not None and progress.completed_at is not None


@pytest.fixture
def quiz(personas, client):
    client.force_login(personas.peer)
    return Quiz(personas)


def _text(response):
    return html.unescape(response.content.decode())


def _checked(response):
    """Ids of the answers shown ticked."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return {box["value"] for box in soup.find_all("input", checked=True) if box.get("value")}


# --- Marking -----------------------------------------------------------------------------------


def test_all_right_answers_pass_and_store_the_attempt(client, quiz):
    response = quiz.submit(client, quiz.all_right(), follow=True)

    assert "You got 2 of 2 right. You have passed this check." in _text(response)
    attempt = QuizAttempt.objects.get()
    assert (attempt.correct, attempt.total, attempt.passed) == (2, 2, True)
    assert attempt.enrolment == quiz.enrolment
    assert attempt.check_id == quiz.check["id"]
    assert attempt.answers == {
        quiz.plan: [quiz.plan_right],
        quiz.budget: [quiz.care, quiz.health],
    }


def test_wrong_answers_fail_and_invite_another_try(client, quiz):
    response = quiz.submit(client, quiz.all_wrong(), follow=True)

    page = _text(response)
    assert "You got 0 of 2 right. Read the feedback and try again whenever you are ready." in page
    attempt = QuizAttempt.objects.get()
    assert (attempt.correct, attempt.total, attempt.passed) == (0, 2, False)
    assert not quiz.module_complete()


@pytest.mark.parametrize(
    ("chosen", "right"),
    [
        (["care", "health"], True),
        (["health", "care"], True),
        (["care"], False),
        (["care", "health", "tax"], False),
        (["tax"], False),
    ],
)
def test_choose_all_that_apply_needs_every_right_answer_and_no_wrong_one(
    client, quiz, chosen, right
):
    quiz.submit(
        client,
        {quiz.plan: [quiz.plan_right], quiz.budget: [getattr(quiz, name) for name in chosen]},
    )

    assert QuizAttempt.objects.get().correct == (2 if right else 1)


@pytest.mark.parametrize(("pass_mark", "passed"), [(50, True), (51, False), (80, False), (1, True)])
def test_pass_mark_is_a_percentage_of_questions_right(client, personas, pass_mark, passed):
    client.force_login(personas.peer)
    quiz = Quiz(personas, pass_mark=pass_mark)

    quiz.submit(client, {quiz.plan: [quiz.plan_right], quiz.budget: [quiz.tax]})

    attempt = QuizAttempt.objects.get()
    assert (attempt.correct, attempt.total, attempt.passed) == (1, 2, passed)
    assert quiz.module_complete() is passed


def test_pass_mark_of_100_needs_every_answer_right(client, personas):
    client.force_login(personas.peer)
    quiz = Quiz(personas, pass_mark=100)

    quiz.submit(client, {quiz.plan: [quiz.plan_right], quiz.budget: [quiz.care]})
    quiz.submit(client, quiz.all_right())

    assert list(
        QuizAttempt.objects.order_by("created_at", "pk").values_list("passed", flat=True)
    ) == [
        False,
        True,
    ]


# --- What the page shows -----------------------------------------------------------------------


def test_module_page_does_not_reveal_the_right_answers_before_answering(client, quiz):
    page = _text(client.get(quiz.module.url))

    assert "Who decides what goes in a support plan?" in page
    for feedback in FEEDBACK.values():
        assert feedback not in page
    assert not re.search(r"""correct["'\s]*[:=]|[-_]correct|data-correct""", page, re.I)
    assert "Right." not in page and "Not quite." not in page
    # A right answer is marked up exactly like a wrong one, apart from its id and words.
    soup = BeautifulSoup(page, "html.parser")
    for question in (quiz.plan, quiz.budget):
        shapes = set()
        for box in soup.find_all("input", attrs={"name": f"q-{question}"}):
            choice = str(box.parent)
            choice = choice.replace(box["value"], "ID").replace(box.find_next("label").text, "T")
            shapes.add(choice)
        assert len(shapes) == 1


def test_feedback_is_shown_after_submitting_only_for_the_answers_chosen(client, quiz):
    response = quiz.submit(
        client, {quiz.plan: [quiz.plan_wrong], quiz.budget: [quiz.care]}, follow=True
    )

    page = _text(response)
    assert FEEDBACK["plan-wrong"] in page
    assert FEEDBACK["care"] in page
    for unchosen in ("plan-right", "health", "tax"):
        assert FEEDBACK[unchosen] not in page
    assert "Not quite." in page
    assert "Your last try: 0 of 2 right." in page
    assert _checked(response) == {quiz.plan_wrong, quiz.care}


def test_feedback_says_which_questions_were_right(client, quiz):
    response = quiz.submit(
        client, {quiz.plan: [quiz.plan_right], quiz.budget: [quiz.tax]}, follow=True
    )

    page = _text(response)
    assert page.count("Right.") == 1
    assert page.count("Not quite.") == 1


def test_another_peers_attempt_is_not_shown_to_me(client, personas, quiz):
    quiz.submit(client, quiz.all_wrong())
    enrolment_create(user=personas.other_peer, course=quiz.course)
    client.force_login(personas.other_peer)

    page = _text(client.get(quiz.module.url))

    assert FEEDBACK["plan-wrong"] not in page
    assert "Your last try" not in page


# --- Retries and the best attempt ----------------------------------------------------------------


def test_retries_are_unlimited_and_each_is_stored(client, quiz):
    for _ in range(4):
        quiz.submit(client, quiz.all_wrong())
    quiz.submit(client, quiz.all_right())

    assert QuizAttempt.objects.count() == 5
    assert QuizAttempt.objects.filter(passed=True).count() == 1
    assert quiz.module_complete()


def test_best_attempt_counts_a_later_fail_keeps_the_module_complete(client, quiz):
    quiz.submit(client, quiz.all_right())

    response = quiz.submit(client, quiz.all_wrong(), follow=True)

    assert quiz.module_complete()
    assert CourseCompletion.objects.filter(enrolment=quiz.enrolment).count() == 1
    assert "You passed on an earlier try, so this check still counts as passed." in _text(response)
    assert QuizAttempt.objects.count() == 2


# --- Bad and tampered input ----------------------------------------------------------------------


def _assert_refused(response, message, quiz, kept):
    assert response.status_code == 200
    page = _text(response)
    assert "There is a problem" in page
    assert message in page
    assert not QuizAttempt.objects.exists()
    assert not quiz.module_complete()
    assert kept <= _checked(response)


def test_missing_answer_is_refused_with_a_message_and_other_answers_stay_ticked(client, quiz):
    response = quiz.submit(client, {quiz.budget: [quiz.care, quiz.health]})

    _assert_refused(response, "Answer question 1.", quiz, {quiz.care, quiz.health})


def test_no_answers_at_all_asks_for_each_question(client, quiz):
    response = quiz.submit(client, {})

    page = _text(response)
    assert "Answer question 1." in page and "Answer question 2." in page
    assert not QuizAttempt.objects.exists()


def test_answer_from_another_question_is_refused(client, quiz):
    response = quiz.submit(client, {quiz.plan: [quiz.care], quiz.budget: [quiz.health]})

    _assert_refused(
        response,
        "The answer to question 1 was not one of the choices. Reload the page and try again.",
        quiz,
        {quiz.health},
    )


def test_made_up_answer_id_is_refused(client, quiz):
    response = quiz.submit(
        client, {quiz.plan: [quiz.plan_right], quiz.budget: [quiz.care, str(uuid.uuid4())]}
    )

    _assert_refused(
        response,
        "The answer to question 2 was not one of the choices.",
        quiz,
        {quiz.plan_right},
    )


def test_two_answers_to_a_choose_one_question_are_refused(client, quiz):
    response = quiz.submit(
        client, {quiz.plan: [quiz.plan_right, quiz.plan_wrong], quiz.budget: [quiz.care]}
    )

    _assert_refused(
        response, "The answer to question 1 was not one of the choices.", quiz, {quiz.care}
    )


def test_unknown_check_id_sends_the_peer_back_to_the_module_with_a_message(client, quiz):
    response = quiz.submit(client, quiz.all_right(), check_id="no-such-check", follow=True)

    assert response.redirect_chain == [(quiz.module.url, 302)]
    assert "Those questions have changed. Here is the latest version." in _text(response)
    assert not QuizAttempt.objects.exists()


def test_check_on_a_module_not_enrolled_on_is_refused_and_not_stored(client, personas):
    client.force_login(personas.peer)
    quiz = Quiz(personas, enrol=False)

    response = quiz.submit(client, quiz.all_right(), follow=True)

    assert response.redirect_chain == [(quiz.course.url, 302)]
    assert "Enrol on Personal Budgets before answering its questions." in _text(response)
    assert not QuizAttempt.objects.exists()
    assert not ModuleProgress.objects.exists()


def test_check_on_an_unknown_module_is_404(client, quiz):
    url = reverse("courses:check-submit", args=[999_999, quiz.check["id"]])

    assert client.post(url, {}).status_code == 404
    assert not QuizAttempt.objects.exists()


def test_check_on_an_unpublished_module_is_404(client, quiz):
    quiz.module.unpublish()

    assert quiz.submit(client, quiz.all_right()).status_code == 404
    assert not QuizAttempt.objects.exists()


def test_check_answers_by_get_are_refused(client, quiz):
    response = client.get(quiz.url)

    assert response.status_code == 405
    assert not QuizAttempt.objects.exists()


def test_anonymous_check_answers_are_sent_to_sign_in(client, quiz):
    client.logout()

    response = quiz.submit(client, quiz.all_right())

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert not QuizAttempt.objects.exists()


def test_another_peers_enrolment_does_not_let_me_answer(client, personas):
    client.force_login(personas.other_peer)
    quiz = Quiz(personas)  # enrols personas.peer, not the person signed in

    quiz.submit(client, quiz.all_right())

    assert not QuizAttempt.objects.exists()
