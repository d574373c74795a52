"""Framework files that try to hurt: too large, nested too deep, numbers too long, values of the
wrong type, characters no database can store, cells a spreadsheet would run. Each is refused
with every problem listed and nothing written, before any expensive parsing; five imports of one
new framework at once make one framework and tell the others it already exists."""

import csv
import io
import json
import threading

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from lms.spreadsheets import xlsx_response
from pathways.frameworks import (
    MAX_FILE_BYTES,
    MAX_JSON_DEPTH,
    FrameworkImportError,
    framework_export_csv,
    framework_import,
    parse_framework_csv,
    parse_framework_json,
)
from pathways.models import Competence, CompetenceFramework
from tests.factories import UserFactory

HEADER = "domain_code,domain,competence_code,competence,description"
FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3", "\tTAB", "\rCR"]
# The import trims each cell, so a framework never holds the leading TAB or CR.
FRAMEWORK_FORMULAS = FORMULAS[:4]


def _json(document) -> bytes:
    return json.dumps(document).encode()


def _nested(**competence) -> dict:
    return {
        "framework": {"name": "Fuzzed", "slug": "fuzzed"},
        "domains": [
            {"code": "1", "name": "Values", "competences": [{"code": "1.1", "name": "One"}]},
            {"code": "2", "name": "Skills", "competences": [competence]},
        ],
    }


def _messages(parsed) -> str:
    return "\n".join(str(problem) for problem in parsed.problems)


def _refused(parsed):
    with pytest.raises(FrameworkImportError) as refused:
        framework_import(framework_name="Fuzzed", framework_slug="fuzzed", parsed=parsed)
    assert not CompetenceFramework.objects.exists()
    assert not Competence.objects.exists()
    return refused.value.problems


pytestmark = pytest.mark.django_db


# --- Before parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize("parse", [parse_framework_csv, parse_framework_json])
def test_a_file_over_the_limit_is_refused_before_it_is_read(parse, monkeypatch):
    data = b"x" * (MAX_FILE_BYTES + 1)
    monkeypatch.setattr("pathways.frameworks._decode", lambda _: pytest.fail("it was read"))

    parsed = parse(data)

    assert "a framework file can be at most 2 MB" in _messages(parsed)
    _refused(parsed)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_a_problem_not_a_crash(depth):
    parsed = parse_framework_json(b"[" * depth + b"]" * depth)

    assert f"nested more than {MAX_JSON_DEPTH} levels deep" in _messages(parsed)
    _refused(parsed)


def test_brackets_inside_text_do_not_count_as_nesting():
    parsed = parse_framework_json(_json(_nested(code="2.1", name="[[[[{{{{" * 10)))

    assert parsed.problems == []


@pytest.mark.parametrize("digits", [5000, 201])
def test_a_number_of_thousands_of_digits_is_a_problem_not_a_crash(digits):
    data = _json(_nested(code="2.1", name="Two")).replace(b'"Two"', b"9" * digits)

    parsed = parse_framework_json(data)

    assert f"a number is {digits:,} digits long" in _messages(parsed)
    _refused(parsed)


def test_numbers_keep_the_text_they_were_written_as():
    parsed = parse_framework_json(
        _json(_nested(code="2.1", name="Two")).replace(b'"2.1"', b"2.10").replace(b'"2"', b"2")
    )

    assert parsed.problems == []
    assert [c.code for c in parsed.competences] == ["1.1", "2.10"]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_problems(constant):
    parsed = parse_framework_json(
        _json(_nested(code="2.1", name="Two")).replace(b'"Two"', constant)
    )

    assert "is not a value a framework can hold" in _messages(parsed)


# --- Types and characters ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, None, [], {"a": 1}, [["deep"]]])
def test_values_that_are_not_text_are_listed_with_every_other_problem(value):
    document = _nested(code="2.1", name=value)
    document["domains"][0]["competences"][0]["code"] = {"not": "text"}

    parsed = parse_framework_json(_json(document))

    places = {(problem.place, problem.column) for problem in parsed.problems}
    assert ("Domain 1, competence 1", "competence_code") in places
    assert ("Domain 2, competence 1", "competence") in places
    _refused(parsed)


