from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from wagtail import hooks

from lms.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_kernel


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo organisations, accounts and content."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        kernel = seed_kernel()
        for seed in hooks.get_hooks("seed_demo"):
            seed(kernel, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with any of:"))
        for email in DEMO_ACCOUNTS:
            self.stdout.write(f"  {email}")
        self.stdout.write(f"Password for all: {DEMO_PASSWORD}")
