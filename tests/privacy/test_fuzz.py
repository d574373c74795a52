"""Bad input never answers 500: every front-end URL pattern (the permission matrix's table, the
Wagtail course pages included), asked by each persona who can reach it, with hostile values.

- **Query strings.** Every parameter a view reads (the known ones below, and the fields of every
  GET form on the page) gets each hostile value at once.
- **URL path parts.** Each part of the address (ids, codes, slugs) is replaced by each hostile
  value that fits in a path.
- **Forms.** Every POST form on every page is parsed with `html.parser` (fields, their defaults,
  the CSRF token kept); each field gets each hostile value in turn, the others keeping sensible
  values, and then all of them at once. POSTs the table makes that no page shows a form for
  (buttons in lists, for instance) are fuzzed the same way from the table's data.

Each request runs in a savepoint that is rolled back, so every one meets the same world. A
refused submission (anything but a redirect) must change nothing the table watches. The client
does not raise, so an exception becomes a 500 that is reported with its URL, field and value.

Hostile values: NUL; a lone surrogate (sent as the raw bytes %ED%A0%80); 1 MB of `<b>` tags; a
5,000-digit number; -1; 2**63; the years 1 and 9999; an id nobody has; `../`; `javascript:`;
deeply nested JSON. Each field gets every class at once and a few on its own.
"""

import os
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import resolve
from django.utils import timezone

from tests.privacy import world as w
from tests.privacy.test_permission_matrix import (
    ACTS,
    OK,
    REDIRECT,
    TABLE,
    close_keeping_the_connection,
)
from tests.privacy.world import ANONYMOUS, PERSONAS, build_world

SURROGATE_TOKEN = "ZZLONESURROGATEZZ"  # replaced by %ED%A0%80 once the body is encoded
HOSTILE = {
    "NUL": "a\x00b",
    "lone surrogate": f"a{SURROGATE_TOKEN}b",
    "1 MB text": "x" * (1024 * 1024),
    # Tags are cheap to send and dear to clean: 300 KB of them fits in a form body.
    "300 KB of tags": "<b>" * 100_000,
    "5,000-digit number": "9" * 5000,
    "-1": "-1",
    "2**63": str(2**63),
    "2**31": str(2**31),  # past PostgreSQL's integer
    "year 1": "0001-01-01",
    "year 9999": "9999-12-31",
    "unknown id": "2147483646",
    "../": "../../etc/passwd",
    "javascript:": "javascript:alert(1)",
    "nested JSON": "[" * 3000 + "]" * 3000,
}
# A server takes an address of a few kilobytes at most (gunicorn: 4,094 bytes for the request
# line), so long values in a query string are as long as one could be.
HOSTILE_IN_QUERY = {
    **HOSTILE,
    "1 MB text": "x" * 4000,
    "300 KB of tags": "<b>" * 1300,
    "nested JSON": "[" * 1000 + "]" * 1000,
}
# In a path part: what fits in one segment of an address.
HOSTILE_IN_PATH = {
    "NUL": "a\x00b",
    "lone surrogate": f"a{SURROGATE_TOKEN}b",
    "5,000-digit number": "9" * 5000,
    "2**63": str(2**63),
    "-1": "-1",
    "2**31": str(2**31),
    "unknown id": "2147483646",
    "..": "..",
}
# Query parameters the views read (grep request.GET), sent to every page.
KNOWN_QUERY_PARAMETERS = (
    "q",
    "page",
    "export",
    "next",
    "organisation",
    "competence",
    "kind",
    "course",
    "status",
    "audience",
    "level",
    "person",
    "action",
    "pathway",
    "stage",
    "id",
)
# Following these would sign the client out or end its session, not test input.
NOT_FUZZED_ACTIONS = ("/accounts/logout/",)


