"""Build real, published Wagtail course pages for tests."""

import uuid

from courses.models import Audience, CourseIndexPage, CoursePage, ModulePage
from lms.models import HomePage


def course_index() -> CourseIndexPage:
    existing = CourseIndexPage.objects.first()
    if existing:
        return existing
    home = HomePage.objects.get()
    index = CourseIndexPage(title="Courses", slug="courses")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def knowledge_check(*questions, title="Check your understanding") -> dict:
    """A knowledge check block. Each question is (text, kind, [(answer, correct, feedback)])."""
    return {
        "type": "knowledge_check",
        "id": str(uuid.uuid4()),
        "value": {
            "title": title,
            "questions": [
                {
                    "type": "item",
                    "id": str(uuid.uuid4()),
                    "value": {
                        "question": text,
                        "kind": kind,
                        "answers": [
                            {
                                "type": "item",
                                "id": str(uuid.uuid4()),
                                "value": {"text": answer, "correct": correct, "feedback": feedback},
                            }
                            for answer, correct, feedback in answers
                        ],
                    },
                }
                for text, kind, answers in questions
            ],
        },
    }


def simple_check() -> dict:
    return knowledge_check(
        (
            "Who decides what goes in a support plan?",
            "single",
            [
                ("The person the plan is for", True, "Yes: the plan is theirs."),
                ("Their peer worker", False, "A peer worker helps, but does not decide."),
            ],
        ),
        (
            "Which of these are personal budgets for?",
            "multiple",
            [
                ("Care and support", True, "Right."),
                ("Health needs, as a personal health budget", True, "Right."),
                ("Paying council tax", False, "No: that is not what they are for."),
            ],
        ),
    )


def reflection_prompt(prompt="What does choice mean to you?") -> dict:
    return {
        "type": "reflection_prompt",
        "id": str(uuid.uuid4()),
        "value": {"prompt": prompt, "guidance": ""},
    }


def text(html="<p>Some words.</p>") -> dict:
    return {"type": "text", "id": str(uuid.uuid4()), "value": html}


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def make_course(
    title="Safe Practice",
    *,
    modules=2,
    bodies=None,
    audiences=("everyone",),
    level=1,
    validity_months=None,
    certificate=True,
    prerequisites=(),
    pass_mark=80,
) -> CoursePage:
    """A live course with `modules` live modules; `bodies` gives each module's stream data."""
    index = course_index()
    course = CoursePage(
        title=title,
        slug=title.lower().replace(" ", "-"),
        summary=f"About {title}.",
        level=level,
        estimated_hours=2,
        validity_months=validity_months,
        certificate_enabled=certificate,
        pass_mark=pass_mark,
    )
    index.add_child(instance=course)
    course.audiences.set(Audience.objects.filter(slug__in=audiences))
    course.prerequisites.set(prerequisites)
    publish(course)
    for number in range(modules):
        body = bodies[number] if bodies else [text(f"<p>Module {number + 1} text.</p>")]
        module = ModulePage(
            title=f"{title} module {number + 1}", slug=f"module-{number + 1}", body=body
        )
        course.add_child(instance=module)
        publish(module)
    return CoursePage.objects.get(pk=course.pk)
