"""Competence framework import and export: files are checked whole (every problem, with row and
column), imported all or nothing by code, never deleting, and exports import back unchanged."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db.models.signals import post_save
from django.urls import reverse

from pathways.frameworks import (
    DEFAULT_NAME,
    DEFAULT_SLUG,
    FrameworkImportError,
    framework_export_csv,
    framework_export_json,
    framework_import,
    parse_framework_csv,
    parse_framework_json,
)
from pathways.models import Competence, CompetenceDomain, CompetenceFramework, SignOff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECT_FILE = "pathways/data/competences.csv"
HEADER = "domain_code,domain,competence_code,competence,description"


def project_bytes() -> bytes:
    with open(PROJECT_FILE, "rb") as file:
        return file.read()


def project_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(project_bytes().decode("utf-8"))))


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines]).encode("utf-8")


def import_csv(data: bytes, slug: str = DEFAULT_SLUG, name: str = DEFAULT_NAME):
    return framework_import(
        framework_name=name,
        framework_slug=slug,
        parsed=parse_framework_csv(data),
    )


def problems_of(parsed) -> set[tuple]:
    return {(problem.row, problem.column) for problem in parsed.problems}


def database_state() -> list[tuple]:
    return list(
        Competence.objects.order_by("pk").values_list(
            "pk", "code", "name", "description", "order", "domain__code", "domain__name"
        )
    )


@pytest.fixture
def imported():
    """The project's framework, imported once."""
    result = import_csv(project_bytes())
    return result.framework


# --- Importing a good file --------------------------------------------------------------------


def test_importing_the_project_file_creates_every_domain_and_competence():
    rows = project_rows()
    result = import_csv(project_bytes())

    assert result.framework_created
    assert (result.domains.created, result.competences.created) == (9, len(rows))
    framework = CompetenceFramework.objects.get(slug="peer-support")
    assert framework.name == "Peer support competence framework"
    assert framework.domains.count() == 9
    assert framework.competences.count() == len(rows) == 29
    first, last = rows[0], rows[-1]
    competence = Competence.objects.get(framework=framework, code=first["competence_code"])
    assert (competence.name, competence.description) == (first["competence"], first["description"])
    assert competence.domain.name == first["domain"]
    assert list(framework.competences.order_by("order").values_list("code", flat=True)) == [
        row["competence_code"] for row in rows
    ]
    assert framework.domains.get(code=last["domain_code"]).order == 9


def test_reimporting_the_same_file_changes_nothing(imported):
    before = database_state()
    saves = []

    def count_save(sender, **kwargs):
        saves.append(sender)

    post_save.connect(count_save, sender=Competence)
    post_save.connect(count_save, sender=CompetenceDomain)
    try:
        result = import_csv(project_bytes())
    finally:
        post_save.disconnect(count_save, sender=Competence)
        post_save.disconnect(count_save, sender=CompetenceDomain)

    assert not result.framework_created
    assert (result.domains.created, result.domains.updated, result.domains.unchanged) == (0, 0, 9)
    assert (result.competences.created, result.competences.updated) == (0, 0)
    assert result.competences.unchanged == len(project_rows())
    assert result.not_in_file == []
    assert saves == []
    assert database_state() == before


def test_a_changed_file_updates_by_code_and_keeps_what_it_no_longer_lists(imported):
    keep = Competence.objects.get(framework=imported, code="9.2")
    SignOff.objects.create(user=UserFactory(), competence=keep)
    renamed_pk = Competence.objects.get(framework=imported, code="2.3").pk
    text = project_bytes().decode("utf-8")
    text = text.replace("Local services and community resources", "Local services")
    text = "\n".join(line for line in text.splitlines() if ",9.2," not in line)
    text += "\n9,Organisational competences,9.3,Leading change,\n"

    result = import_csv(text.encode("utf-8"))

    assert (result.competences.created, result.competences.updated) == (1, 1)
    assert result.not_in_file == ["9.2"]
    renamed = Competence.objects.get(framework=imported, code="2.3")
    assert (renamed.pk, renamed.name) == (renamed_pk, "Local services")
    assert Competence.objects.get(framework=imported, code="9.3").domain.code == "9"
    assert Competence.objects.filter(pk=keep.pk).exists()


