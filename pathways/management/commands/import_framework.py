"""manage.py import_framework FILE [--name NAME] [--slug SLUG]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pathways.frameworks import (
    DEFAULT_NAME,
    DEFAULT_SLUG,
    FrameworkImportError,
    framework_import,
    parser_for,
)


class Command(BaseCommand):
    help = (
        "Import a competence framework from a .csv or .json file, matching domains and "
        "competences by code. All or nothing: on any problem, every problem is listed and "
        "nothing is written. Competences missing from the file are kept and listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv or .json file (UTF-8).")
        parser.add_argument(
            "--name",
            help=f"Name for a new framework (default: the JSON file's, else “{DEFAULT_NAME}”).",
        )
        parser.add_argument(
            "--slug",
            help=f"Framework to import into (default: the JSON file's, else “{DEFAULT_SLUG}”).",
        )

    def handle(self, *args, file, name, slug, **options):
        parse = parser_for(file)
        if parse is None:
            raise CommandError("Give a file whose name ends in .csv or .json.")
        try:
            parsed = parse(Path(file).read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        try:
            result = framework_import(
                framework_name=name or parsed.name or DEFAULT_NAME,
                framework_slug=slug or parsed.slug or DEFAULT_SLUG,
                parsed=parsed,
            )
        except FrameworkImportError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            count = len(error.problems)
            raise CommandError(f"{count} problem(s) in {file}; nothing was imported.") from error
        for line in result.summary():
            self.stdout.write(line)
