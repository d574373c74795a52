"""Competence frameworks in and out of files: parse a CSV or JSON file into a checked
`ParsedFramework`, import it (all or nothing, upserting by code), and export a framework back to
the same shapes. The import writes and the exports read; they live together rather than in
services.py / selectors.py because they share one file format, and a change to it must change
all of them at once.

CSV: UTF-8 with or without a byte-order mark, a header row naming the columns
    domain_code,domain,competence_code,competence,description
in any order (description optional, other columns ignored), then one competence a row.

JSON, either the nested shape the export writes:
    {"framework": {"name": "...", "slug": "...", "description": "..."},
     "domains": [{"code": "1", "name": "...",
                  "competences": [{"code": "1.1", "name": "...", "description": "..."}]}]}
or the CSV's flat shape: a list of objects keyed by the CSV column names. Problems in either
name the CSV columns (domain_code for a domain's "code", competence for a competence's "name").

Order is the position in the file, with each domain's competences kept together, so that an
export (which groups them) imports back unchanged. A domain without competences cannot be
written in a CSV row, so neither export includes one.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction

from lms.bad_input import unstorable
from lms.models import User
from lms.services import audit_record
from lms.spreadsheets import safe_row, unsafe_cell
from pathways.models import Competence, CompetenceDomain, CompetenceFramework
from pathways.readiness_keeping import readiness_refresh_framework_later

DEFAULT_NAME = "Peer support competence framework"
DEFAULT_SLUG = "peer-support"

REQUIRED_COLUMNS = ("domain_code", "domain", "competence_code", "competence")
COLUMNS = (*REQUIRED_COLUMNS, "description")
# The model fields' max_length: a longer value would fail halfway through the import.
MAX_LENGTHS = {"domain_code": 20, "domain": 200, "competence_code": 20, "competence": 200}
LABELS = {
    "domain_code": "domain code",
    "domain": "domain name",
    "competence_code": "competence code",
    "competence": "competence name",
}
# Checked before any parsing: a real framework is a few hundred competences, tens of kilobytes.
MAX_FILE_BYTES = 2 * 1024 * 1024
# The nested JSON shape is five deep (document, domains, domain, competences, competence).
MAX_JSON_DEPTH = 20
# A code or name is at most 200 characters; a longer number is not one of them.
MAX_NUMBER_DIGITS = 200
UNSTORABLE = "This contains characters we can't store (a NUL or a broken character)."
NOT_UTF8 = (
    "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” "
    "(or in your editor, with UTF-8 encoding) and upload it again."
)


# --- What a file holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. `row` counts as a spreadsheet does (the header is row 1);
    `place` replaces "Row N" where rows do not apply (nested JSON); neither: the whole file."""

    row: int | None
    column: str
    message: str
    place: str = ""

    @property
    def where(self) -> str:
        if self.place:
            return self.place
        return f"Row {self.row}" if self.row else "File"

    def __str__(self) -> str:
        column = f", {self.column}" if self.column else ""
        return f"{self.where}{column}: {self.message}"


@dataclass
class ParsedCompetence:
    code: str
    name: str
    description: str


@dataclass
class ParsedDomain:
    code: str
    name: str
    competences: list[ParsedCompetence] = field(default_factory=list)


@dataclass
class ParsedFramework:
    """The clean domains (in file order) and every problem found; import only without problems.
    `name`, `slug` and `description` come from a nested JSON file's "framework" block."""

    domains: list[ParsedDomain] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    name: str = ""
    slug: str = ""
    description: str | None = None  # None: the file says nothing, so leave it as it is

    @property
    def competences(self) -> list[ParsedCompetence]:
        return [competence for domain in self.domains for competence in domain.competences]