def test_a_competence_added_at_the_end_is_ordered_with_its_domain(imported):
    text = project_bytes().decode("utf-8") + "2,Knowledge,2.8,Benefits and money,\n"

    result = import_csv(text.encode("utf-8"))

    codes = list(imported.competences.order_by("order").values_list("code", flat=True))
    assert codes[codes.index("2.7") + 1] == "2.8"
    # Every competence after it moves down one place.
    assert result.competences.updated == len(codes) - codes.index("2.8") - 1


def test_a_file_with_a_byte_order_mark_imports():
    result = import_csv("\ufeff".encode() + project_bytes())

    assert result.competences.created == len(project_rows())


def test_a_framework_can_be_imported_under_another_slug(imported):
    result = import_csv(project_bytes(), slug="second", name="Second framework")

    assert result.framework.pk != imported.pk
    assert result.competences.created == len(project_rows())


# --- Bad files --------------------------------------------------------------------------------


BAD_FILES = {
    "missing column": (
        csv_bytes("1,Values,1.1,Values of peer support,", header="domain_code,domain,competence"),
        (1, "competence_code"),
        "column “competence_code” is missing",
    ),
    "duplicate code": (
        csv_bytes("1,Values,1.1,One,", "1,Values,1.2,Two,", "1,Values,1.1,Three,"),
        (4, "competence_code"),
        "1.1 is already used in row 2",
    ),
    "unknown domain": (
        csv_bytes("3,Relational,3.1,One,", "3,Relational,4.1,Two,"),
        (3, "competence_code"),
        "Competence 4.1 is listed under domain 3",
    ),
    "wrong encoding": (
        csv_bytes("1,Valeurs,1.1,Café,").decode("utf-8").encode("latin-1"),
        (None, ""),
        "The file is not UTF-8 text",
    ),
    "UTF-16": (
        csv_bytes("1,Values,1.1,One,").decode("utf-8").encode("utf-16"),
        (None, ""),
        "The file is not UTF-8 text",
    ),
    "empty required cell": (
        csv_bytes("1,Values,1.1,One,", "1,Values,1.2,,Has a description"),
        (3, "competence"),
        "This cell is empty",
    ),
    "inconsistent domain name": (
        csv_bytes("2,Knowledge,2.1,One,", "2,Knowlege,2.2,Two,"),
        (3, "domain"),
        "Domain 2 is called “Knowledge” in row 2 but “Knowlege” here",
    ),
    "over-long name": (
        csv_bytes(f"1,Values,1.1,{'x' * 201},"),
        (2, "competence"),
        "201 characters long",
    ),
    "over-long code": (
        csv_bytes(f"1,Values,1.{'1' * 20},One,"),
        (2, "competence_code"),
        "at most 20",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_reported_with_row_and_column_and_writes_nothing(case):
    data, (row, column), text = BAD_FILES[case]
    parsed = parse_framework_csv(data)

    [problem] = parsed.problems
    assert (problem.row, problem.column) == (row, column)
    assert text in problem.message
    with pytest.raises(FrameworkImportError):
        import_csv(data)
    assert not CompetenceFramework.objects.exists()
    assert not Competence.objects.exists()


def test_every_problem_in_a_file_is_reported_and_nothing_is_written(imported):
    before = database_state()
    data = csv_bytes(
        "1,Values and principles,1.1,Values of peer support renamed,",  # fine on its own
        "1,Values and principles,1.1,Twice,",  # row 3: duplicate
        "2,Knowledge,,Nameless code,",  # row 4: empty competence_code
        "2,Knowlege,2.2,Misspelt domain,",  # row 5: domain name
        "3,Core relational skills,4.1,Wrong domain,",  # row 6: unknown domain
        ",Core relational skills,3.2,,",  # row 7: empty domain_code and competence
    )

    with pytest.raises(FrameworkImportError) as raised:
        import_csv(data)

    assert {(p.row, p.column) for p in raised.value.problems} == {
        (3, "competence_code"),
        (4, "competence_code"),
        (5, "domain"),
        (6, "competence_code"),
        (7, "domain_code"),
        (7, "competence"),
    }
    assert str(raised.value.problems[0]).startswith("Row 3, competence_code: ")
    assert database_state() == before


def test_every_missing_column_is_named():
    parsed = parse_framework_csv(csv_bytes("1,1.1", header="domain_code,competence_code"))

    assert problems_of(parsed) == {(1, "domain"), (1, "competence")}


def test_blank_lines_count_as_rows_as_in_a_spreadsheet():
    parsed = parse_framework_csv(csv_bytes("1,Values,1.1,One,", "", "1,Values,2.1,Two,"))

    assert problems_of(parsed) == {(4, "competence_code")}


def test_a_file_with_only_a_header_is_a_problem():
    parsed = parse_framework_csv(csv_bytes())

    assert [problem.message for problem in parsed.problems] == [
        "The file has no competences in it."
    ]


def test_a_new_framework_whose_name_is_taken_is_a_problem_not_a_crash(imported):
    with pytest.raises(FrameworkImportError) as raised:
        import_csv(project_bytes(), slug="another-slug")

    assert [problem.column for problem in raised.value.problems] == ["name"]
    assert CompetenceFramework.objects.count() == 1


# --- JSON -------------------------------------------------------------------------------------


def test_importing_nested_json_creates_the_framework():
    document = {
        "framework": {"name": "Small", "slug": "small", "description": "A small one."},
        "domains": [
            {
                "code": "1",
                "name": "Values",
                "competences": [
                    {"code": "1.1", "name": "Hope", "description": "Holds hope."},
                    {"code": "1.2", "name": "Mutuality"},
                ],
            },
            {"code": "2", "name": "Knowledge", "competences": [{"code": "2.1", "name": "Law"}]},
        ],
    }
    parsed = parse_framework_json(json.dumps(document).encode("utf-8"))

    result = framework_import(framework_name=parsed.name, framework_slug=parsed.slug, parsed=parsed)

    assert (result.domains.created, result.competences.created) == (2, 3)
    framework = CompetenceFramework.objects.get(slug="small")
    assert framework.description == "A small one."
    assert framework.competences.get(code="1.1").description == "Holds hope."
    assert framework.competences.get(code="2.1").domain.name == "Knowledge"


def test_a_flat_json_list_of_rows_imports_like_the_csv():
    data = json.dumps(project_rows()).encode("utf-8")

    result = framework_import(
        framework_name="Flat", framework_slug="flat", parsed=parse_framework_json(data)
    )

    assert (result.domains.created, result.competences.created) == (9, len(project_rows()))


def test_problems_in_nested_json_say_where_they_are():
    document = {
        "domains": [
            {"code": "1", "name": "Values", "competences": [{"code": "2.1", "name": "Hope"}]},
            {"code": "2", "name": "Knowledge", "competences": []},
        ]
    }
    parsed = parse_framework_json(json.dumps(document).encode("utf-8"))

    assert {str(problem).split(":")[0] for problem in parsed.problems} == {
        "Domain 1, competence 1, competence_code",
        "Domain 2, competences",
    }


def test_invalid_json_is_a_problem():
    parsed = parse_framework_json(b'{"domains": [')

    assert parsed.problems[0].message.startswith("The file is not valid JSON")


# --- Export -----------------------------------------------------------------------------------


def test_csv_export_has_the_project_files_rows_and_imports_back_unchanged(imported):
    exported = framework_export_csv(framework=imported)

    assert list(csv.reader(io.StringIO(exported))) == list(
        csv.reader(io.StringIO(project_bytes().decode("utf-8")))
    )
    result = import_csv(exported.encode("utf-8"))
    assert (result.domains.created, result.domains.updated) == (0, 0)
    assert (result.competences.created, result.competences.updated) == (0, 0)


def test_json_export_imports_back_unchanged(imported):
    exported = framework_export_json(framework=imported)

    document = json.loads(exported)
    assert document["framework"]["slug"] == "peer-support"
    assert [domain["code"] for domain in document["domains"]] == [str(n) for n in range(1, 10)]
    result = framework_import(
        framework_name=imported.name,
        framework_slug=imported.slug,
        parsed=parse_framework_json(exported.encode("utf-8")),
    )
    assert (result.domains.created, result.domains.updated) == (0, 0)
    assert (result.competences.created, result.competences.updated) == (0, 0)


def test_json_export_recreates_the_framework_elsewhere(imported):
    parsed = parse_framework_json(framework_export_json(framework=imported).encode("utf-8"))

    result = framework_import(framework_name="Copy", framework_slug="copy", parsed=parsed)

    copy = result.framework
    assert framework_export_csv(framework=copy) == framework_export_csv(framework=imported)


def test_export_takes_one_query_whatever_the_size(imported, django_assert_num_queries):
    small = import_csv(csv_bytes("1,Values,1.1,One,"), slug="small", name="Small").framework

    for framework in (small, imported):
        with django_assert_num_queries(1):
            framework_export_csv(framework=framework)
        with django_assert_num_queries(1):
            framework_export_json(framework=framework)


# --- Management commands ----------------------------------------------------------------------


def test_import_command_prints_the_counts(capsys):
    call_command("import_framework", PROJECT_FILE)

    out = capsys.readouterr().out
    assert "Domains: 9 created, 0 updated, 0 unchanged." in out
    assert f"Competences: {len(project_rows())} created, 0 updated, 0 unchanged." in out
    assert CompetenceFramework.objects.get().slug == "peer-support"


def test_import_command_lists_every_problem_and_fails_having_written_nothing(tmp_path, capsys):
    bad = tmp_path / "framework.csv"
    bad.write_bytes(csv_bytes("1,Values,1.1,One,", "1,Values,1.1,Two,", "1,Valeurs,2.1,Three,"))

    with pytest.raises(CommandError, match="3 problem"):
        call_command("import_framework", str(bad), "--slug", "bad")

    err = capsys.readouterr().err.splitlines()
    assert err == [
        "Row 3, competence_code: The competence code 1.1 is already used in row 2.",
        "Row 4, domain: Domain 1 is called “Values” in row 2 but “Valeurs” here.",
        "Row 4, competence_code: Competence 2.1 is listed under domain 1; its code should start"
        " with “1.”, or the row belongs to another domain.",
    ]
    assert not CompetenceFramework.objects.exists()


def test_import_command_refuses_other_file_types(tmp_path):
    other = tmp_path / "framework.xlsx"
    other.write_bytes(b"")

    with pytest.raises(CommandError, match=".csv or .json"):
        call_command("import_framework", str(other))


def test_export_command_writes_csv_to_stdout_and_json_to_a_file(imported, tmp_path, capsys):
    call_command("export_framework", "peer-support", "--format", "csv")
    assert capsys.readouterr().out == framework_export_csv(framework=imported)

    target = tmp_path / "framework.json"
    call_command("export_framework", "peer-support", "--format", "json", "--output", str(target))
    assert json.loads(target.read_text("utf-8")) == json.loads(
        framework_export_json(framework=imported)
    )


def test_export_command_names_an_unknown_slug():
    with pytest.raises(CommandError, match="no competence framework with the slug “nope”"):
        call_command("export_framework", "nope", "--format", "json")


# --- Admin views ------------------------------------------------------------------------------

urls = pytest.mark.urls("tests.pathways.framework_urls")
IMPORT_URL = "/admin/pathways/frameworks/import/"


def upload(name: str, data: bytes):
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@urls
def test_import_view_offers_a_form_with_the_default_framework(superuser_client):
    response = superuser_client.get(reverse("pathways_framework_import"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Import a competence framework" in html
    assert 'value="peer-support"' in html


@urls
def test_superuser_imports_a_file_and_sees_the_counts(superuser_client):
    response = superuser_client.post(
        IMPORT_URL,
        {
            "file": upload("competences.csv", project_bytes()),
            "name": "Peer support competence framework",
            "slug": "peer-support",
        },
    )

    assert response.status_code == 200
    assert response.context["result"].competences.created == len(project_rows())
    html = response.content.decode()
    assert "Imported into Peer support competence framework" in html
    assert f"<td>{len(project_rows())}</td>" in html
    assert Competence.objects.count() == len(project_rows())


@urls
def test_a_bad_upload_shows_every_problem_in_a_table_and_writes_nothing(superuser_client):
    data = csv_bytes("1,Values,1.1,One,", "1,Values,1.1,Two,", "2,Knowledge,2.1,,")

    response = superuser_client.post(
        IMPORT_URL,
        {"file": upload("framework.csv", data), "name": "Bad", "slug": "bad"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 problems to fix" in html
    assert "<td>Row 3</td><td>competence_code</td>" in html
    assert "<td>Row 4</td><td>competence</td>" in html
    assert not CompetenceFramework.objects.exists()


@urls
def test_the_upload_must_be_csv_or_json(superuser_client):
    response = superuser_client.post(
        IMPORT_URL, {"file": upload("framework.txt", b"x"), "name": "X", "slug": "x"}
    )

    assert "Choose a file whose name ends in .csv or .json." in response.content.decode()
    assert not CompetenceFramework.objects.exists()


@urls
def test_someone_given_the_permission_may_import(client, personas):
    personas.editor.user_permissions.add(Permission.objects.get(codename="add_competenceframework"))
    client.force_login(personas.editor)

    response = client.post(
        IMPORT_URL,
        {"file": upload("c.csv", project_bytes()), "name": "Framework", "slug": "framework"},
    )

    assert response.status_code == 200
    assert CompetenceFramework.objects.filter(slug="framework").exists()


@urls
@pytest.mark.parametrize("who", ["editor", "org_admin"])
def test_editors_and_org_admins_cannot_import(client, personas, who):
    client.force_login(getattr(personas, who))

    assert client.get(IMPORT_URL).status_code in (302, 403)
    response = client.post(
        IMPORT_URL,
        {"file": upload("c.csv", project_bytes()), "name": "Framework", "slug": "framework"},
    )
    assert response.status_code in (302, 403)
    assert response.get("Location") != IMPORT_URL
    assert not CompetenceFramework.objects.exists()


@urls
@pytest.mark.parametrize(
    ("fmt", "content_type", "exporter"),
    [
        ("csv", "text/csv; charset=utf-8", framework_export_csv),
        ("json", "application/json", framework_export_json),
    ],
)
def test_superuser_downloads_the_framework(superuser_client, imported, fmt, content_type, exporter):
    response = superuser_client.get(reverse("pathways_framework_export", args=[imported.pk, fmt]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert (
        response["Content-Disposition"] == f'attachment; filename="peer-support-competences.{fmt}"'
    )
    assert response.content.decode("utf-8-sig") == exporter(framework=imported)


@urls
def test_export_of_an_unknown_format_or_framework_is_not_found(superuser_client, imported):
    assert (
        superuser_client.get(f"/admin/pathways/frameworks/{imported.pk}/export/xml/").status_code
        == 404
    )
    assert superuser_client.get("/admin/pathways/frameworks/999/export/csv/").status_code == 404


@urls
def test_editor_cannot_download_the_framework(client, personas, imported):
    client.force_login(personas.editor)

    response = client.get(reverse("pathways_framework_export", args=[imported.pk, "csv"]))

    assert response.status_code in (302, 403)
    assert "Acts from the values" not in response.content.decode()
