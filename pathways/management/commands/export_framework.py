"""manage.py export_framework SLUG --format csv|json [--output FILE]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pathways.frameworks import framework_export_csv, framework_export_json
from pathways.models import CompetenceFramework

EXPORTERS = {"csv": framework_export_csv, "json": framework_export_json}


class Command(BaseCommand):
    help = "Export a competence framework as CSV or JSON, in the shape import_framework reads."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The framework's slug, e.g. peer-support.")
        parser.add_argument("--format", dest="fmt", choices=sorted(EXPORTERS), default="csv")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, slug, fmt, output, **options):
        framework = CompetenceFramework.objects.filter(slug=slug).first()
        if framework is None:
            raise CommandError(f"There is no competence framework with the slug “{slug}”.")
        text = EXPORTERS[fmt](framework=framework)
        if output is None:
            self.stdout.write(text, ending="")
            return
        # newline="" keeps the CSV's own line endings on every platform.
        with Path(output).open("w", encoding="utf-8", newline="") as file:
            file.write(text)
        self.stdout.write(f"Wrote {framework.name} to {output}.")
