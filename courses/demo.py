"""Demo courses: the five courses listed in data/courses.json, with the words from
data/course_content.json, and some learning already done by the demo peer and mentor.

`seed_courses(kernel, log)` is safe to run again. Pages are found by slug and get a new revision
only when their content differs from the data. Every block and list item gets an id derived from
its place in the course, so the ids stay the same between runs and the knowledge-check attempts
and reflections stored against them keep pointing at the right blocks.

Progress goes through the course services, exactly as a learner's clicks would (open, answer,
reflect, "I have finished this module"), so enrolment, completion and certificates follow the
real rules. A person who is already enrolled on a course
is left alone.
"""

import json
import textwrap
import uuid
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.core.files.images import ImageFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image as PillowImage
from PIL import ImageDraw, ImageFont
from wagtail.blocks import StreamValue
from wagtail.images.models import Image

from courses import services
from courses.models import Audience, CourseIndexPage, CoursePage, Enrolment, ModulePage
from courses.selectors import live_modules
from lms.models import HomePage

DATA = Path(__file__).resolve().parent / "data"
AUDIENCE_SLUGS = {
    "everyone": "everyone",
    "PAL": "pal",
    "peer broker": "peer-broker",
    "mentor": "mentor",
}
PREREQUISITES = {
    "Peer Brokerage and Self-Directed Support": ["Foundations of Peer Support"],
    "Supervising and Mentoring Peers": ["Foundations of Peer Support"],
}
# (email, course, how many modules to work through: None for all of them)
DEMO_PROGRESS = [
    ("peer@demo.example", "Wellbeing at Work", None),
    ("peer@demo.example", "Foundations of Peer Support", 2),
    ("mentor@demo.example", "Foundations of Peer Support", None),
    ("mentor@demo.example", "Safe Practice", None),
]
BLOCK_IDS = uuid.UUID("5f0c2a4e-7d1b-4c53-9a8e-3b6f1d2e9c70")  # namespace for stable block ids


@transaction.atomic
def seed_courses(kernel, log) -> None:
    content = _load("course_content.json")
    index = _index_page(content["index"], log)
    courses = {}
    for spec in _load("courses.json")["courses"]:
        words = content["courses"][spec["title"]]
        courses[spec["title"]] = _course(index, spec, words, courses, log)
    for email, title, modules in DEMO_PROGRESS:
        _work_through(kernel.people[email], courses[title], modules, content["demo"])


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


# --- Pages ------------------------------------------------------------------------------------


def _index_page(words: dict, log) -> CourseIndexPage:
    fields = {"title": "Courses", "introduction": words["introduction"]}
    index, action = _save_page(HomePage.objects.first(), CourseIndexPage, "courses", fields)
    log(f"Course catalogue: {action}")
    return index


def _course(index, spec: dict, words: dict, earlier: dict, log) -> CoursePage:
    title = spec["title"]
    fields = {
        "title": title,
        "summary": words["summary"],
        "description": words["description"],
        "level": spec["level"],
        "estimated_hours": Decimal(str(spec["estimated_hours"])),
        "validity_months": spec["validity_months"],
        "pass_mark": 80,
        "certificate_enabled": True,
        "audiences": Audience.objects.filter(
            slug__in=[AUDIENCE_SLUGS[name] for name in spec["audience"]]
        ),
        "prerequisites": [earlier[required] for required in PREREQUISITES.get(title, [])],
    }
    course, action = _save_page(index, CoursePage, slugify(title), fields)
    image = _illustration(title, words["illustration"]["colours"])
    modules = [_module(course, name, words["modules"][name], image) for name in spec["modules"]]
    changed = sum(module_action != "unchanged" for module_action in modules)
    log(f"Course “{title}”: {action}; {changed} of {len(modules)} modules created or updated")
    return course


def _module(course: CoursePage, title: str, words: dict, image: Image) -> str:
    slug = slugify(title)
    fields = {
        "title": title,
        "summary": words["summary"],
        "estimated_minutes": words["estimated_minutes"],
        "body": _body(words["body"], f"{course.slug}/{slug}", image),
    }
    return _save_page(course, ModulePage, slug, fields)[1]


def _save_page(parent, model, slug: str, fields: dict):
    """Create the page under `parent`, or update it when it differs from `fields`; publish either
    way. Returns the page and what happened: "created", "updated" or "unchanged"."""
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is not None and not _differs(page, fields):
        return page, "unchanged"
    action = "updated" if page else "created"
    if page is None:
        page = model(slug=slug)
        _assign(page, fields)
        parent.add_child(instance=page)
    else:
        _assign(page, fields)
    page.save_revision().publish()
    return page, action


def _assign(page, fields: dict) -> None:
    for name, value in fields.items():
        if _is_many_to_many(page, name):
            getattr(page, name).set(value)
        else:
            setattr(page, name, value)


def _differs(page, fields: dict) -> bool:
    return any(_stored(page, name) != _wanted(page, name, value) for name, value in fields.items())


