"""Script injection in a real browser: the hostile corpus (xss_payloads.py) is written into every
free-text and rich-text field through the services the forms call (and, for two fields, through
the forms themselves), then every page that shows those fields is opened in Chromium as every
persona allowed to see it.

A page passes when no payload ran (a sentinel `__xss` and a dialog listener) and the DOM holds no
`on*` attribute, no script URL and no other forbidden construct. The browser context bypasses our
Content-Security-Policy, so what is proven is the escaping and the sanitiser, not the CSP.

Payloads are batched: rich-text fields take many at once (separated by markup that closes any
element a payload left open), long text fields take the whole corpus, and length-limited fields
are packed across many records shown on one page. Each payload is also cleaned on its own in
tests/lms/test_sanitiser_corpus.py.
"""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.utils import timezone
from wagtail.admin.rich_text import DraftailRichTextArea

import courses.services as course_services
from courses.blocks import RICH_TEXT_FEATURES
from courses.models import CoursePage, ModulePage
from lms.models import Organisation, Role
from lms.services import user_update_profile
from mentoring.models import (
    WELLNESS_PLAN_SECTIONS,
    LivedExperienceVisibility,
    MentorRequest,
    Mentorship,
    SupervisionSession,
)
from mentoring.services.care import (
    concern_raise,
    concern_respond,
    wellness_plan_save,
    wellness_plan_share,
)
from mentoring.services.matching import mentor_profile_save, trainee_preferences_save
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentor_request_answer,
    mentor_request_create,
    mentorship_end,
    next_session_set,
)
from mentoring.services.supervision import (
    feedback_give,
    session_confirm,
    session_dispute,
    session_log,
)
from pathways.models import Competence, Evidence
from pathways.services import aspirations_save, evidence_review, evidence_submit, pathway_join
from tests.base import make_personas
from tests.browser.xss_payloads import CLOBBER_PREFIX, SENTINEL, packed, texts
from tests.courses.builders import course_index, publish
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Between payloads in one rich-text record: closes whatever element, attribute or comment the
# previous payload left open, so that one payload does not swallow the rest of its batch.
RESET = "\n\"'>`--></a></script></style></textarea></title></noscript></template></xmp>" + (
    "</iframe></noembed></noframes></svg></math></select></form></table>]]>-->\n"
)
ALL_LINES = "\n".join(texts())
EXTRA_PEERS = 200  # enough for every display name chunk of 150 characters
EXTRA_MENTORS = 46  # enough for every availability and lived-experience chunk of 300

# --- What the browser reports -----------------------------------------------------------------

INIT_SCRIPT = f"""
Object.defineProperty(window, "{SENTINEL}", {{
  value: function (id) {{ console.log("XSS-HIT " + id); }},
  writable: false, configurable: false,
}});
"""

DOM_CHECK = r"""
(prefix) => {
  const bad = [];
  const norm = (v) => (v || "").replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
    "poster", "background", "ping", "codebase", "cite", "srcset", "dynsrc", "lowsrc"]);
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      const value = norm(attribute.value);
      if (name.startsWith("on")) bad.push("on* attribute: " + describe(el));
      if (name === "srcdoc") bad.push("srcdoc: " + describe(el));
      if (name === "style") bad.push("style attribute: " + describe(el));
      if (urlAttributes.has(name) || name.endsWith(":href")) {
        if (/^(javascript|vbscript|livescript):/.test(value)
            || value.startsWith("data:text/html")
            || (value.startsWith("data:") && el.tagName !== "IMG")) {
          bad.push("script URL: " + describe(el));
        }
      }
      if ((name === "id" || name === "name")
          && (attribute.value.startsWith(prefix) || attribute.value === "__xss")) {
        bad.push("clobbering id or name: " + describe(el));
      }
    }
    const tag = el.tagName.toLowerCase();
    if (tag === "script") {
      const src = el.getAttribute("src") || "";
      const ours = src.startsWith("/static/") || src.startsWith(location.origin + "/static/");
      if (!ours) bad.push("script: " + describe(el));
    }
    if (["base", "object", "embed", "applet", "frame", "frameset", "iframe", "portal",
         "style", "animate", "set", "foreignobject", "handler", "listener"].includes(tag)) {
      bad.push("forbidden element: " + describe(el));
    }
    if (tag === "meta" && el.hasAttribute("http-equiv")) bad.push("meta: " + describe(el));
    if (tag === "link" && !(el.parentElement === document.head
        && (el.getAttribute("href") || "").startsWith("/static/"))) {
      bad.push("link: " + describe(el));
    }
  }
  return bad;
}
"""