class FrameworkImportError(Exception):
    """A file that cannot be imported; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the framework file")
        self.problems = problems


# --- Parsing ----------------------------------------------------------------------------------


@dataclass
class _Row:
    """One competence as read from a file, before it is checked."""

    row: int | None
    place: str
    cells: dict[str, str]
    wrong_type: set[str] = field(default_factory=set)  # JSON values that are not text

    @property
    def where(self) -> str:
        return self.place or f"row {self.row}"

    def problem(self, column: str, message: str) -> Problem:
        return Problem(self.row, column, message, self.place)


def parser_for(filename: str) -> Callable[[bytes], ParsedFramework] | None:
    """The parser for a file name's extension (.csv or .json), or None."""
    return {".csv": parse_framework_csv, ".json": parse_framework_json}.get(
        Path(filename).suffix.lower()
    )


def parse_framework_csv(data: bytes) -> ParsedFramework:
    """Read and check a CSV file, collecting every problem rather than stopping at the first."""
    if len(data) > MAX_FILE_BYTES:
        return _too_large(data)
    text = _decode(data)
    if text is None:
        return _file_problem(NOT_UTF8)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return _file_problem(f"The file could not be read as CSV ({error}).")
    if not records:
        return _file_problem("The file is empty.")
    header = [cell.strip().lower() for cell in records[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        # Without a column no row can be read, so the rows are not checked.
        return ParsedFramework(problems=[_missing_column(column) for column in missing])
    rows = [
        _Row(number, "", _cells(dict(zip(header, map(unsafe_cell, record), strict=False))))
        for number, record in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in record)
    ]
    return _build(rows)


def parse_framework_json(data: bytes) -> ParsedFramework:
    """Read and check a JSON file, nested or flat (see the module docstring)."""
    if len(data) > MAX_FILE_BYTES:
        return _too_large(data)
    text = _decode(data)
    if text is None:
        return _file_problem(NOT_UTF8)
    if _json_depth(text) > MAX_JSON_DEPTH:
        return _file_problem(
            f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep; a framework file is "
            "five (see the import instructions)."
        )
    try:
        # Numbers keep the text they were written as ("1.10" stays 1.10), and are never turned
        # into Python numbers, which could take a long time or refuse past 4,300 digits.
        document = json.loads(
            text, parse_int=_number_text, parse_float=_number_text, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        return _file_problem(
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        )
    except (ValueError, RecursionError) as error:
        return _file_problem(f"The file could not be read as JSON ({error}).")
    if isinstance(document, list):
        return _build(*_flat_rows(document))
    if isinstance(document, dict) and isinstance(document.get("domains"), list):
        return _parse_nested(document)
    return _file_problem(
        'The JSON must be an object with "framework" and "domains", or a list of rows.'
    )


def _too_large(data: bytes) -> ParsedFramework:
    size = max(len(data) // 1024, 1)
    return _file_problem(
        f"The file is {size:,} KB; a framework file can be at most "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB. Check that this is the right file."
    )


def _json_depth(text: str) -> int:
    """How deep the brackets nest, outside strings: read before parsing, so that a file of
    thousands of brackets is refused without recursing into it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


class _Number(str):
    """A JSON number, as the text it was written in."""


def _number_text(text: str) -> str:
    if len(text) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number is {len(text):,} digits long; at most {MAX_NUMBER_DIGITS} fit")
    return _Number(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a value a framework can hold")


def _decode(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    # UTF-16 text of plain letters decodes as UTF-8 full of NULs; no real framework has them.
    return None if "\x00" in text else text


def _file_problem(message: str) -> ParsedFramework:
    return ParsedFramework(problems=[Problem(None, "", message)])


def _missing_column(column: str) -> Problem:
    return Problem(
        1,
        column,
        f"The column “{column}” is missing. The first row must name the columns "
        f"{', '.join(REQUIRED_COLUMNS)} (and optionally description).",
    )


def _cells(raw: dict) -> dict[str, str]:
    return {column: (raw.get(column) or "").strip() for column in COLUMNS}


def _json_row(row: int, place: str, raw: dict) -> _Row:
    # Numbers arrive as their text (`_number_text`); true, false, lists and objects are wrong.
    wrong = {
        column for column, value in raw.items() if value is not None and not isinstance(value, str)
    }
    text = {
        column: "" if column in wrong or value is None else str(value)
        for column, value in raw.items()
    }
    return _Row(row, place, _cells(text), wrong)


def _flat_rows(items: list) -> tuple[list[_Row], list[Problem]]:
    rows, problems = [], []
    for number, item in enumerate(items, start=1):
        place = f"Item {number}"
        if isinstance(item, dict):
            rows.append(_json_row(number, place, {c: item.get(c) for c in COLUMNS}))
        else:
            problems.append(Problem(number, "", "This should be an object of columns.", place))
    return rows, problems


def _parse_nested(document: dict) -> ParsedFramework:
    rows, problems = _nested_rows(document["domains"])
    parsed = _build(rows, problems)
    framework = document.get("framework")
    if framework is not None and not isinstance(framework, dict):
        parsed.problems.append(
            Problem(
                None,
                "",
                'This should be an object with "name", "slug" and "description".',
                "Framework",
            )
        )
    if isinstance(framework, dict):
        for key in ("name", "slug", "description"):
            value = framework.get(key)
            if value is not None and not isinstance(value, str):
                parsed.problems.append(Problem(None, key, "This should be text.", "Framework"))
            elif value is not None and unstorable(value):
                parsed.problems.append(Problem(None, key, UNSTORABLE, "Framework"))
            elif value is not None and key == "description":
                parsed.description = value.strip()
            elif value is not None:
                setattr(parsed, key, value.strip())
    return parsed


def _nested_rows(domains: list) -> tuple[list[_Row], list[Problem]]:
    rows, problems = [], []
    for d_number, domain in enumerate(domains, start=1):
        competences = domain.get("competences") if isinstance(domain, dict) else None
        if not isinstance(competences, list) or not competences:
            message = "A domain needs a code, a name and a list of its competences."
            problems.append(Problem(None, "competences", message, f"Domain {d_number}"))
            continue
        for c_number, competence in enumerate(competences, start=1):
            place = f"Domain {d_number}, competence {c_number}"
            if not isinstance(competence, dict):
                problems.append(Problem(None, "", "This should be an object.", place))
                continue
            raw = {
                "domain_code": domain.get("code"),
                "domain": domain.get("name"),
                "competence_code": competence.get("code"),
                "competence": competence.get("name"),
                "description": competence.get("description"),
            }
            rows.append(_json_row(len(rows) + 2, place, raw))
    return rows, problems


# --- Checking ---------------------------------------------------------------------------------


def _build(rows: list[_Row], problems: list[Problem] | None = None) -> ParsedFramework:
    """Check every row against the cells and the rows before it; keep the clean ones."""
    parsed = ParsedFramework(problems=list(problems or []))
    domains: dict[str, ParsedDomain] = {}
    named: dict[str, _Row] = {}  # the first row giving each domain code its name
    seen: dict[str, _Row] = {}  # the first row with each competence code
    for row in rows:
        row_problems = [*_cell_problems(row), *_relation_problems(row, named, seen)]
        parsed.problems += row_problems
        cells = row.cells
        if cells["domain_code"] and cells["domain"]:
            named.setdefault(cells["domain_code"], row)
        seen.setdefault(cells["competence_code"], row)
        if not row_problems:
            _add(domains, cells)
    parsed.domains = list(domains.values())
    if not rows and not parsed.problems:
        parsed.problems.append(Problem(None, "", "The file has no competences in it."))
    return parsed


def _cell_problems(row: _Row) -> list[Problem]:
    problems = []
    for column in COLUMNS:
        value = row.cells[column]
        if column in row.wrong_type:
            problems.append(row.problem(column, "This should be text."))
        elif unstorable(value):
            problems.append(row.problem(column, UNSTORABLE))
        elif not value and column in REQUIRED_COLUMNS:
            message = f"This cell is empty; every competence needs a {LABELS[column]}."
            problems.append(row.problem(column, message))
        elif len(value) > MAX_LENGTHS.get(column, len(value)):
            message = f"This is {len(value)} characters long; at most {MAX_LENGTHS[column]} fit."
            problems.append(row.problem(column, message))
    return problems


def _relation_problems(row: _Row, named: dict[str, _Row], seen: dict[str, _Row]) -> list[Problem]:
    domain_code, domain, code = (row.cells[c] for c in ("domain_code", "domain", "competence_code"))
    problems = []
    first = named.get(domain_code) if domain_code else None
    if domain and first and first.cells["domain"] != domain:
        earlier = f"“{first.cells['domain']}” in {first.where.lower()}"
        message = f"Domain {domain_code} is called {earlier} but “{domain}” here."
        problems.append(row.problem("domain", message))
    if code and code in seen:
        message = f"The competence code {code} is already used in {seen[code].where.lower()}."
        problems.append(row.problem("competence_code", message))
    prefix = f"{domain_code}."
    if code and domain_code and not (code.startswith(prefix) and len(code) > len(prefix)):
        message = (
            f"Competence {code} is listed under domain {domain_code}; its code should "
            f"start with “{prefix}”, or the row belongs to another domain."
        )
        problems.append(row.problem("competence_code", message))
    return problems


def _add(domains: dict[str, ParsedDomain], cells: dict[str, str]) -> None:
    domain = domains.setdefault(
        cells["domain_code"], ParsedDomain(cells["domain_code"], cells["domain"])
    )
    domain.competences.append(
        ParsedCompetence(cells["competence_code"], cells["competence"], cells["description"])
    )


# --- Importing --------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ImportResult:
    framework: CompetenceFramework
    framework_created: bool
    domains: Counts
    competences: Counts
    not_in_file: list[str]  # codes of competences kept although the file no longer lists them

    def summary(self) -> list[str]:
        state = "created" if self.framework_created else "updated"
        lines = [
            f"{self.framework.name} ({self.framework.slug}): {state}.",
            f"Domains: {self.domains}.",
            f"Competences: {self.competences}.",
        ]
        if self.not_in_file:
            lines.append(
                "Kept, though not in the file (people's records may use them): "
                + ", ".join(self.not_in_file)
            )
        return lines


def framework_import(
    *, framework_name: str, framework_slug: str, parsed: ParsedFramework, by: User | None = None
) -> ImportResult:
    """Bring a framework in line with a checked file, by code: all or nothing, never deleting."""
    if parsed.problems:
        raise FrameworkImportError(parsed.problems)
    with transaction.atomic():
        framework, created = _framework_for(
            name=framework_name.strip(), slug=framework_slug.strip(), parsed=parsed
        )
        domains, domain_counts = _upsert_domains(framework=framework, parsed=parsed)
        competence_counts, not_in_file = _upsert_competences(
            framework=framework, domains=domains, parsed=parsed
        )
        result = ImportResult(framework, created, domain_counts, competence_counts, not_in_file)
        if not created:
            readiness_refresh_framework_later(framework_id=framework.pk)
        audit_record(
            actor=by,
            action="pathways.framework.imported",
            subject=framework,
            detail={"domains": str(domain_counts), "competences": str(competence_counts)},
        )
    return result


def _framework_for(*, name: str, slug: str, parsed: ParsedFramework):
    framework = CompetenceFramework.objects.select_for_update().filter(slug=slug).first()
    if framework is None:
        _check_new_framework(name=name, slug=slug)
        try:
            with transaction.atomic():
                framework = CompetenceFramework.objects.create(
                    name=name, slug=slug, description=parsed.description or ""
                )
        except IntegrityError:
            # Another import made it (or took its name) in the moment since the check above.
            message = (
                f"A framework called “{name}” or with the slug “{slug}” already exists: it was "
                "created while this file was being imported. Nothing was imported from this "
                "file; import it again to update that framework."
            )
            raise FrameworkImportError([Problem(None, "slug", message)]) from None
        return framework, True
    # The name is only for a new framework: an import should not rename one by default.
    if parsed.description is not None:
        _save_if_changed(framework, description=parsed.description)
    return framework, False


def _check_new_framework(*, name: str, slug: str) -> None:
    problems = []
    try:
        validate_slug(slug)
    except ValidationError:
        message = "Use only letters, numbers, hyphens and underscores in the slug."
        problems.append(Problem(None, "slug", message))
    if not name or len(name) > 200:
        problems.append(Problem(None, "name", "Give the framework a name of 1 to 200 characters."))
    elif CompetenceFramework.objects.filter(name=name).exists():
        message = f"Another framework is already called “{name}”; choose another name or its slug."
        problems.append(Problem(None, "name", message))
    if unstorable(name) or unstorable(slug):
        problems.append(Problem(None, "name", UNSTORABLE))
    if len(slug) > 80:
        problems.append(Problem(None, "slug", "The slug can be at most 80 characters long."))
    if problems:
        raise FrameworkImportError(problems)


def _save_if_changed(instance, **fields) -> bool:
    """Set and save only the fields that differ, so an unchanged row is never re-saved."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    if changed:
        instance.save(update_fields=changed)
    return bool(changed)


def _upsert_domains(*, framework: CompetenceFramework, parsed: ParsedFramework):
    existing = {domain.code: domain for domain in framework.domains.all()}
    counts = Counts()
    for order, item in enumerate(parsed.domains, start=1):
        domain = existing.get(item.code)
        if domain is None:
            existing[item.code] = CompetenceDomain.objects.create(
                framework=framework, code=item.code, name=item.name, order=order
            )
            counts.created += 1
        elif _save_if_changed(domain, name=item.name, order=order):
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing, counts


def _upsert_competences(
    *,
    framework: CompetenceFramework,
    domains: dict[str, CompetenceDomain],
    parsed: ParsedFramework,
):
    existing = {competence.code: competence for competence in framework.competences.all()}
    counts = Counts()
    order = 0
    for domain in parsed.domains:
        for item in domain.competences:
            order += 1
            fields = {
                "domain_id": domains[domain.code].pk,
                "name": item.name,
                "description": item.description,
                "order": order,
            }
            competence = existing.get(item.code)
            if competence is None:
                Competence.objects.create(framework=framework, code=item.code, **fields)
                counts.created += 1
            elif _save_if_changed(competence, **fields):
                counts.updated += 1
            else:
                counts.unchanged += 1
    in_file = {item.code for item in parsed.competences}
    return counts, [code for code in existing if code not in in_file]


# --- Exporting --------------------------------------------------------------------------------


def _competences_in_order(framework: CompetenceFramework):
    return (
        Competence.objects.filter(framework=framework)
        .select_related("domain")
        .order_by("domain__order", "domain__code", "order", "code")
    )


def framework_export_csv(*, framework: CompetenceFramework) -> str:
    """The framework as CSV, in the columns and order that import reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for competence in _competences_in_order(framework):
        domain = competence.domain
        # A cell that a spreadsheet would run as a formula starts with an apostrophe, which
        # the import takes off again.
        writer.writerow(
            safe_row(
                [domain.code, domain.name, competence.code, competence.name, competence.description]
            )
        )
    return out.getvalue()


def framework_export_json(*, framework: CompetenceFramework) -> str:
    """The framework as nested JSON (see the module docstring), which import reads."""
    domains: dict[int, dict] = {}
    for competence in _competences_in_order(framework):
        domain = domains.setdefault(
            competence.domain_id,
            {
                "code": competence.domain.code,
                "name": competence.domain.name,
                "competences": [],
            },
        )
        domain["competences"].append(
            {
                "code": competence.code,
                "name": competence.name,
                "description": competence.description,
            }
        )
    document = {
        "framework": {
            "name": framework.name,
            "slug": framework.slug,
            "description": framework.description,
        },
        "domains": list(domains.values()),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