# --- Reading the forms on a page ---------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> candidate values
    defaults: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.form = Form(
                action=attrs.get("action") or self.page_url,
                method=(attrs.get("method") or "get").lower(),
                multipart="multipart" in attrs.get("enctype", ""),
            )
            self.forms.append(self.form)
            return
        form = self.form
        name = attrs.get("name")
        if form is None or not name:
            if tag == "option" and form is not None and self.select:
                self._option(attrs)
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                if kind == "submit" and attrs.get("value"):
                    form.fields.setdefault(name, []).append(attrs["value"])
                return
            value = attrs.get("value", "")
            form.fields.setdefault(name, [])
            if kind in ("checkbox", "radio"):
                form.fields[name].append(value or "on")
                if "checked" in attrs or name not in form.defaults:
                    form.defaults[name] = value or "on"
            else:
                form.defaults[name] = value or _sensible(kind, name)
                form.fields[name].append(form.defaults[name])
        elif tag == "select":
            self.select = name
            form.fields.setdefault(name, [])
        elif tag == "textarea":
            self.textarea = name
            form.fields.setdefault(name, [])
            form.defaults[name] = "Some words."

    def _option(self, attrs):
        value = attrs.get("value", "")
        self.form.fields[self.select].append(value)
        if value and (self.select not in self.form.defaults or "selected" in attrs):
            self.form.defaults[self.select] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def _sensible(kind: str, name: str) -> str:
    today = timezone.localdate()
    if kind == "date" or name.endswith(("_on", "date")):
        return today.isoformat()
    if kind == "time" or name in ("start",):
        return "10:00"
    if kind == "number" or "minutes" in name:
        return "30"
    if kind == "email":
        return "someone.fuzzed@example.org"
    if kind in ("hidden", "file"):
        return ""
    return "Some words"