def _stored(page, name: str):
    value = getattr(page, name)
    if isinstance(value, StreamValue):
        return value.get_prep_value()
    if _is_many_to_many(page, name):
        return {item.pk for item in value.all()}
    return value


def _wanted(page, name: str, value):
    return {item.pk for item in value} if _is_many_to_many(page, name) else value


def _is_many_to_many(page, name: str) -> bool:
    return page._meta.get_field(name).many_to_many


# --- Module bodies ----------------------------------------------------------------------------


def _stable_id(key: str) -> str:
    return str(uuid.uuid5(BLOCK_IDS, key))


def _body(blocks: list[dict], key: str, image: Image) -> list[dict]:
    """The StreamField's stored form of a module body, every block and list item with an id."""
    return [_block(block, f"{key}/{number}", image) for number, block in enumerate(blocks)]


def _block(block: dict, key: str, image: Image) -> dict:
    value = block["value"]
    if block["type"] == "figure":
        value = _figure(value, image)
    elif block["type"] == "knowledge_check":
        value = {**value, "questions": _items(value["questions"], key, _question)}
    return {"type": block["type"], "value": value, "id": _stable_id(key)}


def _figure(value: dict, image: Image) -> dict:
    picture = {"image": image.pk, "decorative": False, "alt_text": value["alt_text"]}
    return {"image": picture, "caption": value["caption"]}


def _question(value: dict, key: str) -> dict:
    return {**value, "answers": _items(value["answers"], key, lambda answer, _key: answer)}


def _items(values: list[dict], key: str, build) -> list[dict]:
    """A ListBlock's stored form: each item wrapped with a type and a stable id."""
    return [
        {
            "type": "item",
            "value": build(value, f"{key}/{number}"),
            "id": _stable_id(f"{key}/{number}"),
        }
        for number, value in enumerate(values)
    ]


# --- Illustrations ----------------------------------------------------------------------------


def _illustration(course_title: str, colours: list[str]) -> Image:
    """A calm picture for the course's first module, drawn here so no files are needed."""
    title = f"{course_title}: course illustration"
    image = Image.objects.filter(title=title).first()
    if image is None:
        png = _drawing(course_title, colours)
        image = Image(
            title=title,
            file_size=len(png.getvalue()),
            file=ImageFile(png, name=f"{slugify(course_title)}.png"),
        )
        image.save()
    return image


def _drawing(text: str, colours: list[str]) -> BytesIO:
    """Three soft overlapping circles in the course's colours on cream, with its title."""
    picture = PillowImage.new("RGBA", (1200, 675), "#FBF8F3")
    for number, colour in enumerate(colours):
        layer = PillowImage.new("RGBA", picture.size, (0, 0, 0, 0))
        left, top = 620 + number * 120, 100 + (number % 2) * 150
        ImageDraw.Draw(layer).ellipse((left, top, left + 320, top + 320), fill=colour + "C0")
        picture = PillowImage.alpha_composite(picture, layer)
    _write(ImageDraw.Draw(picture), textwrap.fill(text, width=17, break_on_hyphens=False))
    png = BytesIO()
    picture.convert("RGB").save(png, format="PNG")
    png.seek(0)
    return png


def _write(draw: ImageDraw.ImageDraw, text: str) -> None:
    font = ImageFont.load_default(size=52)
    height = draw.multiline_textbbox((0, 0), text, font=font, spacing=14)[3]
    draw.multiline_text((70, (675 - height) // 2), text, fill="#1F2A37", font=font, spacing=14)


# --- Demo learners ----------------------------------------------------------------------------


def _work_through(user, course: CoursePage, how_many: int | None, demo_words: dict) -> None:
    """Enrol the person and complete the first `how_many` modules (all of them when None) as a
    learner would: open each, answer every knowledge check correctly, write at any reflection
    prompt where the module needs it (or, part-way through a course, at every prompt), then say
    "I have finished this module"."""
    if Enrolment.objects.filter(user=user, course=course).exists():
        return
    enrolment, _ = services.enrolment_create(user=user, course=course)
    for module in list(live_modules(course=course))[:how_many]:
        services.module_visit(enrolment=enrolment, module=module)
        for check in module.knowledge_checks():
            services.knowledge_check_submit(
                enrolment=enrolment,
                module=module,
                check_id=check.id,
                answers=_correct_answers(check),
            )
        if how_many is not None or module.requires_reflection:
            _reflect(user, module, demo_words["reflection"])
        services.module_finish(enrolment=enrolment, module=module)


def _correct_answers(check) -> dict[str, list[str]]:
    return {
        question.id: [
            answer.id
            for answer in question.value["answers"].bound_blocks
            if answer.value["correct"]
        ]
        for question in check.value["questions"].bound_blocks
    }


def _reflect(user, module: ModulePage, body: str) -> None:
    for prompt in module.reflection_prompts():
        services.reflection_save(user=user, module=module, prompt_id=prompt.id, body=body)
