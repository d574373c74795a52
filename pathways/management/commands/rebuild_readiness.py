"""manage.py rebuild_readiness [--user ID ...]"""

from django.core.management.base import BaseCommand

from pathways.readiness_keeping import readiness_rebuild, readiness_refresh


class Command(BaseCommand):
    help = (
        "Re-evaluate the kept readiness of everyone (or of the people named) through the "
        "requirement registry, and say how many kept rows were wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", type=int, action="append", dest="users", help="Only this person (repeat)."
        )

    def handle(self, *args, users=None, **options):
        if users:
            count = readiness_refresh(user_ids=users)
            self.stdout.write(f"Refreshed {count} place{'s' if count != 1 else ''}.")
            return
        corrected = readiness_rebuild()
        self.stdout.write(
            f"Rebuilt readiness: {corrected} kept row{'s' if corrected != 1 else ''} corrected."
        )