def forms_on(page_url: str, body: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(body)
    return parser.forms


# --- Asking -------------------------------------------------------------------------------------


@dataclass
class Trouble:
    persona: str
    method: str
    url: str
    what: str
    status: int
    error: str = ""

    def __str__(self):
        error = f": {self.error}" if self.error else ""
        return f"{self.persona} {self.method} {self.url} [{self.what}] -> {self.status}{error}"


class _RollBack(Exception):
    pass


class Asker:
    def __init__(self, world, persona):
        self.world, self.persona = world, persona
        self.client = Client(raise_request_exception=False)
        self.troubles: list[Trouble] = []
        self.asked = 0
        self.slowest: list[tuple] = []
        self._sign_in()

    def _sign_in(self):
        if self.persona != ANONYMOUS:
            self.client.force_login(self.world.people[self.persona])
        self.cookie = self.client.cookies.get("sessionid")
        self.cookie = self.cookie.value if self.cookie else None

    def _still_signed_in(self):
        cookie = self.client.cookies.get("sessionid")
        if (cookie.value if cookie else None) != self.cookie:
            self.client = Client(raise_request_exception=False)
            self._sign_in()

    def ask(self, method, url, *, what, body=None, multipart_data=None, row=None):
        """One request in a rolled-back savepoint; a 500 (or a refused POST that changed the
        watched row) is recorded."""
        self.asked += 1
        started = time.monotonic()
        before = row(self.world) if row else None
        status, error, changed = 0, "", False
        try:
            with transaction.atomic():
                if method == "get":
                    response = self.client.get(url)
                elif multipart_data is not None:
                    response = self.client.post(url, multipart_data)
                else:
                    response = self.client.post(
                        url, body or "", content_type="application/x-www-form-urlencoded"
                    )
                status = response.status_code
                exc_info = getattr(response, "exc_info", None)
                if exc_info:
                    error = f"{exc_info[0].__name__}: {str(exc_info[1])[:300]}"
                close_keeping_the_connection(response)
                if row and status not in (301, 302, 303) and status < 500:
                    changed = row(self.world) != before
                raise _RollBack
        except _RollBack:
            pass
        self._still_signed_in()
        self.slowest.append((time.monotonic() - started, method, url[:120], what))
        if status >= 500:
            self.troubles.append(Trouble(self.persona, method, url, what, status, error))
        elif changed:
            self.troubles.append(
                Trouble(self.persona, method, url, what, status, "refused, yet it wrote")
            )
        return status


def encode(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs).replace(SURROGATE_TOKEN, "%ED%A0%80")


def _with_query(url: str, pairs) -> str:
    return f"{url}{'&' if '?' in url else '?'}{encode(pairs)}"


def _path_variants(url: str):
    """The address with each of its parts in turn replaced by each hostile value."""
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Exception:  # noqa: BLE001 - a Wagtail page: its parts are slugs, fuzz them anyway
        match = None
    parts = [str(value) for value in (match.args if match else ())]
    parts += [str(value) for value in (match.kwargs.values() if match else ())]
    if not parts:  # Wagtail pages: every part of the path is a slug
        parts = [segment for segment in path.split("/") if segment]
    for part in dict.fromkeys(parts):
        segment = f"/{quote(part, safe='')}/"
        if segment not in path and not path.endswith(f"/{part}"):
            continue
        for what, value in HOSTILE_IN_PATH.items():
            hostile = quote(value, safe="").replace(SURROGATE_TOKEN, "%ED%A0%80")
            if segment in path:
                yield f"path part {part!r} = {what}", path.replace(segment, f"/{hostile}/", 1)
            else:
                yield f"path part {part!r} = {what}", path[: -len(part)] + hostile


def _baseline(form: Form) -> dict[str, str]:
    return {name: form.defaults.get(name, "") for name in form.fields}


def _pairs(values: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in values.items()]


def _per_field() -> int:
    """FUZZ_PER_FIELD: how many hostile values each field gets on its own, besides all of them at
    once (2 unless set). Most of the requests are these; CI's SQLite pass sets it lower, since
    its PostgreSQL pass asks the full set of the database that stores the values differently."""
    setting = os.environ.get("FUZZ_PER_FIELD", "2")
    if not setting.isdigit():
        raise pytest.UsageError(f"FUZZ_PER_FIELD must be a whole number, not {setting!r}")
    return int(setting)


PER_FIELD = _per_field()


def _classes_for(index: int) -> list[str]:
    """The value classes field number `index` gets alone: a different few for each field."""
    names = list(HOSTILE)
    return [names[(index * PER_FIELD + step) % len(names)] for step in range(PER_FIELD)]


def fuzz_form(asker: Asker, form: Form, *, row=None, label=""):
    """Every field gets every class of value at once (a form checks every field, so each is
    tried with each), and a few classes on its own, the others keeping sensible values."""
    if form.multipart:
        _fuzz_multipart(asker, form, row=row, label=label)
        return
    base = _baseline(form)
    fuzzable = [name for name in form.fields if name != "csrfmiddlewaretoken"]
    for what, value in HOSTILE.items():
        everything = {**base, **dict.fromkeys(fuzzable, value)}
        asker.ask(
            "post",
            form.action,
            what=f"{label}every field = {what}",
            body=encode(_pairs(everything)),
            row=row,
        )
    for index, name in enumerate(fuzzable):
        for what in _classes_for(index):
            asker.ask(
                "post",
                form.action,
                what=f"{label}{name} = {what}",
                body=encode(_pairs({**base, name: HOSTILE[what]})),
                row=row,
            )


def _fuzz_multipart(asker: Asker, form: Form, *, row=None, label=""):
    # The test client encodes multipart bodies as UTF-8 and cannot carry a lone surrogate;
    # Django decodes multipart fields with errors replaced, so none could arrive anyway.
    base = {name: value for name, value in _baseline(form).items() if value}
    fuzzable = [name for name in form.fields if name != "csrfmiddlewaretoken"]
    for what, value in HOSTILE.items():
        if SURROGATE_TOKEN in value:
            continue
        asker.ask(
            "post",
            form.action,
            what=f"{label}every field = {what} (multipart)",
            multipart_data={**base, **dict.fromkeys(fuzzable, value)},
            row=row,
        )
    for index, name in enumerate(fuzzable):
        for what in _classes_for(index):
            if SURROGATE_TOKEN not in HOSTILE[what]:
                asker.ask(
                    "post",
                    form.action,
                    what=f"{label}{name} = {what} (multipart)",
                    multipart_data={**base, name: HOSTILE[what]},
                    row=row,
                )


# --- The world, built once; every persona asks ----------------------------------------------------


@pytest.fixture
def fuzz_world(db):
    # Files go to the worker's own private folder (tests/conftest.py points the storage there).
    with override_settings(PASSWORD_HASHERS=w.PASSWORD_HASHERS):
        yield w.with_report_export(w.with_data_export(build_world()))


def _who_may(answers: dict[str, str] | None, *outcomes) -> list[str]:
    return [persona for persona in PERSONAS if answers and answers[persona] in outcomes]


def _form_key(path: str, fields) -> tuple:
    try:
        name = resolve(path).view_name
    except Exception:  # noqa: BLE001 - a Wagtail page
        name = path
    return name, tuple(sorted(fields))


class Fuzz:
    """Every URL and every field, each with every class of hostile value at least once; the
    requests for a URL are shared out among the personas who can reach it, so that each
    persona's pages are asked and the whole runs in a few minutes."""

    def __init__(self, world):
        self.world = world
        self.askers = {persona: Asker(world, persona) for persona in PERSONAS}
        self.rows_by_path = {
            urlsplit(route.url(world)).path: route.row for route in TABLE.values() if route.row
        }
        self.forms_seen: set[tuple] = set()
        self.covered: set[str] = set()
        self.turn = 0

    def _next(self, personas: list[str]) -> Asker:
        self.turn += 1
        return self.askers[personas[self.turn % len(personas)]]

    def run(self):
        for name, route in TABLE.items():
            if route.get:
                self.page(name, route)
        for name, route in TABLE.items():
            if route.post:
                self.table_post(name, route)

    def page(self, name, route):
        url = route.url(self.world)
        readers = _who_may(route.get, OK) or list(PERSONAS)
        forms, parameters = [], list(KNOWN_QUERY_PARAMETERS)
        for persona in readers:
            client = self.askers[persona].client
            response = client.get(url)
            if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
                for form in forms_on(url, response.content.decode(errors="replace")):
                    forms.append((persona, form))
                    if form.method == "get":
                        parameters += [f for f in form.fields if f not in parameters]
            close_keeping_the_connection(response)
        self.covered.add(name)
        for what, value in HOSTILE_IN_QUERY.items():
            self._next(readers).ask(
                "get", _with_query(url, [(p, value) for p in parameters]), what=f"query = {what}"
            )
        for what, hostile_url in _path_variants(url):
            self._next(readers).ask("get", hostile_url, what=what)
        for persona, form in forms:
            action = urlsplit(form.action).path or urlsplit(url).path
            if form.method != "post" or action.startswith(NOT_FUZZED_ACTIONS):
                continue
            key = _form_key(action, form.fields)
            if key in self.forms_seen:
                continue
            self.forms_seen.add(key)
            form.action = action
            fuzz_form(
                self.askers[persona],
                form,
                row=self.rows_by_path.get(action),
                label=f"form on {name} as {persona}: ",
            )

    def table_post(self, name, route):
        """A POST in the table: fuzzed from the table's data unless a page's form was."""
        url = route.url(self.world)
        path = urlsplit(url).path
        if path.startswith(NOT_FUZZED_ACTIONS):
            return
        self.covered.add(name)
        posters = _who_may(route.post, ACTS, REDIRECT, OK) or list(PERSONAS)
        data = route.data(self.world) or {"confirm": "yes"}
        form = Form(action=path, method="post", multipart=False)
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            form.fields[key] = [str(v) for v in values]
            form.defaults[key] = str(values[0]) if values else ""
        if _form_key(path, form.fields)[0] not in {key[0] for key in self.forms_seen}:
            self.forms_seen.add(_form_key(path, form.fields))
            fuzz_form(self._next(posters), form, row=route.row, label=f"{name}: ")
        for what, hostile_url in _path_variants(url):
            self._next(posters).ask(
                "post", hostile_url, what=what, body=encode(_pairs(_baseline(form)))
            )

    @property
    def asked(self) -> int:
        return sum(asker.asked for asker in self.askers.values())

    @property
    def troubles(self) -> list[str]:
        return sorted(
            {str(trouble) for asker in self.askers.values() for trouble in asker.troubles}
        )


@pytest.mark.long
def test_no_hostile_input_answers_a_server_error(fuzz_world):
    fuzz = Fuzz(fuzz_world)
    fuzz.run()
    if os.environ.get("FUZZ_TIMINGS"):
        slowest = sorted(line for asker in fuzz.askers.values() for line in asker.slowest)
        print(fuzz.asked, "requests; slowest:")
        for line in slowest[::-1][:15]:
            print(f"{line[0]:.2f}s", *line[1:])
    # Every URL pattern in the table, and every persona, was asked.
    assert fuzz.covered == set(TABLE)
    assert all(asker.asked for asker in fuzz.askers.values())
    assert not fuzz.troubles, f"{len(fuzz.troubles)} of {fuzz.asked} requests:\n" + "\n".join(
        fuzz.troubles
    )