@pytest.fixture
def hostile_page(browser, live_server):
    """A page that bypasses our CSP (so only escaping stands between a payload and running) and
    reports every sentinel call and every dialog."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    context.set_default_timeout(15_000)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.hits = []
    page.on(
        "dialog", lambda dialog: (page.hits.append(f"dialog {dialog.message}"), dialog.dismiss())
    )
    page.on("console", lambda message: _console(page, message.text))
    yield page
    context.close()


def _console(page, text):
    if text.startswith("XSS-HIT"):
        page.hits.append(text)


def _sign_in_as(page, email):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _problems_on(page, path) -> list[str]:
    response = page.goto(path, wait_until="load")
    if response is None or response.status != 200:
        return [f"{path}: status {response.status if response else 'none'}"]
    page.wait_for_timeout(30)  # let error and focus events of broken images and inputs fire
    found = page.evaluate(DOM_CHECK, CLOBBER_PREFIX)
    if SENTINEL + "(" not in page.content():
        found.append("no payload on the page: the test is not testing it")
    hits, page.hits[:] = list(page.hits), []
    return [f"{path}: {problem}" for problem in found + hits]


# --- Writing the corpus through the services --------------------------------------------------


def _rich_chunks(count: int) -> list[str]:
    """The corpus as `count` rich-text bodies, payloads separated by `RESET`."""
    bodies = [[] for _ in range(count)]
    for index, text in enumerate(texts()):
        bodies[index % count].append(text)
    return [RESET.join(body) for body in bodies]


def _contentstate(lines: list[str]) -> str:
    """What the Draftail editor posts: a paragraph per line, each wrapped in a link whose URL is
    the line itself."""
    blocks, entities = [], {}
    for index, line in enumerate(lines):
        entities[str(index)] = {"type": "LINK", "mutability": "MUTABLE", "data": {"url": line}}
        blocks.append(
            {
                "key": f"k{index}",
                "type": "header-two" if index % 7 == 0 else "unstyled",
                "text": line,
                "depth": 0,
                "inlineStyleRanges": [{"offset": 0, "length": 1, "style": "BOLD"}],
                "entityRanges": [{"offset": 0, "length": len(line), "key": index}],
                "data": {},
            }
        )
    return json.dumps({"blocks": blocks, "entityMap": entities})


def _rich_text_from_editor(lines: list[str]) -> str:
    widget = DraftailRichTextArea(features=RICH_TEXT_FEATURES)
    return widget.value_from_datadict({"body": _contentstate(lines)}, {}, "body")


def _block(kind: str, value, number: int) -> dict:
    return {"type": kind, "id": f"00000000-0000-0000-0000-{number:012d}", "value": value}


def _module_body(prompts: int) -> list[dict]:
    one_line = [text.replace("\n", " ") for text in texts()]
    body = [_block("text", _rich_text_from_editor(one_line), 1)]
    headings = packed(120, plain_line=True)
    for number, (heading, line) in enumerate(zip(headings, one_line, strict=False), start=100):
        text = _rich_text_from_editor([line])
        body.append(_block("callout", {"kind": "tip", "heading": heading, "text": text}, number))
    for number, chunk in enumerate(packed(2000, separator="\n")[:prompts], start=200):
        body.append(_block("reflection_prompt", {"prompt": chunk, "guidance": chunk}, number))
    return body


def _course() -> tuple[CoursePage, ModulePage]:
    index = course_index()
    course = CoursePage(
        title=packed(255)[0],
        slug="hostile-course",
        summary=ALL_LINES,
        estimated_hours=1,
        pass_mark=80,
    )
    index.add_child(instance=course)
    publish(course)
    module = ModulePage(title=packed(255)[1], slug="hostile-module", body=_module_body(prompts=6))
    course.add_child(instance=module)
    publish(module)
    for number, title in enumerate(packed(255)[2:12], start=2):
        course.add_child(instance=ModulePage(title=title, slug=f"module-{number}", body=[]))
    return CoursePage.objects.get(pk=course.pk), ModulePage.objects.get(pk=module.pk)


def _share_reflection(reflection):
    # Reflection sharing moved from a flag to a share bound to the mentorship.
    share = getattr(course_services, "reflection_share", None)
    if share is not None:
        share(reflection=reflection)
    else:
        course_services.reflection_set_shared(reflection=reflection, shared=True)


def _reflections(peer, module):
    prompts = module.reflection_prompts()
    for prompt, body in zip(prompts[:-1], _rich_chunks(len(prompts) - 1), strict=True):
        reflection = course_services.reflection_save(
            user=peer, module=module, prompt_id=prompt.id, body=body
        )
        _share_reflection(reflection)
    return prompts[-1].id  # left for the form


def _names(personas):
    """Display names and pronouns through the profile service; organisation names directly (no
    service renames an organisation)."""
    user_update_profile(user=personas.peer, display_name=texts(150)[0], pronouns=texts(40)[1])
    user_update_profile(user=personas.mentor, display_name=texts(150)[2], pronouns=texts(40)[3])
    peers = []
    for name, pronouns in zip(packed(150), packed(40) * 2, strict=False):
        user = UserFactory()
        MembershipFactory(user=user, organisation=personas.home, role=Role.PEER)
        peers.append(user_update_profile(user=user, display_name=name, pronouns=pronouns[:40]))
    Organisation.objects.filter(pk=personas.home.pk).update(name=texts(200)[4])
    collector = UserFactory(email="many.organisations@example.org", display_name="Many Orgs")
    for number, name in enumerate(packed(200)):
        organisation = OrganisationFactory(name=name, slug=f"hostile-{number}")
        MembershipFactory(user=collector, organisation=organisation, role=Role.PEER)
    return peers


def _file_names() -> list[str]:
    """File names as a browser would send them: the multipart parser keeps only the last part of
    a path, so names are packed from payloads it leaves whole."""
    whole = [text for text in texts(240, plain_line=True) if "/" not in text and "\\" not in text]
    names, current = [], ""
    for text in whole:
        if current and len(current) + len(text) + 1 > 240:
            names.append(current)
            current = text
        else:
            current = f"{current} {text}".strip()
    names.append(current)
    parser = MultiPartParser.sanitize_file_name
    return [parser(None, f"{name}.pdf") for name in names if parser(None, f"{name}.pdf")]


def _evidence(personas):
    framework = make_framework()
    pathway = make_pathway(framework=framework, organisation=personas.home)
    pathway_join(user=personas.peer, pathway=pathway)
    aspirations_save(user=personas.peer, body=RESET.join(texts()))
    competences = list(Competence.objects.filter(framework=framework))
    names = _file_names()
    statements = _rich_chunks(len(names))
    for number, (name, statement) in enumerate(zip(names, statements, strict=True)):
        upload = SimpleUploadedFile(name, b"%PDF-1.4\n%hostile\n", content_type="application/pdf")
        evidence_submit(
            user=personas.peer,
            competence=competences[number % len(competences)],
            statement=statement,
            upload=upload,
        )
    first = Evidence.objects.filter(user=personas.peer).order_by("pk").first()
    evidence_review(
        evidence=first,
        reviewer=personas.coordinator,
        outcome=Evidence.MORE_NEEDED,
        note=ALL_LINES,
        organisation=personas.home,
    )
    return Evidence.objects.filter(user=personas.peer, status=Evidence.SUBMITTED).first()


def _mentors(personas):
    """The persona mentor's profile and enough other mentors for every availability and
    lived-experience chunk; languages ten at a time."""
    long_chunks = packed(300, plain_line=True)
    areas, languages = packed(100, plain_line=True), texts(40, plain_line=True)
    bios = _rich_chunks(EXTRA_MENTORS + 1)
    users = [personas.mentor] + [UserFactory() for _ in range(EXTRA_MENTORS)]
    profiles = []
    for number, user in enumerate(users):
        if number:
            MembershipFactory(user=user, organisation=personas.home, role=Role.MENTOR)
            user_update_profile(user=user, display_name=texts(150)[number + 5], pronouns="")
        profiles.append(
            mentor_profile_save(
                user=user,
                organisation=personas.home,
                bio=bios[number],
                capacity=3,
                languages=languages[number * 10 % len(languages) :][:10],
                area=areas[number % len(areas)],
                availability=long_chunks[(2 * number) % len(long_chunks)],
                lived_experience=long_chunks[(2 * number + 1) % len(long_chunks)],
                lived_experience_visibility=LivedExperienceVisibility.TRAINEES,
            )
        )
    return profiles


def _preferences(peers):
    areas, notes = packed(100, plain_line=True), _rich_chunks(len(peers))
    languages = texts(40, plain_line=True)
    for number, peer in enumerate(peers):
        trainee_preferences_save(
            user=peer,
            languages=languages[number * 10 % len(languages) :][:10],
            area=areas[number % len(areas)],
            notes=notes[number],
        )


def _mentorship(personas, profile) -> tuple[Mentorship, MentorRequest]:
    peer, mentor = personas.peer, personas.mentor
    request = mentor_request_create(trainee=peer, profile=profile, message=ALL_LINES)
    mentor_request_answer(mentor_request=request, by=mentor, accept=True, note=ALL_LINES)
    mentorship = Mentorship.objects.get(request=request)
    goals, boundaries, confidentiality = _rich_chunks(3)
    agreement_save(
        mentorship=mentorship,
        by=mentor,
        goals=goals,
        meeting_frequency=texts(200, plain_line=True)[7],
        boundaries=boundaries,
        confidentiality=confidentiality,
    )
    agreement_confirm(mentorship=mentorship, by=peer)
    agreement_confirm(mentorship=mentorship, by=mentor)
    next_session_set(
        mentorship=mentorship,
        by=mentor,
        starts_at=timezone.now() + timedelta(days=3),
        minutes=60,
        place=texts(200, plain_line=True)[8],
    )
    return mentorship, request


def _sessions(personas, mentorship) -> list[SupervisionSession]:
    actions = packed(300, plain_line=True)
    summaries, notes = _rich_chunks(3), _rich_chunks(3)
    sessions = []
    for number in range(0, len(actions), 3):
        sessions.append(
            session_log(
                mentorship=mentorship,
                by=personas.mentor,
                held_on=timezone.localdate(),
                duration_minutes=30 + number,
                format="in_person",
                topics=["wellbeing"],
                summary=summaries[len(sessions) % 3] if len(sessions) < 3 else "",
                private_notes=notes[len(sessions) % 3] if len(sessions) < 3 else "",
                actions=[
                    {"description": text, "owner": personas.peer}
                    for text in actions[number : number + 3]
                ],
            )
        )
    sessions[0] = session_confirm(session=sessions[0], by=personas.peer)
    feedback_give(session=sessions[0], by=personas.peer, rating=3, comment=ALL_LINES)
    session_dispute(session=sessions[1], by=personas.peer, note=ALL_LINES)
    return sessions


def _care(personas, mentorship):
    concern = concern_raise(
        mentorship=mentorship, by=personas.mentor, kind="wellbeing", description=ALL_LINES
    )
    concern_respond(concern=concern, by=personas.coordinator, action_taken=ALL_LINES, close=False)
    sections = [key for key, _ in WELLNESS_PLAN_SECTIONS]
    wellness_plan_save(
        user=personas.peer, sections=dict(zip(sections, _rich_chunks(len(sections)), strict=True))
    )
    wellness_plan_share(user=personas.peer, share=True)
    return concern


def _ended_mentorship(personas, profile, trainee):
    request = mentor_request_create(trainee=trainee, profile=profile, message=ALL_LINES)
    mentor_request_answer(mentor_request=request, by=profile.user, accept=True)
    mentorship = Mentorship.objects.get(request=request)
    return mentorship_end(mentorship=mentorship, by=trainee, reason="other", note=ALL_LINES)


@pytest.fixture
def hostile_world(settings, tmp_path, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storage = Evidence._meta.get_field("file").storage
    monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(storage.__dict__, cached, raising=False)

    personas = make_personas()
    peers = _names(personas)
    course, module = _course()
    course_services.enrolment_create(user=personas.peer, course=course)
    evidence = _evidence(personas)
    profiles = _mentors(personas)
    _preferences(peers[:150])
    mentorship, request = _mentorship(personas, profiles[0])
    free_prompt = _reflections(personas.peer, module)
    sessions = _sessions(personas, mentorship)
    concern = _care(personas, mentorship)
    ended = _ended_mentorship(personas, profiles[1], peers[-1])
    return {
        "personas": personas,
        "peers": peers,
        "course": course,
        "module": module,
        "free_prompt": free_prompt,
        "evidence": evidence,
        "profiles": profiles,
        "mentorship": mentorship,
        "request": request,
        "sessions": sessions,
        "concern": concern,
        "ended": ended,
    }


# --- Which pages, for whom --------------------------------------------------------------------


def _screens(world) -> dict[str, list[str]]:
    personas, mentorship = world["personas"], world["mentorship"]
    org = f"/organisations/{personas.home.slug}"
    peer_id, sessions = personas.peer.pk, world["sessions"]
    m = f"/mentoring/mentorships/{mentorship.pk}"
    session_pages = [f"/mentoring/sessions/{session.pk}/" for session in sessions[:3]]
    evidence_review = f"/pathway/evidence/{world['evidence'].pk}/review/"
    mentor_profiles = [f"/mentoring/mentors/{profile.pk}/" for profile in world["profiles"][:3]]
    return {
        personas.peer.email: [
            "/",
            "/accounts/",
            "/courses/",
            world["course"].url,
            world["module"].url,
            "/learning/reflections/",
            "/pathway/",
            "/mentoring/",
            m + "/",
            m + "/agreement/",
            f"/mentoring/requests/{world['request'].pk}/",
            "/mentoring/wellness-plan/",
            *session_pages,
        ],
        world["peers"][0].email: [
            "/",
            "/mentoring/find/",
            "/mentoring/preferences/",
            *mentor_profiles,
        ],
        world["peers"][-1].email: ["/mentoring/", f"/mentoring/mentorships/{world['ended'].pk}/"],
        personas.mentor.email: [
            "/",
            "/mentoring/",
            "/mentoring/profile/",
            m + "/",
            m + "/agreement/",
            m + "/concern/",
            f"/mentoring/requests/{world['request'].pk}/",
            *session_pages,
            f"/mentoring/sessions/{sessions[1].pk}/edit/",
            f"/mentoring/mentees/{peer_id}/wellness-plan/",
            f"/mentoring/mentees/{peer_id}/reflections/",
            f"{org}/people/{peer_id}/pathway/",
            evidence_review,
        ],
        world["profiles"][1].user.email: [f"/mentoring/mentorships/{world['ended'].pk}/"],
        personas.coordinator.email: [
            "/",
            *[f"{org}/people/?page={page}" for page in range(1, 6)],
            f"{org}/learning/",
            f"{org}/readiness/",
            f"{org}/evidence/",
            f"{org}/people/{peer_id}/pathway/",
            evidence_review,
            f"{org}/mentoring/concerns/",
            f"{org}/mentoring/concerns/{world['concern'].pk}/",
            f"{org}/mentoring/coverage/",
            f"{org}/mentoring/propose/",
        ],
        personas.org_admin.email: [
            "/",
            f"{org}/people/",
            f"{org}/mentoring/concerns/",
            f"{org}/mentoring/concerns/{world['concern'].pk}/",
            f"{org}/mentoring/settings/",
        ],
        personas.editor.email: [world["course"].url, world["module"].url],
        "many.organisations@example.org": ["/", "/accounts/"],
    }


# --- Two inputs through the real forms ---------------------------------------------------------


def _type_a_reflection(page, world) -> list[str]:
    """The peer types a batch into the reflection box on the module page and saves it."""
    _sign_in_as(page, world["personas"].peer.email)
    page.goto(world["module"].url)
    section = page.locator(f"#reflection-{world['free_prompt']}")
    section.locator("textarea").fill("\n\n".join(texts()[:120]))
    section.get_by_role("button", name="Save my reflection").click()
    page.wait_for_load_state()
    return _problems_on(page, world["module"].url) + _problems_on(page, "/learning/reflections/")


def _type_a_concern(page, world) -> list[str]:
    """The mentor types a batch into the concern form and sends it."""
    _sign_in_as(page, world["personas"].mentor.email)
    page.goto(f"/mentoring/mentorships/{world['mentorship'].pk}/concern/")
    page.locator("input[name=kind][value=safeguarding]").check()
    page.locator("textarea[name=description]").fill(packed(5000, separator="\n")[1])
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    return _problems_on(page, f"/mentoring/mentorships/{world['mentorship'].pk}/")


def test_no_payload_runs_or_reaches_the_dom_on_any_page(hostile_world, hostile_page):
    page = hostile_page
    problems = _type_a_reflection(page, hostile_world) + _type_a_concern(page, hostile_world)
    visited = 0
    for email, paths in _screens(hostile_world).items():
        _sign_in_as(page, email)
        for path in paths:
            problems += [f"{email} {problem}" for problem in _problems_on(page, path)]
            visited += 1

    assert not problems, "\n".join(problems)
    assert visited >= 60


def test_the_dom_check_and_sentinel_do_catch_a_hole(hostile_page, live_server):
    """The detector itself: a page we write with holes in it is caught, so a silent pass above
    means the pages are clean, not that the check is blind."""
    hostile_page.goto("/accounts/login/")
    hostile_page.set_content(
        '<img src=x onerror="__xss(1)"><a href="java&#x09;script:x">x</a>'
        "<svg><a xlink:href=javascript:x><text>x</text></a></svg>"
        f'<a id="{CLOBBER_PREFIX}1">x</a><script>alert(2)</script>'
    )
    hostile_page.wait_for_timeout(50)
    found = hostile_page.evaluate(DOM_CHECK, CLOBBER_PREFIX)

    assert len([problem for problem in found if re.match(r"(on\*|script URL)", problem)]) >= 3
    assert any(problem.startswith("clobbering") for problem in found)
    assert any(problem.startswith("script:") for problem in found)
    assert "XSS-HIT 1" in hostile_page.hits and "dialog 2" in hostile_page.hits
