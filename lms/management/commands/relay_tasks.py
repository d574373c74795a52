from django.core.management.base import BaseCommand

from lms.effects import stale_claims
from lms.models import OutboxTask
from lms.queue import relay


class Command(BaseCommand):
    help = (
        "Hand over background tasks waiting in the outbox (queued while the broker was down, "
        "or handed over and never finished), and say what is stuck. The cluster does this "
        'every minute; see docs/architecture.md, "Background work".'
    )

    def add_arguments(self, parser):
        parser.add_argument("--report", action="store_true", help="Only report; hand nothing over.")

    def handle(self, *args, report, **options):
        if not report:
            counts = relay()
            self.stdout.write(
                f"Handed over {counts['handed']} waiting and {counts['handed_again']} unfinished "
                f"tasks; gave up on {counts['given_up']}; {counts['broker_down']} could not be "
                "handed over (is the broker up?)."
            )
        waiting = OutboxTask.objects.filter(status=OutboxTask.PENDING).count()
        handed = OutboxTask.objects.filter(status=OutboxTask.HANDED).count()
        failed = OutboxTask.objects.filter(status=OutboxTask.FAILED).count()
        self.stdout.write(f"Outbox: {waiting} waiting, {handed} handed over, {failed} given up.")
        for claim in stale_claims()[:50]:
            self.stdout.write(
                f"Unknown outcome: {claim.key} claimed at {claim.claimed_at:%Y-%m-%d %H:%M} "
                "and never finished (not tried again)."
            )