@pytest.mark.parametrize("key", ["name", "slug", "description"])
@pytest.mark.parametrize("value", [["x"], {"x": 1}, True, False])
def test_a_framework_block_that_is_not_text_is_a_problem(key, value):
    document = _nested(code="2.1", name="Two")
    document["framework"][key] = value

    parsed = parse_framework_json(_json(document))

    assert ("Framework", key) in {(p.place, p.column) for p in parsed.problems}


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
def test_nul_and_lone_surrogates_are_problems_not_database_errors(escape):
    data = _json(_nested(code="2.1", name="Two")).replace(b'"Two"', f'"T{escape}wo"'.encode())

    parsed = parse_framework_json(data)

    assert "characters we can't store" in _messages(parsed)
    _refused(parsed)


@pytest.mark.urls("tests.pathways.framework_urls")
def test_problems_in_the_admin_are_listed_and_nothing_is_written(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    file = io.BytesIO(b"[" * 5000 + b"]" * 5000)
    file.name = "framework.json"

    response = client.post(
        "/admin/pathways/frameworks/import/", {"file": file, "name": "Deep", "slug": "deep"}
    )

    assert response.status_code == 200
    assert "nested more than 20 levels deep" in response.content.decode()
    assert not CompetenceFramework.objects.exists()


# --- Formula injection ------------------------------------------------------------------------


def _framework_with(names):
    lines = [HEADER] + [f'1,Values,1.{n},"{name}",' for n, name in enumerate(names, start=1)]
    return framework_import(
        framework_name="Sly",
        framework_slug="sly",
        parsed=parse_framework_csv("\n".join(lines).encode()),
    ).framework


def test_the_csv_export_neutralises_formulas_and_imports_back_unchanged():
    framework = _framework_with(FRAMEWORK_FORMULAS)

    exported = framework_export_csv(framework=framework)
    names = [row[3] for row in csv.reader(io.StringIO(exported))][1:]

    assert names == [f"'{name}" for name in FRAMEWORK_FORMULAS]
    again = parse_framework_csv(exported.encode())
    assert again.problems == []
    assert [c.name for c in again.competences] == FRAMEWORK_FORMULAS


def test_an_apostrophe_typed_before_ordinary_text_is_kept():
    again = parse_framework_csv(f"{HEADER}\n1,Values,1.1,'quoted,\n".encode())

    assert [c.name for c in again.competences] == ["'quoted"]


@pytest.mark.urls("tests.pathways.framework_urls")
def test_the_admin_csv_download_neutralises_formulas(client):
    framework = _framework_with(FORMULAS)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.get(reverse("pathways_framework_export", args=[framework.pk, "csv"]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_xlsx_stores_formula_like_text_as_text_with_no_apostrophe():
    response = xlsx_response(
        filename="x.xlsx", sheets=[("Names", ["Name", "Count"], [[name, -1] for name in FORMULAS])]
    )

    sheet = load_workbook(io.BytesIO(response.content))["Names"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML keeps no lone CR: it reads back as a line feed, still text.
    assert [cell.value for cell in cells] == [name.replace("\r", "\n") for name in FORMULAS]
    assert {cell.data_type for cell in cells} == {"s"}
    assert all(cell.quotePrefix for cell in cells)
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-1] * len(FORMULAS)


# --- At the same moment -----------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time, so imports cannot race there",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_five_imports_of_one_new_framework_at_once_make_one_and_tell_the_rest():
    data = f"{HEADER}\n1,Values,1.1,One,\n1,Values,1.2,Two,\n".encode()
    barrier = threading.Barrier(5)
    outcomes = []

    def run():
        try:
            barrier.wait(timeout=60)  # generous: a loaded CI machine starts threads slowly
            framework_import(
                framework_name="Raced",
                framework_slug="raced",
                parsed=parse_framework_csv(data),
            )
            outcomes.append("imported")
        except FrameworkImportError as error:
            outcomes.append(" ".join(str(problem) for problem in error.problems))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(f"crashed: {type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert CompetenceFramework.objects.filter(slug="raced").count() == 1, outcomes
    assert Competence.objects.count() == 2, outcomes
    assert not [outcome for outcome in outcomes if outcome.startswith("crashed")], outcomes
    refused = [outcome for outcome in outcomes if outcome != "imported"]
    assert all("already exists" in outcome for outcome in refused), outcomes
    assert outcomes.count("imported") >= 1
