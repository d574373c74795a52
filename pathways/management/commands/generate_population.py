"""manage.py generate_population --peers N [--organisation SLUG] [--seed S]"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.demo import seed_courses
from lms.demo import seed_kernel
from lms.models import Organisation
from pathways.demo import seed_pathways
from pathways.models import Pathway
from pathways.population import DEFAULT_SEED, generate_population

DEMO_ORGANISATION = "real-lives-nottingham"
SHARED_PATHWAY = "Peer worker career pathway"


class Command(BaseCommand):
    help = (
        "Add made-up peers (peer-0001@generated.demo.example onwards) with their pathway, "
        "course and sign-off history to an organisation, for trying pages at realistic sizes. "
        "People who exist already are skipped, so a rerun adds only the missing ones. On an "
        "empty database the demo organisations, courses and pathway are made first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--peers", type=int, required=True, help="How many people in all.")
        parser.add_argument(
            "--organisation",
            default=DEMO_ORGANISATION,
            help=f"The organisation's slug (default: {DEMO_ORGANISATION}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Random seed: the same seed makes the same people.",
        )

    def handle(self, *args, peers, organisation, seed, **options):
        if not settings.DEBUG:
            raise CommandError("generate_population only runs with DEBUG on: it makes up people.")
        if peers < 1:
            raise CommandError("Give --peers a number of 1 or more.")
        started = time.perf_counter()
        found, pathway = self._organisation_and_pathway(organisation)
        setting_up = time.perf_counter() - started
        started = time.perf_counter()
        created = generate_population(
            organisation=found, pathway=pathway, count=peers, seed=seed, log=self.stdout.write
        )
        took = time.perf_counter() - started
        rate = f", {created / took:,.0f} people a second" if created and took else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {created} people in {took:.1f} s{rate}"
                + (
                    f" (setting up the demo first took {setting_up:.1f} s)."
                    if setting_up > 1
                    else "."
                )
            )
        )

    def _organisation_and_pathway(self, slug):
        organisation = Organisation.objects.filter(slug=slug).first()
        pathway = Pathway.objects.filter(name=SHARED_PATHWAY, organisation__isnull=True).first()
        if organisation is None and slug != DEMO_ORGANISATION:
            raise CommandError(f"There is no organisation with the slug “{slug}”.")
        if organisation is None or pathway is None:
            self.stdout.write("Setting up the demo organisations, courses and pathway first.")
            kernel = seed_kernel()
            seed_courses(kernel, self.stdout.write)
            seed_pathways(kernel, self.stdout.write)
            organisation = Organisation.objects.get(slug=slug)
            pathway = Pathway.objects.get(name=SHARED_PATHWAY, organisation__isnull=True)
        return organisation, pathway
